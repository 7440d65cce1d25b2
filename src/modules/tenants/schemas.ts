import { Type, type Static } from 'typebox';
import { Cursor, Limit, NextCursor, PageItems, Slug, Timestamp, Uuid } from '../../schemas/common.js';

export const TenantKind = Type.Union([Type.Literal('town'), Type.Literal('district'), Type.Literal('competence-centre')], {
  description: 'town, district (Kreis) or competence-centre (Kompetenzzentrum)',
});

export const Tenant = Type.Object(
  {
    id: Uuid,
    slug: Slug,
    name: Type.String({ maxLength: 200, description: 'Official name', examples: ['Stadt Witten'] }),
    kind: TenantKind,
    active: Type.Boolean({ description: 'false for towns that have not yet joined the shared service' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  {
    $id: 'Tenant',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11',
        slug: 'witten',
        name: 'Stadt Witten',
        kind: 'town',
        active: true,
        createdAt: '2026-11-25T10:00:00.000Z',
        updatedAt: '2026-11-25T10:00:00.000Z',
      },
    ],
  },
);
export type Tenant = Static<typeof Tenant>;

export const TenantList = Type.Object(
  {
    items: PageItems(Type.Unsafe<Tenant>(Type.Ref('Tenant'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);

export const TenantParams = Type.Object({ tenant: Slug }, { additionalProperties: false });

export const TenantListQuery = Type.Object({ limit: Limit, cursor: Type.Optional(Cursor) }, { additionalProperties: false });
