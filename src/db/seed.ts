import { uuidv7 } from 'uuidv7';
import type { Db } from './client.js';
import type { TenantKind } from '../generated/prisma/enums.js';

/** The tenants of the shared service (domain.md). Ennepetal and Breckerfeld have not joined yet. */
export const SEED_TENANTS: { slug: string; name: string; kind: TenantKind; active: boolean }[] = [
  { slug: 'witten', name: 'Stadt Witten', kind: 'town', active: true },
  { slug: 'hattingen', name: 'Stadt Hattingen', kind: 'town', active: true },
  { slug: 'sprockhoevel', name: 'Stadt Sprockhövel', kind: 'town', active: true },
  { slug: 'gevelsberg', name: 'Stadt Gevelsberg', kind: 'town', active: true },
  { slug: 'herdecke', name: 'Stadt Herdecke', kind: 'town', active: true },
  { slug: 'schwelm', name: 'Stadt Schwelm', kind: 'town', active: true },
  { slug: 'wetter', name: 'Stadt Wetter (Ruhr)', kind: 'town', active: true },
  { slug: 'ennepetal', name: 'Stadt Ennepetal', kind: 'town', active: false },
  { slug: 'breckerfeld', name: 'Stadt Breckerfeld', kind: 'town', active: false },
  { slug: 'en-kreis', name: 'Ennepe-Ruhr-Kreis', kind: 'district', active: true },
  { slug: 'kompetenzzentrum', name: 'Kompetenzzentrum E-Akte EN (Witten)', kind: 'competence_centre', active: true },
];

/** Inserts missing seed tenants; existing rows (and their ids) are left as they are. */
export async function seedTenants(db: Db): Promise<number> {
  const { count } = await db.tenant.createMany({
    data: SEED_TENANTS.map((t) => ({ id: uuidv7(), ...t })),
    skipDuplicates: true,
  });
  return count;
}
