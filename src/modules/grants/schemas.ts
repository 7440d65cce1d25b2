import { Type, type Static } from 'typebox';
import { Int32, Limit, NextCursor, PageItems, Timestamp, Uuid } from '../../schemas/common.js';

export const GrantScope = Type.Union([Type.Literal('read'), Type.Literal('read-write')], {
  description: 'read: GET only; read-write: also changes (as a clerk of the town)',
});

export const GrantStatus = Type.Union(
  [Type.Literal('requested'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('revoked'), Type.Literal('expired')],
  { description: 'requested → approved | rejected; approved → revoked or expired (validUntil passed)' },
);

export const SupportGrant = Type.Object(
  {
    id: Uuid,
    grantee: Type.String({ maxLength: 250, description: 'The competence-centre staff member (token subject) allowed to act' }),
    requestedBy: Type.String({ maxLength: 250 }),
    scope: GrantScope,
    fileId: Type.Union([Uuid, Type.Null()], { description: 'Only this file (with its cases and documents); null: the whole tenant' }),
    reason: Type.String({ maxLength: 1000 }),
    ticket: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    durationHours: Int32({ minimum: 1, maximum: 336 }),
    status: GrantStatus,
    decidedBy: Type.Union([Type.String({ maxLength: 250 }), Type.Null()]),
    decidedAt: Type.Union([Timestamp, Type.Null()]),
    validFrom: Type.Union([Timestamp, Type.Null()]),
    validUntil: Type.Union([Timestamp, Type.Null()]),
    revokedBy: Type.Union([Type.String({ maxLength: 250 }), Type.Null()]),
    revokedAt: Type.Union([Timestamp, Type.Null()]),
    createdAt: Timestamp,
  },
  {
    $id: 'SupportGrant',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c20',
        grantee: 'kk.mueller',
        requestedBy: 'kk.mueller',
        scope: 'read',
        fileId: null,
        reason: 'Ticket 4711: Aktenzeichen doppelt vergeben?',
        ticket: 'KZ-4711',
        durationHours: 8,
        status: 'approved',
        decidedBy: 'admin@hattingen',
        decidedAt: '2026-11-25T09:00:00.000Z',
        validFrom: '2026-11-25T09:00:00.000Z',
        validUntil: '2026-11-25T17:00:00.000Z',
        revokedBy: null,
        revokedAt: null,
        createdAt: '2026-11-25T08:55:00.000Z',
      },
    ],
  },
);
export type SupportGrant = Static<typeof SupportGrant>;

export const RequestGrant = Type.Object(
  {
    grantee: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Staff member to act (default: the requester)' })),
    scope: GrantScope,
    fileId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Limit the grant to one file' })),
    reason: Type.String({ minLength: 3, maxLength: 1000 }),
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    durationHours: Int32({ minimum: 1, maximum: 336, description: 'How long the grant lasts once approved (at most 14 days)' }),
  },
  { additionalProperties: false, examples: [{ scope: 'read', reason: 'Ticket 4711: Aktenzeichen doppelt vergeben?', ticket: 'KZ-4711', durationHours: 8 }] },
);
export type RequestGrant = Static<typeof RequestGrant>;

export const DecisionBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 1000, description: 'Why (kept in the audit trail)' })) },
  { additionalProperties: false },
);

export const GrantListQuery = Type.Object(
  {
    limit: Limit,
    cursor: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' })),
    status: Type.Optional(GrantStatus),
  },
  { additionalProperties: false },
);

export const GrantList = Type.Object(
  {
    items: PageItems(Type.Unsafe<SupportGrant>(Type.Ref('SupportGrant'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);
