import { Type, type Static, type TSchema } from 'typebox';
import { Slug, Timestamp, Uuid } from '../schemas/common.js';

/**
 * The event catalogue: everything EN-Akte tells other systems about (webhooks now; the search
 * index later). An event is written to the outbox together with its audit event, in the same
 * statement, so an event exists exactly when its change committed. Data stays small: identifiers,
 * states and the names of changed fields, never content bytes and never titles or names (a receiver
 * that needs more reads the object with its own token).
 */
const Reference = Type.String({ maxLength: 200, description: 'Aktenzeichen of the file or case' });
const Changed = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32, description: 'Names of the fields that changed (values are in the audit trail)' });
const Grantee = Type.String({ maxLength: 250, description: 'Competence-centre staff member the grant is for' });
const GrantScope = Type.Union([Type.Literal('read'), Type.Literal('read-write')]);
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Actor = Type.String({ maxLength: 250, description: 'Who: the person (sub) or `client:<id>`' });
const Day = Type.String({ format: 'date', maxLength: 10 });

const SubmissionState = Type.Union([Type.Literal('received'), Type.Literal('accepted'), Type.Literal('rejected'), Type.Literal('in-progress'), Type.Literal('decided'), Type.Literal('closed')]);
const ServiceKey = Type.String({ maxLength: 64, description: 'LeiKa/FIM id of the online service' });
const PortalId = Type.String({ maxLength: 100, description: "The portal's submission id" });

const spec = <S extends SubjectType, D extends TSchema>(subject: S, summary: string, data: D) => ({ subject, summary, data });

export const SUBJECT_TYPES = ['file', 'case', 'document', 'version', 'support-grant', 'webhook', 'submission'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** Online services (issue 13): submissions from the portal, in FIT-Connect's states. No form data, no names. */
const SUBMISSION_EVENTS = {
  'submission.received': spec('submission', 'A submission from the online-service portal was filed (file or case, documents)', Type.Object({ serviceKey: ServiceKey, portalId: PortalId, originTenant: Type.String({ ...Slug, description: 'Tenant the portal sent it to' }), paymentRequired: Type.Boolean() })),
  'submission.forwarded': spec('submission', 'A submission sent to this tenant was filed with the competent tenant instead (Abgabe)', Type.Object({ serviceKey: ServiceKey, portalId: PortalId, filedWith: Type.String({ ...Slug, description: 'Competent tenant' }) })),
  'submission.state-changed': spec('submission', 'A submission moved to another processing state', Type.Object({ from: SubmissionState, to: SubmissionState, reason: Type.Optional(Type.String({ maxLength: 1000 })) })),
  'submission.payment-changed': spec('submission', 'The payment provider (ePayBL) reported a payment status', Type.Object({ status: Type.Union([Type.Literal('open'), Type.Literal('paid'), Type.Literal('failed'), Type.Literal('refunded')]), amountCents: Type.Integer({ format: 'int32', minimum: 0, maximum: 2147483647 }), transactionReference: Type.String({ maxLength: 100 }) })),
  'submission.overdue': spec('submission', 'A submission has waited in state received for longer than SUBMISSION_OVERDUE_DAYS', Type.Object({ since: Timestamp })),
} as const;

export const EVENT_CATALOGUE = {
  'file.created': spec('file', 'A file (Akte) was created', Type.Object({ reference: Reference, planCode: Type.String({ maxLength: 64 }), confidentiality: Type.String({ pattern: '^00[1-5]$', maxLength: 3 }) })),
  'file.updated': spec('file', "A file's metadata changed", Type.Object({ reference: Reference, changed: Changed })),
  'file.closed': spec('file', 'A file was closed (zdA)', Type.Object({ reference: Reference, closedOn: Day, casesClosed: Type.Integer({ format: 'int32', minimum: 0, maximum: 2147483647 }) })),
  'file.reopened': spec('file', 'A closed file was reopened by a records manager', Type.Object({ reference: Reference })),
  'file.retention-changed': spec(
    'file',
    "A records manager overrode a closed file's disposal code or retention period (reason in the audit trail)",
    Type.Object({ reference: Reference, disposalCode: Type.String({ maxLength: 1 }), retentionYears: Nullable(Type.Integer({ format: 'int32', minimum: 0, maximum: 200 })), retentionEndsOn: Nullable(Day) }),
  ),
  'file.hold-placed': spec('file', 'A legal hold was put on a file', Type.Object({ reference: Reference, holdReference: Nullable(Type.String({ maxLength: 200 })) })),
  'file.hold-lifted': spec('file', "A file's legal hold was lifted", Type.Object({ reference: Reference })),
  'file.retention-ended': spec('file', "A closed file's retention ended; it is due for disposal (Aussonderung)", Type.Object({ reference: Reference, retentionEndsOn: Day, disposalCode: Type.String({ maxLength: 1 }) })),
  'file.offered': spec('file', 'A file due for disposal was offered to the archive', Type.Object({ reference: Reference })),
  'file.evaluated': spec('file', "The archive's decision on an offered file was recorded: A take over, V destroy", Type.Object({ reference: Reference, decision: Type.Union([Type.Literal('A'), Type.Literal('V')]) })),
  'file.archived': spec('file', 'The archive confirmed it took over the file', Type.Object({ reference: Reference, archiveReference: Type.String({ maxLength: 200 }) })),
  'file.destroyed': spec('file', 'A file was destroyed; its tombstone and destruction record remain', Type.Object({ reference: Reference, destructionId: Uuid })),
  // XDOMEA in-service hand-over (Abgabe 0401/0402) to another tenant, told to the sending tenant.
  'file.handover-offered': spec('file', 'A records manager handed the file over to another tenant (0401); the recipient decides', Type.Object({ reference: Reference, recipient: Type.String({ ...Slug, description: 'Recipient tenant' }), handoverId: Uuid, processId: Uuid })),
  'file.handed-over': spec('file', 'The recipient tenant accepted the hand-over (0402); the file was closed with a note of it', Type.Object({ reference: Reference, recipient: Type.String({ ...Slug, description: 'Recipient tenant' }), recipientReference: Reference, handoverId: Uuid, processId: Uuid })),
  'file.handover-refused': spec('file', 'The recipient tenant refused the hand-over (0402, not successful); the file stays open', Type.Object({ reference: Reference, recipient: Type.String({ ...Slug, description: 'Recipient tenant' }), handoverId: Uuid, processId: Uuid })),
  'case.created': spec('case', 'A case (Vorgang) was opened in a file', Type.Object({ reference: Reference })),
  'case.updated': spec('case', "A case's metadata changed", Type.Object({ reference: Reference, changed: Changed })),
  'case.closed': spec('case', 'A case was closed (zdA), on its own or with its file', Type.Object({ reference: Reference, closedOn: Day })),
  'case.reopened': spec('case', 'A closed case was reopened by a records manager', Type.Object({ reference: Reference })),
  'document.created': spec('document', 'A document was added to a case', Type.Object({ kind: Type.String({ maxLength: 32 }) })),
  'document.updated': spec('document', "A document's metadata changed", Type.Object({ changed: Changed })),
  'document.checked-out': spec('document', 'A document was checked out (locked for editing)', Type.Object({ by: Actor, until: Timestamp })),
  'document.checked-in': spec(
    'document',
    'A check-out ended: released by its holder, checked in with a new version, broken by a records manager, or expired',
    Type.Object({ by: Actor, how: Type.Union([Type.Literal('released'), Type.Literal('version'), Type.Literal('broken'), Type.Literal('expired')]) }),
  ),
  'version.created': spec(
    'version',
    'A new immutable version of a document was stored',
    Type.Object({
      number: Type.Integer({ format: 'int32', minimum: 1, maximum: 2147483647 }),
      size: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      sha256: Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64 }),
      mediaType: Type.String({ maxLength: 255 }),
    }),
  ),
  'grant.requested': spec(
    'support-grant',
    'The competence centre asks the town for support access; the town decides',
    Type.Object({ grantee: Grantee, scope: GrantScope, fileId: Nullable(Uuid), durationHours: Type.Integer({ format: 'int32', minimum: 1, maximum: 336 }) }),
  ),
  'grant.approved': spec('support-grant', 'The town approved a support grant', Type.Object({ grantee: Grantee, scope: GrantScope, fileId: Nullable(Uuid), validUntil: Timestamp })),
  'grant.rejected': spec('support-grant', 'The town rejected a support grant', Type.Object({ grantee: Grantee })),
  'grant.revoked': spec('support-grant', 'The town revoked a support grant', Type.Object({ grantee: Grantee })),
  'grant.expired': spec('support-grant', 'A support grant reached its end', Type.Object({ grantee: Grantee, validUntil: Timestamp })),
  ...SUBMISSION_EVENTS,
  'webhook.test': spec('webhook', 'A test event, sent on request to one subscription', Type.Object({ message: Type.String({ maxLength: 500 }) })),
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];
export type EventData<T extends EventType> = Static<(typeof EVENT_CATALOGUE)[T]['data']>;

