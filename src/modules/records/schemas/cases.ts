import { Type, type Static } from 'typebox';
import { Cursor, IsoDate, Limit, Metadata, NextCursor, PageItems, Timestamp, Uuid } from '../../../schemas/common.js';
import { Status } from './files.js';

export const RecordCase = Type.Object(
  {
    id: Uuid,
    fileId: Uuid,
    reference: Type.String({ maxLength: 220, description: 'The file reference plus the case number, e.g. 32.10.05-0042/2026-003' }),
    title: Type.String({ maxLength: 500 }),
    description: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
    metadata: Metadata,
    status: Status,
    closedOn: Type.Union([IsoDate, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: Type.String({ maxLength: 250 }),
  },
  {
    $id: 'RecordCase',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c12',
        fileId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11',
        reference: '32.10.05-0042/2026-001',
        title: 'Gewerbeanmeldung Bäckerei Yılmaz',
        description: null,
        metadata: { portalCaseId: 'HAT-2026-00017' },
        status: 'open',
        closedOn: null,
        createdAt: '2026-11-25T10:00:00.000Z',
        updatedAt: '2026-11-25T10:00:00.000Z',
        createdBy: 'client:online-portal',
      },
    ],
  },
);
export type RecordCase = Static<typeof RecordCase>;

export const CreateCase = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 500 }),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, examples: [{ title: 'Gewerbeanmeldung Bäckerei Yılmaz', metadata: { portalCaseId: 'HAT-2026-00017' } }] },
);
export type CreateCase = Static<typeof CreateCase>;

export const UpdateCase = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateCase = Static<typeof UpdateCase>;

export const CloseCaseBody = Type.Object({ closedOn: Type.Optional(IsoDate) }, { additionalProperties: false });

export const CaseListQuery = Type.Object(
  { limit: Limit, cursor: Type.Optional(Cursor), status: Type.Optional(Status) },
  { additionalProperties: false },
);

export const CaseList = Type.Object(
  {
    items: PageItems(Type.Unsafe<RecordCase>(Type.Ref('RecordCase'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);
