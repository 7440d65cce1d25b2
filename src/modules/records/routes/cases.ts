import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../../lib/reply.js';
import { requires } from '../../../schemas/access.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses } from '../../../schemas/common.js';
import { created, readWithEtag, withEtag } from '../../../schemas/responses.js';
import { CaseList, CaseListQuery, CloseCaseBody, CreateCase, RecordCase, UpdateCase } from '../schemas/cases.js';
import { ReopenBody } from '../schemas/files.js';
import { closeDate } from '../service/files.js';
import type { RecordRouteOptions } from './index.js';

const FileParams = IdParam('fileId', 'file');
const CaseParams = IdParam('caseId', 'case');
const WriteHeaders = Type.Intersect([IfMatchHeaders, IdempotencyHeaders]);
const tags = ['cases'];
const security = [{ bearerAuth: [] }];

const caseRoutes: FastifyPluginAsyncTypebox<RecordRouteOptions> = async (app, { records }) => {
  app.addSchema(RecordCase);

  app.post('/files/:fileId/cases', {
    schema: {
      tags, security, operationId: 'createCase',
      summary: 'Open a case (Vorgang) in a file',
      ...requires('records:write', 'The file must be open (409 object-closed otherwise). The case reference is the file reference plus a running number (`-001`).'),
      params: FileParams, headers: IdempotencyHeaders, body: CreateCase,
      response: { 201: created('RecordCase', 'The new case'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 500) },
    },
  }, async (request, reply) => {
    const c = await records.createCase(request.ctx!, request.params.fileId, request.body);
    return sendVersioned(reply, c, 201, `/v1/tenants/${request.ctx!.tenant.slug}/cases/${c.value.id}`);
  });

  app.get('/files/:fileId/cases', {
    schema: {
      tags, security, operationId: 'listCases', summary: 'List the cases of a file',
      ...requires('records:read',
        'The cases (Vorgänge) of one file in creation order, optionally only `open` or `closed` ones. `limit` per page (default ' +
        '50, at most 200); pass `next` as `cursor` for the next page. An unknown file, or one the caller may not see, answers 404.'),
      params: FileParams, querystring: CaseListQuery,
      response: { 200: CaseList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => records.listCases(request.ctx!, request.params.fileId, request.query));

  app.get('/cases/:caseId', {
    schema: {
      tags, security, operationId: 'getCase', summary: 'Read a case',
      ...requires('records:read',
        'One case with its reference, status and metadata. Its ETag is the If-Match for changing, closing or reopening it. ' +
        'A case of another tenant, or in a file above the caller\'s clearance, answers 404 like an unknown id.'),
      params: CaseParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('RecordCase', 'The case'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await records.getCase(request.ctx!, request.params.caseId)));

  app.patch('/cases/:caseId', {
    schema: {
      tags, security, operationId: 'updateCase', summary: 'Change a case’s metadata',
      ...requires('records:write', 'Requires If-Match. Closed cases (or cases of closed files) answer 409 object-closed.'),
      params: CaseParams, headers: IfMatchHeaders, body: UpdateCase,
      response: { 200: withEtag('RecordCase', 'The changed case'), ...problemResponses(400, 401, 403, 404, 409, 412, 415, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.updateCase(request.ctx!, request.params.caseId, request.headers['if-match'], request.body)));

  app.post('/cases/:caseId/close', {
    schema: {
      tags, security, operationId: 'closeCase', summary: 'Close a case (zdA)',
      ...requires('records:write', 'Closes the case on `closedOn` (default today, never in the future). Requires If-Match.'),
      params: CaseParams, headers: WriteHeaders, body: Type.Optional(CloseCaseBody),
      response: { 200: withEtag('RecordCase', 'The closed case'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.closeCase(request.ctx!, request.params.caseId, request.headers['if-match'], closeDate(request.body?.closedOn))));

  app.post('/cases/:caseId/reopen', {
    schema: {
      tags, security, operationId: 'reopenCase', summary: 'Reopen a closed case (records managers)',
      ...requires('records:reopen', 'Only in an open file; a deliberate act with a reason. Requires If-Match.'),
      params: CaseParams, headers: WriteHeaders, body: ReopenBody,
      response: { 200: withEtag('RecordCase', 'The reopened case'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.reopenCase(request.ctx!, request.params.caseId, request.headers['if-match'], request.body.reason)));
};

export default caseRoutes;
