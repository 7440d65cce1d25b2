import { Type, type Static } from 'typebox';
import { Int32, Limit, NextCursor, PageItems, Timestamp, Uuid } from '../../schemas/common.js';

export const Clearance = Type.Union(
  [Type.Literal('003'), Type.Literal('002'), Type.Literal('005'), Type.Literal('001'), Type.Literal('004')],
  { description: 'Highest confidentiality the client may see: 003 offen, 002 VS-NfD, 005 vertraulich, 001 geheim, 004 streng geheim' },
);
// In the order of CONFIDENTIALITY_LEVELS (src/core/confidentiality.ts), least restricted first.

export const TenantRole = Type.Union(
  ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor', 'intake', 'payment-provider'].map((r) => Type.Literal(r)),
  { description: 'A role of the tenant (see the permission matrix)' },
);

export const ApiClient = Type.Object(
  {
    id: Uuid,
    clientId: Type.String({ maxLength: 100, description: 'OAuth client_id' }),
    name: Type.String({ maxLength: 200 }),
    roles: Type.Array(TenantRole, { maxItems: 5 }),
    maxConfidentiality: Clearance,
    disabled: Type.Boolean(),
    disabledAt: Type.Union([Timestamp, Type.Null()]),
    secretRotatedAt: Timestamp,
    createdAt: Timestamp,
    createdBy: Type.String({ maxLength: 250 }),
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
        maxConfidentiality: '003',
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

/** The client with its secret: one closed object (an allOf with the closed ApiClient would admit no secret). */
export const ApiClientWithSecret = Type.Object(
  { ...ApiClient.properties, clientSecret: Type.String({ maxLength: 200, description: 'Shown only in this response: store it now' }) },
  { $id: 'ApiClientWithSecret', additionalProperties: false, description: 'A machine client with its secret, answered only when the secret is issued' },
);

export const CreateClient = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    roles: Type.Array(TenantRole, { minItems: 1, maxItems: 5, uniqueItems: true }),
    maxConfidentiality: Type.Optional({
      ...Clearance,
      description: 'Its clearance (default 003 offen: a GIS integration sees open files only); at most the creating admin’s own',
    }),
  },
  { additionalProperties: false, examples: [{ name: 'Online-Service-Portal', roles: ['clerk'], maxConfidentiality: '002' }] },
);

export const ClientList = Type.Object(
  {
    items: PageItems(Type.Unsafe<ApiClient>(Type.Ref('ApiClient'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);

export const ClientListQuery = Type.Object(
  { limit: Limit, cursor: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' })) },
  { additionalProperties: false },
);

export const TokenRequest = Type.Object(
  {
    grant_type: Type.String({ maxLength: 100, description: 'client_credentials' }),
    client_id: Type.Optional(Type.String({ maxLength: 100 })),
    client_secret: Type.Optional(Type.String({ maxLength: 200 })),
    scope: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object(
  {
    access_token: Type.String({ maxLength: 8000 }),
    token_type: Type.Literal('Bearer'),
    expires_in: Int32({ minimum: 1, maximum: 86400, description: 'Seconds' }),
  },
  { additionalProperties: false },
);
