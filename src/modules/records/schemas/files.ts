import { Type, type Static } from 'typebox';
import { Cursor, IsoDate, Limit, Metadata, NextCursor, PageItems, Timestamp, Uuid } from '../../../schemas/common.js';
import { PlanCode } from '../../file-plan/index.js';
import { Disposal, DisposalCode, DisposalState, Hold, Retention } from './lifecycle.js';

export const Confidentiality = Type.Union(
  [Type.Literal('001'), Type.Literal('002'), Type.Literal('003'), Type.Literal('004'), Type.Literal('005')],
  {
    description:
      'XDOMEA Vertraulichkeitsstufe: 003 offen < 002 VS-NfD < 005 vertraulich < 001 geheim < 004 streng geheim. A caller sees a ' +
      'file (and its cases, documents, versions) only up to its clearance, and may set a level only up to it (403 beyond)',
  },
);

export const Status = Type.Union([Type.Literal('open'), Type.Literal('closed')], {
  description: 'open, or closed (zdA: zu den Akten): closed objects and everything in them are read-only',
});

export const RecordFile = Type.Object(
  {
    id: Uuid,
    reference: Type.String({ maxLength: 200, description: 'Aktenzeichen, unique in the tenant and never reused' }),
    planUnitId: Uuid,
    planCode: PlanCode,
    title: Type.String({ maxLength: 500 }),
    description: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
    confidentiality: Confidentiality,
    leadOrgUnit: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'Federführende Organisationseinheit' }),
    metadata: Metadata,
    status: Status,
    closedOn: Type.Union([IsoDate, Type.Null()], { description: 'zdA date' }),
    retention: Retention,
    hold: Hold,
    disposal: Disposal,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: Type.String({ maxLength: 250 }),
  },
  {
    $id: 'RecordFile',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11',
        reference: '32.10.05-0042/2026',
        planUnitId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c10',
        planCode: '32.10.05',
        title: 'Gewerbeanmeldungen Innenstadt',
        description: null,
        confidentiality: '003',
        leadOrgUnit: 'FB 32 Ordnung',
        metadata: {},
        status: 'open',
        closedOn: null,
        retention: null,
        hold: null,
        disposal: null,
        createdAt: '2026-11-25T10:00:00.000Z',
        updatedAt: '2026-11-25T10:00:00.000Z',
        createdBy: 'client:gewerbe-fachverfahren',
      },
    ],
  },
);
export type RecordFile = Static<typeof RecordFile>;

const editable = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  description: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
  confidentiality: Confidentiality,
  leadOrgUnit: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
  metadata: Metadata,
};

export const CreateFile = Type.Object(
  {
    planUnitId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'The file-plan unit (or give planCode)' })),
    planCode: Type.Optional(PlanCode),
    title: editable.title,
    description: Type.Optional(editable.description),
    confidentiality: Type.Optional(editable.confidentiality),
    leadOrgUnit: Type.Optional(editable.leadOrgUnit),
    metadata: Type.Optional(editable.metadata),
  },
  {
    additionalProperties: false,
    examples: [{ planCode: '32.10.05', title: 'Gewerbeanmeldungen Innenstadt', leadOrgUnit: 'FB 32 Ordnung' }],
  },
);
export type CreateFile = Static<typeof CreateFile>;

export const UpdateFile = Type.Object(
  {
    title: Type.Optional(editable.title),
    description: Type.Optional(editable.description),
    confidentiality: Type.Optional(editable.confidentiality),
    leadOrgUnit: Type.Optional(editable.leadOrgUnit),
    metadata: Type.Optional(editable.metadata),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ title: 'Gewerbeanmeldungen Innenstadt 2026' }] },
);
export type UpdateFile = Static<typeof UpdateFile>;

export const CloseBody = Type.Object(
  {
    closedOn: Type.Optional(IsoDate),
    closeOpenCases: Type.Optional(Type.Boolean({ description: 'Close the open cases of the file on the same date' })),
  },
  { additionalProperties: false, examples: [{ closedOn: '2026-11-25', closeOpenCases: true }] },
);

export const ReopenBody = Type.Object(
  { reason: Type.String({ minLength: 3, maxLength: 1000, description: 'Why the file is reopened (kept in the audit trail)' }) },
  { additionalProperties: false, examples: [{ reason: 'Widerspruch eingegangen' }] },
);

export const FileListQuery = Type.Object(
  {
    limit: Limit,
    cursor: Type.Optional(Cursor),
    planUnitId: Type.Optional(Uuid),
    status: Type.Optional(Status),
    retentionEndsBefore: Type.Optional({ ...IsoDate, description: 'Retention ends before this date (unlimited retention never matches)' }),
    disposalCode: Type.Optional(DisposalCode),
    disposalState: Type.Optional(DisposalState),
    referencePrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 120, description: 'Reference starts with' })),
    titlePrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Title starts with (case-sensitive)' })),
    createdFrom: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Created at or after' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Created before' })),
  },
  { additionalProperties: false },
);
export type FileListQuery = Static<typeof FileListQuery>;

export const FileList = Type.Object(
  {
    items: PageItems(Type.Unsafe<RecordFile>(Type.Ref('RecordFile'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);
