import { Type, type Static } from 'typebox';
import { Limit, Timestamp, Uuid } from '../../schemas/common.js';

export const TenantRole = Type.Union(
  ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor'].map((r) => Type.Literal(r)),
  { description: 'A role of the tenant (see the permission matrix)' },
);

export const ApiClient = Type.Object(
  {
    id: Uuid,
    clientId: Type.String({ description: 'OAuth client_id' }),
    name: Type.String(),
    roles: Type.Array(TenantRole),
    disabled: Type.Boolean(),
    disabledAt: Type.Union([Timestamp, Type.Null()]),
    secretRotatedAt: Timestamp,
    createdAt: Timestamp,
    createdBy: Type.String(),
  },
  {
    $id: 'ApiClient',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c30',
        clientId: 'hattingen-onlineportal-7k3m9q',
        name: 'Online-Service-Portal',
        roles: ['clerk'],
        disabled: false,
        disabledAt: null,
        secretRotatedAt: '2026-11-25T10:00:00.000Z',
        createdAt: '2026-11-25T10:00:00.000Z',
        createdBy: 'admin@hattingen',
      },
    ],
  },
);
export type ApiClient = Static<typeof ApiClient>;

export const ApiClientWithSecret = Type.Intersect([
  Type.Unsafe<ApiClient>(Type.Ref('ApiClient')),
  Type.Object({ clientSecret: Type.String({ description: 'Shown only in this response: store it now' }) }),
]);

export const CreateClient = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    roles: Type.Array(TenantRole, { minItems: 1, maxItems: 5, uniqueItems: true }),
  },
  { additionalProperties: false, examples: [{ name: 'Online-Service-Portal', roles: ['clerk'] }] },
);

export const ClientList = Type.Object(
  {
    items: Type.Array(Type.Unsafe<ApiClient>(Type.Ref('ApiClient'))),
    next: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page; null on the last page' }),
  },
  { additionalProperties: false },
);

export const ClientListQuery = Type.Object(
  { limit: Limit, cursor: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' })) },
  { additionalProperties: false },
);

export const TokenRequest = Type.Object(
  {
    grant_type: Type.String({ description: 'client_credentials' }),
    client_id: Type.Optional(Type.String({ maxLength: 100 })),
    client_secret: Type.Optional(Type.String({ maxLength: 200 })),
    scope: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds' }),
  },
  { additionalProperties: false },
);
