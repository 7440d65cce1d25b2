import { Type, type Static } from 'typebox';
import { Limit, Timestamp, Uuid } from '../../schemas/common.js';

export const AuditEventSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Position in the tenant’s chain' }),
    id: Uuid,
    at: Timestamp,
    actorTenant: Type.String({ description: 'Tenant of the actor (kompetenzzentrum when acting under a grant)' }),
    actorSub: Type.String({ description: 'Subject of the actor (user or client)' }),
    clientId: Type.Union([Type.String(), Type.Null()]),
    grantId: Type.Union([Uuid, Type.Null()], { description: 'Support grant the actor used, if any' }),
    action: Type.String({ examples: ['file.created', 'version.content-read'] }),
    objectType: Type.String(),
    objectId: Type.Union([Uuid, Type.Null()]),
    oldValues: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    newValues: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    prevHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    hash: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 over prevHash and the canonical event' }),
  },
  { $id: 'AuditEvent', additionalProperties: false },
);
export type AuditEventBody = Static<typeof AuditEventSchema>;

export const AuditQuery = Type.Object(
  {
    limit: Limit,
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'Cursor from `next`' })),
    objectId: Type.Optional(Type.String({ format: 'uuid' })),
    objectType: Type.Optional(Type.String({ maxLength: 40 })),
    action: Type.Optional(Type.String({ maxLength: 60 })),
    actor: Type.Optional(Type.String({ maxLength: 200, description: 'Subject of the actor' })),
    grantId: Type.Optional(Type.String({ format: 'uuid' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const ExportQuery = Type.Omit(AuditQuery, ['limit', 'cursor']);

export const AuditList = Type.Object(
  {
    items: Type.Array(Type.Unsafe<AuditEventBody>(Type.Ref('AuditEvent'))),
    next: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page; null on the last page' }),
  },
  { additionalProperties: false },
);

export const VerifyResult = Type.Object(
  {
    ok: Type.Boolean(),
    events: Type.Integer({ description: 'Events checked' }),
    headHash: Type.String({ description: 'Hash of the last intact event' }),
    firstBroken: Type.Union([Type.Object({ seq: Type.Integer(), reason: Type.String() }), Type.Null()]),
  },
  { additionalProperties: false },
);
