/** A tenant (town, district or competence centre) as every layer refers to it. */
export interface TenantRef {
  id: string;
  slug: string;
}

/** The competence centre's tenant: its staff act in a town only under a grant the town approved. */
export const COMPETENCE_CENTRE = 'kompetenzzentrum';
