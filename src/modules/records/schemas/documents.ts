import { Type, type Static } from 'typebox';
import { Cursor, Int32, IsoDate, Limit, Metadata, NextCursor, PageItems, Timestamp, Uuid } from '../../../schemas/common.js';

export const DOCUMENT_KINDS = ['letter', 'application', 'form', 'decision', 'notice', 'email', 'photo', 'scan', 'note', 'other'] as const;

export const DocumentKind = Type.Union(
  DOCUMENT_KINDS.map((k) => Type.Literal(k)),
  { description: 'letter, application (Antrag), form, decision (Bescheid), notice, email, photo, scan, note, other' },
);

export const Checkout = Type.Object(
  {
    by: Type.String({ maxLength: 250, description: 'Who holds the check-out (subject or client:<id>)' }),
    until: Timestamp,
  },
  { additionalProperties: false, description: 'Active check-out; others cannot add versions until it ends' },
);

export const RecordDocument = Type.Object(
  {
    id: Uuid,
    caseId: Uuid,
    title: Type.String({ maxLength: 500 }),
    kind: DocumentKind,
    receivedOn: Type.Union([IsoDate, Type.Null()], { description: 'Posteingang' }),
    sentOn: Type.Union([IsoDate, Type.Null()], { description: 'Postausgang' }),
    sender: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    addressee: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    metadata: Metadata,
    versionCount: Int32({ description: 'Number of the latest version (0: no content yet)' }),
    checkout: Type.Union([Checkout, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: Type.String({ maxLength: 250 }),
  },
  {
    $id: 'RecordDocument',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c13',
        caseId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c12',
        title: 'Gewerbeanmeldung (GewA 1)',
        kind: 'application',
        receivedOn: '2026-11-24',
        sentOn: null,
        sender: 'Aylin Yılmaz',
        addressee: 'Stadt Hattingen, FB Ordnung',
        metadata: {},
        versionCount: 1,
        checkout: null,
        createdAt: '2026-11-25T10:00:00.000Z',
        updatedAt: '2026-11-25T10:00:00.000Z',
        createdBy: 'client:online-portal',
      },
    ],
  },
);
export type RecordDocument = Static<typeof RecordDocument>;

const editable = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  kind: DocumentKind,
  receivedOn: Type.Union([IsoDate, Type.Null()]),
  sentOn: Type.Union([IsoDate, Type.Null()]),
  sender: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  addressee: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  metadata: Metadata,
};

export const CreateDocument = Type.Object(
  {
    title: editable.title,
    kind: editable.kind,
    receivedOn: Type.Optional(editable.receivedOn),
    sentOn: Type.Optional(editable.sentOn),
    sender: Type.Optional(editable.sender),
    addressee: Type.Optional(editable.addressee),
    metadata: Type.Optional(editable.metadata),
  },
  {
    additionalProperties: false,
    examples: [{ title: 'Gewerbeanmeldung (GewA 1)', kind: 'application', receivedOn: '2026-11-24', sender: 'Aylin Yılmaz' }],
  },
);
export type CreateDocument = Static<typeof CreateDocument>;

export const UpdateDocument = Type.Object(
  {
    title: Type.Optional(editable.title),
    kind: Type.Optional(editable.kind),
    receivedOn: Type.Optional(editable.receivedOn),
    sentOn: Type.Optional(editable.sentOn),
    sender: Type.Optional(editable.sender),
    addressee: Type.Optional(editable.addressee),
    metadata: Type.Optional(editable.metadata),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateDocument = Static<typeof UpdateDocument>;

export const CheckoutBody = Type.Object(
  {
    minutes: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 7 * 24 * 60, default: 60, description: 'How long the check-out lasts (default 60)' })),
  },
  { additionalProperties: false, examples: [{ minutes: 120 }], description: 'Optional: no body (or {}) checks out for 60 minutes' },
);

export const ReleaseQuery = Type.Object(
  { break: Type.Boolean({ default: false, description: "Break someone else's check-out (records managers)" }) },
  { additionalProperties: false },
);

export const DocumentListQuery = Type.Object({ limit: Limit, cursor: Type.Optional(Cursor) }, { additionalProperties: false });

export const DocumentList = Type.Object(
  {
    items: PageItems(Type.Unsafe<RecordDocument>(Type.Ref('RecordDocument'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);