/** The parents of an event's subject: a version names its document, case and file. */
export interface EventParents {
  fileId?: string;
  caseId?: string;
  documentId?: string;
}

/** An event as a service emits it; the audit writer adds id, tenant, time and the audit link. */
export interface EventDraft<T extends EventType = EventType> {
  type: T;
  subject: { type: SubjectType; id: string };
  parents: EventParents;
  data: EventData<T>;
}

/** Builds a draft; the subject type comes from the catalogue. */
export function eventOf<T extends EventType>(type: T, subjectId: string, parents: EventParents, data: EventData<T>): EventDraft<T> {
  return { type, subject: { type: EVENT_CATALOGUE[type].subject, id: subjectId }, parents, data };
}

/** An event as it is stored in the outbox and delivered (the webhook payload). */
export interface DomainEvent<T extends EventType = EventType> extends EventDraft<T> {
  /** UUIDv7; also the `webhook-id` of every delivery, so receivers can drop duplicates. */
  id: string;
  tenant: string;
  /** RFC 3339, the time of the change. */
  timestamp: string;
  /** The audit event that records the same change. */
  audit: { seq: number; hash: string };
}

/** The payload schema of one event type (OpenAPI `webhooks` section). */
export function eventPayloadSchema(type: EventType) {
  const entry = EVENT_CATALOGUE[type];
  return Type.Object(
    {
      id: Type.String({ format: 'uuid', maxLength: 36, description: 'Event id (UUIDv7); the same in every delivery attempt (webhook-id header)' }),
      type: Type.Literal(type),
      timestamp: Type.String({ format: 'date-time', maxLength: 40, description: 'When the change happened' }),
      tenant: Type.String({ ...Slug, description: 'Tenant slug' }),
      subject: Type.Object({ type: Type.Literal(entry.subject), id: Uuid }, { additionalProperties: false }),
      parents: Type.Object(
        {
          fileId: Type.Optional(Uuid),
          caseId: Type.Optional(Uuid),
          documentId: Type.Optional(Uuid),
        },
        { additionalProperties: false, description: 'The file, case and document the subject belongs to' },
      ),
      data: entry.data,
      audit: Type.Object(
        { seq: Type.Integer({ format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), hash: Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64 }) },
        { additionalProperties: false, description: "Sequence and hash of the audit event recording the change (GET …/audit?objectId=…)" },
      ),
    },
    { additionalProperties: false, description: entry.summary },
  );
}
