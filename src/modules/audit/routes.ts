import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { requires } from '../../schemas/access.js';
import { problemResponses, Slug } from '../../schemas/common.js';
import { AnchorList, AnchorListQuery, AuditAnchor, AuditList, AuditQuery, ExportQuery, VerifyResult } from './schemas.js';
import type { AuditService } from './service.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const tags = ['audit'];
const security = [{ bearerAuth: [] }];

const auditRoutes: FastifyPluginAsyncTypebox<{ service: AuditService }> = async (app, { service }) => {
  app.get('/audit', {
    schema: {
      tags, security, operationId: 'listAuditEvents',
      summary: 'List audit events (Protokoll), filtered',
      ...requires('audit:read',
        'Every write and every content read, with actor (and the support grant when the competence centre acted), ' +
        'old and new values. Filter by object, type, action, actor, grant and time; ordered by sequence. `limit` per page ' +
        '(default 50, at most 200); pass `next` as `cursor` for the next page.'),
      params: TenantOnly, querystring: AuditQuery,
      response: { 200: AuditList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.list(request.ctx!, request.query));

  app.get('/audit/objects/:objectId', {
    schema: {
      tags, security, operationId: 'getObjectHistory', summary: 'The history of one object',
      ...requires('audit:read',
        'Every audit event of one file, case, document, plan unit, grant, client or other object, in sequence order: who did ' +
        'what when, with old and new values. `limit` per page (default 50, at most 200); pass `next` as `cursor`. An id without ' +
        'any event in this tenant answers 404.'),
      params: Type.Object({ tenant: Slug, objectId: Type.String({ format: 'uuid', maxLength: 36, description: 'Id of a file, case, document, unit, grant or client' }) }, { additionalProperties: false }),
      querystring: Type.Object({ limit: AuditQuery.properties.limit, cursor: AuditQuery.properties.cursor }, { additionalProperties: false }),
      response: { 200: AuditList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.history(request.ctx!, request.params.objectId, request.query));

  app.get('/audit/export', {
    schema: {
      tags, security, operationId: 'exportAuditEvents',
      summary: 'Export audit events as JSON Lines (streamed)',
      ...requires('audit:read', 'One event per line (application/x-ndjson), same filters as the list, streamed in sequence order.'),
      params: TenantOnly, querystring: ExportQuery,
      produces: ['application/x-ndjson'],
      response: {
        200: { description: 'JSON Lines', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
        ...problemResponses(400, 401, 403, 404, 500),
      },
    },
  }, async (request, typedReply) => {
    const reply = typedReply as unknown as FastifyReply;
    const lines = service.exportLines(request.ctx!, request.query);
    // Pull the first line before answering, so a missing role is a 403, not a broken stream.
    const iterator = lines[Symbol.asyncIterator]();
    const first = await iterator.next();
    async function* rest() {
      if (!first.done) yield first.value;
      for (let n = await iterator.next(); !n.done; n = await iterator.next()) yield n.value;
    }
    reply.type('application/x-ndjson; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="audit-${request.ctx!.tenant.slug}.jsonl"`);
    return reply.send(Readable.from(rest()));
  });

  app.get('/audit/verify', {
    schema: {
      tags, security, operationId: 'verifyAuditChain',
      summary: 'Verify the hash chain of the audit trail, and hold it against its checkpoints',
      ...requires('audit:read',
        'Walks every event in order, recomputes each hash and reports the first broken link (edited, removed or reordered events). ' +
        'Then compares the chain with the signed, object-locked checkpoints in storage: a chain whose newest events were deleted, ' +
        'or that was recomputed as a whole, disagrees with them and is reported with the first sequence that disagrees.'),
      params: TenantOnly,
      response: { 200: VerifyResult, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.verify(request.ctx!));

  app.post('/audit/anchors', {
    schema: {
      tags, security, operationId: 'anchorAuditChain',
      summary: 'Checkpoint the chain head now (also done every AUDIT_ANCHOR_INTERVAL_SECONDS)',
      ...requires('audit:read',
        "Signs the head's sequence, hash and time with the service key and writes it to the tenant's bucket, object-locked. " +
        'Idempotent per head. An empty trail answers 409.'),
      params: TenantOnly,
      response: { 201: { ...AuditAnchor, description: 'The checkpoint' }, ...problemResponses(400, 401, 403, 404, 409, 429, 500) },
    },
  }, async (request, reply) => reply.code(201).send(await service.anchorNow(request.ctx!)));

  app.get('/audit/anchors', {
    schema: {
      tags, security, operationId: 'listAuditAnchors', summary: 'The newest checkpoints of the chain',
      ...requires('audit:read',
        'The newest `limit` (default 20, no pagination) signed checkpoints, newest first: sequence and hash of the chain head ' +
        'they fixed, when, and the object key of the signed JWS in the tenant\'s bucket (object-locked; written by the schedule ' +
        'every AUDIT_ANCHOR_INTERVAL_SECONDS or by `POST …/audit/anchors`). `GET …/audit/verify` holds the chain against them.'),
      params: TenantOnly, querystring: AnchorListQuery,
      response: { 200: AnchorList, ...problemResponses(400, 401, 403, 404, 429, 500) },
    },
  }, async (request) => service.listAnchors(request.ctx!, request.query.limit));
};

export default auditRoutes;
