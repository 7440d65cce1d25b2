import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../../lib/reply.js';
import { requires } from '../../../schemas/access.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, problemResponses } from '../../../schemas/common.js';
import { withEtag } from '../../../schemas/responses.js';
import { ArchiveDecisionBody, ArchivedBody, DestroyBody, DestructionRecord, PlaceHold, RetentionOverride } from '../schemas/lifecycle.js';
import { destructionPdf } from '../destruction-pdf.js';
import type { RecordRouteOptions } from './index.js';

const FileParams = IdParam('fileId', 'file');
const WriteHeaders = Type.Intersect([IfMatchHeaders, IdempotencyHeaders]);
const tags = ['records lifecycle'];
const security = [{ bearerAuth: [] }];
const fileAnswer = (what: string) => ({ 200: withEtag('RecordFile', what), ...problemResponses(400, 401, 403, 404, 409, 412, 422, 428, 500) });

/** Retention override, legal hold, disposal steps, destruction and its record under …/files/{fileId}. */
const lifecycleRoutes: FastifyPluginAsyncTypebox<RecordRouteOptions> = async (app, { records, workflows }) => {
  app.addSchema(DestructionRecord);

  app.put('/files/:fileId/retention', {
    schema: {
      tags, security, operationId: 'overrideRetention',
      summary: "Override a closed file's disposal code or retention period (records managers)",
      ...requires('retention:override',
        'Retention is fixed at zdA from the plan unit. A records manager may change the code and/or the period with a reason ' +
        '(422 without); the end is computed anew. Refused for an open file (409 conflict) and once the file was offered to the ' +
        'archive (409 disposal-out-of-order). Requires If-Match.'),
      params: FileParams, headers: IfMatchHeaders,
      body: RetentionOverride,
      response: fileAnswer('The file with its new retention'),
    },
  }, async (request, reply) =>
    // No body is valid (the schema requires no field): it is an empty override, refused for its missing reason.
    sendVersioned(reply, await workflows.overrideRetention(request.ctx!, request.params.fileId, request.headers['if-match'], request.body ?? {})));

  app.post('/files/:fileId/hold', {
    schema: {
      tags, security, operationId: 'placeHold',
      summary: 'Put a legal hold on a file (records managers)',
      ...requires('hold:manage',
        'While held, the file cannot be disposed of, and every version object carries an object legal hold in storage. ' +
        'A file already held, or destroyed, answers 409. Requires If-Match.'),
      params: FileParams, headers: WriteHeaders, body: PlaceHold,
      response: fileAnswer('The held file'),
    },
  }, async (request, reply) =>
    sendVersioned(reply, await workflows.placeHold(request.ctx!, request.params.fileId, request.headers['if-match'], request.body)));

  app.delete('/files/:fileId/hold', {
    schema: {
      tags, security, operationId: 'liftHold',
      summary: "Lift a file's legal hold",
      ...requires({ anyOf: ['hold:manage', 'hold:lift-others'] },
        'A records manager (`hold:manage`) lifts the holds they placed themselves; a hold someone else placed needs ' +
        '`hold:lift-others` (tenant-admin), otherwise 409 hold-placed-by-other. A file without a hold answers 409. The object ' +
        'legal holds in storage are lifted with it. Requires If-Match.'),
      params: FileParams, headers: IfMatchHeaders,
      response: fileAnswer('The file without hold'),
    },
  }, async (request, reply) => sendVersioned(reply, await workflows.liftHold(request.ctx!, request.params.fileId, request.headers['if-match'])));

  app.post('/files/:fileId/disposal/offer', {
    schema: {
      tags, security, operationId: 'offerFileForDisposal',
      summary: 'Mark a due file as offered to the archive (Anbietung)',
      ...requires('disposal:manage', 'due → offered. Refused under a hold (409 on-hold) and out of order (409 disposal-out-of-order). Requires If-Match.'),
      params: FileParams, headers: WriteHeaders,
      response: fileAnswer('The offered file'),
    },
  }, async (request, reply) => sendVersioned(reply, await records.offerForDisposal(request.ctx!, request.params.fileId, request.headers['if-match'])));

  app.post('/files/:fileId/disposal/decision', {
    schema: {
      tags, security, operationId: 'recordArchiveDecision',
      summary: "Record the archive's decision on an offered file (Bewertung)",
      ...requires('disposal:manage', 'offered → evaluated, with A (take over) or V (destroy), who decided at the archive and when. Requires If-Match.'),
      params: FileParams, headers: WriteHeaders, body: ArchiveDecisionBody,
      response: fileAnswer('The evaluated file'),
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.recordArchiveDecision(request.ctx!, request.params.fileId, request.headers['if-match'], request.body)));

  app.post('/files/:fileId/disposal/archived', {
    schema: {
      tags, security, operationId: 'confirmFileArchived',
      summary: 'Record that the archive took the file over (Übernahme)',
      ...requires('disposal:manage', "evaluated (A) → archived, with the archive's reference. Requires If-Match."),
      params: FileParams, headers: WriteHeaders, body: ArchivedBody,
      response: fileAnswer('The archived file'),
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.confirmArchived(request.ctx!, request.params.fileId, request.headers['if-match'], request.body)));

  app.post('/files/:fileId/destroy', {
    schema: {
      tags, security, operationId: 'destroyFile',
      summary: 'Destroy a file (the only deletion)',
      ...requires('records:destroy',
        'Only for files the archive evaluated V, or archived ones, never under a hold. Removes every version object ' +
        '(GOVERNANCE locks are bypassed; COMPLIANCE objects before their date answer 409 content-locked) and the cases, ' +
        'documents and versions; the file stays as a tombstone, with the audit trail and a destruction record (Löschprotokoll). ' +
        'Requires If-Match.'),
      params: FileParams, headers: WriteHeaders, body: Type.Optional(DestroyBody),
      response: { 201: { ...Type.Ref('DestructionRecord'), description: 'The destruction record' }, ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) => {
    const record = await workflows.destroyFile(request.ctx!, request.params.fileId, request.headers['if-match'], request.body ?? {});
    reply.header('location', `/v1/tenants/${request.ctx!.tenant.slug}/files/${record.fileId}/destruction-record`);
    return reply.code(201).send(record);
  });

  app.get('/files/:fileId/destruction-record', {
    schema: {
      tags, security, operationId: 'getDestructionRecord',
      summary: 'The destruction record (Löschprotokoll) of a destroyed file, as JSON',
      ...requires('records:read',
        'What was destroyed, when, by whom and on which decision: the file\'s reference, plan unit and retention, the archive\'s ' +
        'decision (A or V, who, when, its reference), how many cases, documents, versions and bytes were removed (and whether ' +
        'GOVERNANCE locks were bypassed), and the audit event (sequence and hash) that records it. Written once by ' +
        '`POST …/destroy`; a file that was not destroyed answers 409 conflict, an unknown file 404.'),
      params: FileParams,
      response: { 200: { ...Type.Ref('DestructionRecord'), description: 'The destruction record' }, ...problemResponses(400, 401, 403, 404, 409, 500) },
    },
  }, async (request) => records.destructionRecord(request.ctx!, request.params.fileId));

  app.get('/files/:fileId/destruction-record/pdf', {
    schema: {
      tags, security, operationId: 'getDestructionRecordPdf',
      summary: 'The destruction record (Löschprotokoll) of a destroyed file, as PDF',
      ...requires('records:read',
        'The same record as `GET …/destruction-record`, rendered as a PDF for filing or printing (Content-Disposition ' +
        '`loeschprotokoll-<id>.pdf`). An Accept header without application/pdf answers 406; a file that was not destroyed 409.'),
      params: FileParams,
      produces: ['application/pdf'],
      response: {
        200: { description: 'The destruction record as PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary', maxLength: 1_000_000 } } } },
        ...problemResponses(400, 401, 403, 404, 406, 409, 500),
      },
    },
  }, async (request, reply) => {
    const record = await records.destructionRecord(request.ctx!, request.params.fileId);
    const pdf = await destructionPdf(record, request.ctx!.tenant.slug);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="loeschprotokoll-${record.id}.pdf"`)
      .send(Buffer.from(pdf) as unknown as string);
  });
};

export default lifecycleRoutes;
