import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { InScope } from '../../core/index.js';
import { IdempotencyHeaders, problemResponses, Slug } from '../../schemas/common.js';
import { described } from '../../schemas/responses.js';
import type { PlanExchange } from './plan-service.js';
import { ExportPlanQuery, PLAN_MESSAGE_MAX_BYTES, PlanImportResult, XmlMessage } from './schemas.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const tags = ['XDOMEA'];
const security = [{ bearerAuth: [] }];
const MESSAGE_TYPES = ['application/xml', 'text/xml', 'application/zip'];

export interface XdomeaRouteOptions {
  plan: InScope<PlanExchange>;
}

/** XDOMEA exchange: file plans (0301) in and out. Messages are XML, containers ZIP; both are validated before anything is written. */
const xdomeaRoutes: FastifyPluginAsyncTypebox<XdomeaRouteOptions> = async (app, { plan }) => {
  // Messages arrive as XML or ZIP, never JSON: only these parsers live in this context.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(MESSAGE_TYPES, { parseAs: 'buffer', bodyLimit: PLAN_MESSAGE_MAX_BYTES }, (_request, body, done) => done(null, body));

  app.get('/xdomea/file-plan', {
    schema: {
      tags, security, operationId: 'exportFilePlanXdomea',
      summary: 'Export the file plan as XDOMEA Aktenplan.Aktenplan.0301',
      description: 'The whole plan, retired units marked Stillgelegt, in XDOMEA 3.0.0 (default) or 4.0.0. Validated against the official schema before it is sent.',
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
      description:
        'For a town migrating from another DMS. The body is the 0301 message (application/xml) in XDOMEA 3.0.0 or 4.0.0, or a ZIP ' +
        '(application/zip) holding it. The message is validated against the official schema first: an invalid one answers 422 ' +
        'message-invalid with `schemaErrors` [{line, message}]. A DTD is refused outright. Then every unit is mapped (codes ' +
        'extend their parent by one segment; disposal A, B or V); any refusal, duplicate or existing code rejects the whole import.',
      params: TenantOnly, headers: IdempotencyHeaders,
      consumes: MESSAGE_TYPES,
      body: { type: 'string', format: 'binary', maxLength: PLAN_MESSAGE_MAX_BYTES, description: 'The 0301 message, or a ZIP holding it' },
      response: { 201: described(PlanImportResult, 'What was created'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
    },
  }, async (request, reply) => reply.code(201).send(await plan.importPlan(request.ctx!, request.body as unknown as Buffer | undefined)));
};

export default xdomeaRoutes;
