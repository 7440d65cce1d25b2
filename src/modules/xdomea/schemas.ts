import { Type } from 'typebox';
import { PlanCode } from '../file-plan/index.js';
import { Int32, Uuid } from '../../schemas/common.js';

export const VersionParam = Type.Union([Type.Literal('3.0.0'), Type.Literal('4.0.0')], {
  default: '3.0.0',
  description: 'XDOMEA version of the message: 3.0.0 (mandated by the IT-Planungsrat, default) or 4.0.0 (current)',
});

export const ExportPlanQuery = Type.Object(
  {
    version: VersionParam,
    recipient: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Name of the receiving institution, written into the message head' })),
  },
  { additionalProperties: false },
);

export const PlanImportResult = Type.Object(
  {
    created: Int32({ maximum: 10_000, description: 'Units created' }),
    retired: Int32({ maximum: 10_000, description: 'Of those, units the message marks Stillgelegt (created retired)' }),
    version: Type.Union([Type.Literal('3.0.0'), Type.Literal('4.0.0')], { description: 'XDOMEA version of the message' }),
    processId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'ProzessID of the message' }),
    sender: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()], { description: 'Sending institution named in the message head' }),
  },
  { additionalProperties: false },
);

/** Most bytes of a 0301 (or the ZIP holding it) sent to the import. */
export const PLAN_MESSAGE_MAX_BYTES = 16 * 1024 * 1024;

export const XmlMessage = (description: string, maxLength: number) => ({
  description,
  content: { 'application/xml': { schema: { type: 'string', maxLength, description: 'An XDOMEA message, UTF-8' } } },
  headers: {
    'content-disposition': { type: 'string', maxLength: 200, description: 'attachment; filename="<process-uuid>_<message-name>.<code>.xml"' },
  },
});

export const ExportAbgabeQuery = ExportPlanQuery;

export const AbgabeImportQuery = Type.Object(
  { planCode: PlanCode },
  { additionalProperties: false },
);

export const AbgabeImportResult = Type.Object(
  {
    fileId: Uuid,
    reference: Type.String({ maxLength: 200, description: 'The new file\'s own reference (Aktenzeichen)' }),
    cases: Int32({ maximum: 1_000_000, description: 'Cases created' }),
    documents: Int32({ maximum: 1_000_000, description: 'Documents created' }),
    versions: Int32({ maximum: 10_000_000, description: 'Versions created' }),
    version: Type.Union([Type.Literal('3.0.0'), Type.Literal('4.0.0')], { description: 'XDOMEA version of the message' }),
    processId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'ProzessID of the message' }),
    sender: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()], { description: 'Sending institution named in the message head' }),
  },
  { additionalProperties: false },
);

export const ZipMessage = (description: string) => ({
  description,
  content: { 'application/zip': { schema: { type: 'string', format: 'binary', maxLength: 2 ** 40, description: 'An XDOMEA container' } } },
  headers: {
    'content-disposition': { type: 'string', maxLength: 200, description: 'attachment; filename="<process-uuid>_…0401….zip"' },
  },
});
