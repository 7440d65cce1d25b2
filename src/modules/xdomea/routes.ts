import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { InScope } from '../../core/index.js';
import { requires } from '../../schemas/access.js';
import { IdempotencyHeaders, IdParam, problemResponses, Slug } from '../../schemas/common.js';
import { described } from '../../schemas/responses.js';
import type { PlanExchange } from './plan-service.js';
import { AbgabeImportQuery, AbgabeImportResult, ExportAbgabeQuery, ExportPlanQuery, PLAN_MESSAGE_MAX_BYTES, PlanImportResult, XmlMessage, ZipMessage } from './schemas.js';
import type { AbgabeWorkflows } from './workflows.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const tags = ['XDOMEA'];
const security = [{ bearerAuth: [] }];
const MESSAGE_TYPES = ['application/xml', 'text/xml', 'application/zip'];

export interface XdomeaRouteOptions {
  plan: InScope<PlanExchange>;
  abgabe: AbgabeWorkflows;
}

/** XDOMEA exchange: file plans (0301) in and out. Messages are XML, containers ZIP; both are validated before anything is written. */
const xdomeaRoutes: FastifyPluginAsyncTypebox<XdomeaRouteOptions> = async (app, { plan, abgabe }) => {
  // Messages arrive as XML or ZIP, never JSON: only these parsers live in this context.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(MESSAGE_TYPES, { parseAs: 'buffer', bodyLimit: PLAN_MESSAGE_MAX_BYTES }, (_request, body, done) => done(null, body));

  app.get('/xdomea/file-plan', {
    schema: {
      tags, security, operationId: 'exportFilePlanXdomea',
      summary: 'Export the file plan as XDOMEA Aktenplan.Aktenplan.0301',
      ...requires('plan:read',
        'The whole plan, retired units marked Stillgelegt, in XDOMEA 3.0.0 (default) or 4.0.0. Validated against the official schema before it is sent.'),
      params: TenantOnly, querystring: ExportPlanQuery,
      produces: ['application/xml'],
      response: { 200: XmlMessage('The 0301 message', 64 * 1024 * 1024), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => {
    const { xml, processId } = await plan.exportPlan(request.ctx!, request.query);
    reply.type('application/xml; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${processId}_Aktenplan.Aktenplan.0301.xml"`);
    return reply.send(xml);
  });

  app.post('/xdomea/file-plan', {
    schema: {
      tags, security, operationId: 'importFilePlanXdomea',
      summary: 'Import a file plan from an XDOMEA Aktenplan.Aktenplan.0301 (all or nothing)',
      ...requires('plan:write',
        'For a town migrating from another DMS. The body is the 0301 message (application/xml) in XDOMEA 3.0.0 or 4.0.0, or a ZIP ' +
        '(application/zip) holding it. The message is validated against the official schema first: an invalid one answers 422 ' +
        'message-invalid with `schemaErrors` [{line, message}]. A DTD is refused outright. Then every unit is mapped (codes ' +
        'extend their parent by one segment; disposal A, B or V); any refusal, duplicate or existing code rejects the whole import.'),
      params: TenantOnly, headers: IdempotencyHeaders,
      consumes: MESSAGE_TYPES,
      body: { type: 'string', format: 'binary', maxLength: PLAN_MESSAGE_MAX_BYTES, description: 'The 0301 message, or a ZIP holding it' },
      response: { 201: described(PlanImportResult, 'What was created'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
    },
  }, async (request, reply) => reply.code(201).send(await plan.importPlan(request.ctx!, request.body as unknown as Buffer | undefined)));

  app.get('/files/:fileId/xdomea/abgabe', {
    schema: {
      tags, security, operationId: 'exportAbgabeXdomea',
      summary: 'Export a file as an XDOMEA Abgabe.Abgabe.0401 container (ZIP)',
      ...requires('content:read',
        'For a change of competence: the file with all its cases, documents and versions, in XDOMEA 3.0.0 (default) or 4.0.0. ' +
        'The ZIP holds the message (`<ProzessID>_Abgabe.Abgabe.0401.xml` in 3.0.0, `<ProzessID>_0401_1.xml` in 4.0.0, validated ' +
        'against the official schema) and every version as `<uuid>.<ext>`, streamed from storage. The export is recorded in the audit trail.'),
      params: IdParam('fileId', 'file'), querystring: ExportAbgabeQuery,
      produces: ['application/zip'],
      response: { 200: ZipMessage('The 0401 container'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => {
    const out = await abgabe.exportAbgabe(request.ctx!, request.params.fileId, request.query);
    reply.type('application/zip');
    reply.header('content-disposition', `attachment; filename="${out.filename}"`);
    return reply.send(out.body);
  });

  // The 0401 container is streamed to storage as it arrives, then read from there entry by entry.
  await app.register(async (streamed) => {
    streamed.removeAllContentTypeParsers();
    streamed.addContentTypeParser('application/zip', (_request, payload, done) => done(null, payload));
    streamed.post('/xdomea/abgabe', {
      config: { idempotency: 'stream' },
      schema: {
        tags, security, operationId: 'importAbgabeXdomea',
        summary: 'Import an XDOMEA Abgabe.Abgabe.0401 container as a new file (all or nothing)',
        ...requires({ allOf: ['xdomea:import', 'records:write'] },
          'A file handed over by another authority, from any XDOMEA 3.0.0 or 4.0.0 system: the ZIP with the 0401 message and its ' +
          'primary files. The records manager accepts it under one of the tenant\'s plan units (`planCode`); the file gets a ' +
          'reference of its own. The container is checked first (entry count, sizes, compression ratio, names), the message ' +
          'validated against its schema (422 message-invalid with schemaErrors), every primary file must be present and match ' +
          'the SHA-256 the message states (422 container-rejected). A refusal leaves nothing behind.'),
        params: TenantOnly, querystring: AbgabeImportQuery, headers: IdempotencyHeaders,
        consumes: ['application/zip'],
        body: { type: 'string', format: 'binary', maxLength: 2 ** 40, description: 'The 0401 container' },
        response: { 201: described(AbgabeImportResult, 'The new file'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
      },
    }, async (request, reply) => {
      const replay = request.idempotency?.replay;
      if (replay) return reply.replayIdempotent(replay);
      // No body: the workflow authorizes first, then answers 400 for the empty container.
      const body = (request.body as unknown as AsyncIterable<Uint8Array> | undefined) ?? Readable.from([]);
      return reply.code(201).send(await abgabe.importAbgabe(request.ctx!, body, request.query as { planCode: string }));
    });
  });
};

export default xdomeaRoutes;
