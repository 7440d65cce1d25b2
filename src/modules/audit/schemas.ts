import { Type, type Static } from 'typebox';
import { Int32, Int64, Limit, NextCursor, PAGE_MAX, PageItems, Sha256Hex, Timestamp, Uuid } from '../../schemas/common.js';

export const AuditEventSchema = Type.Object(
  {
    seq: Int64({ minimum: 1, description: 'Position in the tenant’s chain' }),
    id: Uuid,
    at: Timestamp,
    actorTenant: Type.String({ maxLength: 40, description: 'Tenant of the actor (kompetenzzentrum when acting under a grant)' }),
    actorSub: Type.String({ maxLength: 250, description: 'Subject of the actor (user or client)' }),
    clientId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    grantId: Type.Union([Uuid, Type.Null()], { description: 'Support grant the actor used, if any' }),
    action: Type.String({ maxLength: 64, examples: ['file.created', 'version.content-read'] }),
    objectType: Type.String({ maxLength: 40 }),
    objectId: Type.Union([Uuid, Type.Null()]),
    oldValues: Type.Union([Type.Record(Type.String({ maxLength: 100 }), Type.Unknown()), Type.Null()]),
    newValues: Type.Union([Type.Record(Type.String({ maxLength: 100 }), Type.Unknown()), Type.Null()]),
    requestId: Type.Union([Type.String({ maxLength: 128 }), Type.Null()]),
    prevHash: Sha256Hex(),
    hash: Sha256Hex('SHA-256 over prevHash and the canonical event'),
  },
  { $id: 'AuditEvent', additionalProperties: false },
);
export type AuditEventBody = Static<typeof AuditEventSchema>;

export const AuditQuery = Type.Object(
  {
    limit: Limit,
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', maxLength: 18, description: 'Cursor from `next`' })),
    objectId: Type.Optional(Uuid),
    objectType: Type.Optional(Type.String({ maxLength: 40 })),
    action: Type.Optional(Type.String({ maxLength: 60 })),
    actor: Type.Optional(Type.String({ maxLength: 200, description: 'Subject of the actor' })),
    grantId: Type.Optional(Uuid),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const ExportQuery = Type.Omit(AuditQuery, ['limit', 'cursor']);

export const AuditList = Type.Object(
  {
    items: PageItems(Type.Unsafe<AuditEventBody>(Type.Ref('AuditEvent'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);

export const VerifyResult = Type.Object(
  {
    ok: Type.Boolean({ description: 'The chain is intact and agrees with every checkpoint' }),
    events: Int64({ description: 'Events checked' }),
    headHash: Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64, description: 'Hash of the last intact event' }),
    firstBroken: Type.Union([Type.Object({ seq: Int64({ minimum: 1 }), reason: Type.String({ maxLength: 500 }) }), Type.Null()], {
      description: 'The first event that is broken, missing or disagrees with a checkpoint',
    }),
    anchors: Type.Object(
      {
        checked: Int32({ description: 'Checkpoints compared with the chain' }),
        latest: Type.Union([Type.Object({ seq: Int64({ minimum: 1 }), at: Timestamp }, { additionalProperties: false }), Type.Null()]),
        firstMismatch: Type.Union([Type.Object({ seq: Int64({ minimum: 1 }), reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false }), Type.Null()]),
      },
      { additionalProperties: false, description: 'The signed, object-locked checkpoints of the chain head in storage' },
    ),
  },
  { additionalProperties: false },
);

export const AuditAnchor = Type.Object(
  {
    seq: Int64({ minimum: 1, description: 'Sequence of the chain head at the checkpoint' }),
    hash: Sha256Hex('Its hash'),
    at: Timestamp,
    key: Type.String({ maxLength: 200, description: "Object key in the tenant's bucket (a compact JWS signed with the service key, object-locked)" }),
  },
  { additionalProperties: false },
);

export const AnchorList = Type.Object({ items: PageItems(AuditAnchor) }, { additionalProperties: false });
export const AnchorListQuery = Type.Object(
  { limit: Int32({ minimum: 1, maximum: PAGE_MAX, default: 20, description: 'How many of the newest checkpoints' }) },
  { additionalProperties: false },
);
