import { Type, type Static } from 'typebox';
import { Int32, Int64, Timestamp, Uuid } from '../../schemas/common.js';
import { VersionParam } from './schemas.js';

const XdomeaVersionValue = Type.Union([Type.Literal('3.0.0'), Type.Literal('4.0.0')], { description: 'XDOMEA version of the message' });
const FileIds = (min: number) => Type.Array(Uuid, { minItems: min, maxItems: 1000, uniqueItems: true, description: 'Ids of the files (at most 1000)' });
const Recipient = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Name of the receiving institution (the archive), written into the message head' }));

export const VersionQuery = Type.Object({ version: VersionParam }, { additionalProperties: false });

export const OfferBody = Type.Object(
  { fileIds: FileIds(1), recipient: Recipient },
  { additionalProperties: false, examples: [{ fileIds: ['01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11'], recipient: 'Landesarchiv NRW' }] },
);

export const ExportRequest = Type.Object(
  {
    message: Type.Union([Type.Literal('0503'), Type.Literal('0401')], { description: '0503 Aussonderung (files evaluated A) or 0401 Abgabe (one file)' }),
    fileIds: Type.Optional(FileIds(1)),
    recipient: Recipient,
  },
  { additionalProperties: false, examples: [{ message: '0503' }, { message: '0401', fileIds: ['01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11'], recipient: 'EN-Kreis' }] },
);

const Bytes = Int64({ description: 'Bytes' });

export const ExportStatusSchema = Type.Object(
  {
    id: Uuid,
    message: Type.Union([Type.Literal('0503'), Type.Literal('0401')]),
    version: XdomeaVersionValue,
    processId: Uuid,
    fileIds: Type.Array(Uuid, { maxItems: 1000 }),
    state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('expired'), Type.Literal('withdrawn')]),
    progress: Type.Object({
      entriesDone: Int32({ maximum: 10_000_000, description: 'ZIP entries written' }),
      entriesTotal: Int32({ maximum: 10_000_000, description: 'ZIP entries to write (message + one per version)' }),
      bytesDone: Bytes,
      bytesTotal: Bytes,
    }, { additionalProperties: false }),
    filename: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'The container\'s XDOMEA name' }),
    size: Type.Union([Bytes, Type.Null()], { description: 'Size of the container once done' }),
    sha256: Type.Union([Type.String({ maxLength: 64, pattern: '^[0-9a-f]{64}$' }), Type.Null()]),
    error: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    createdAt: Timestamp,
    createdBy: Type.String({ maxLength: 250 }),
    startedAt: Type.Union([Timestamp, Type.Null()]),
    finishedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: 'XdomeaExport', additionalProperties: false, description: 'An XDOMEA export (0503 or 0401) as a job: its state, progress and container' },
);
/** The shared schema by reference (registered once by the Aussonderung routes). */
export const ExportStatusRef = Type.Unsafe<Static<typeof ExportStatusSchema>>(Type.Ref('XdomeaExport'));

export const ArchiveMessageResult = Type.Object(
  {
    message: Type.Union([Type.Literal('0504'), Type.Literal('0506'), Type.Literal('0507')]),
    version: XdomeaVersionValue,
    processId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    sender: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]),
    archived: Type.Array(Type.Object({ fileId: Uuid, archiveReference: Type.String({ maxLength: 200 }) }, { additionalProperties: false }), { maxItems: 1000 }),
    failed: Type.Array(Type.Object({ fileId: Uuid, errors: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 20 }) }, { additionalProperties: false }), { maxItems: 1000 }),
  },
  { additionalProperties: false },
);
