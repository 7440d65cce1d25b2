import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../../lib/reply.js';
import { requires } from '../../../schemas/access.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses } from '../../../schemas/common.js';
import { created, readWithEtag, withEtag } from '../../../schemas/responses.js';
import { CheckoutBody, CreateDocument, DocumentList, DocumentListQuery, RecordDocument, ReleaseQuery, UpdateDocument } from '../schemas/documents.js';
import type { RecordRouteOptions } from './index.js';

const CaseParams = IdParam('caseId', 'case');
const DocParams = IdParam('documentId', 'document');
const tags = ['documents'];
const security = [{ bearerAuth: [] }];

const documentRoutes: FastifyPluginAsyncTypebox<RecordRouteOptions> = async (app, { records }) => {
  app.addSchema(RecordDocument);

  app.post('/cases/:caseId/documents', {
    schema: {
      tags, security, operationId: 'createDocument',
      summary: 'Add a document to a case',
      ...requires('records:write', 'The document holds metadata; its content arrives as versions (`POST …/documents/{documentId}/versions`). The case and its file must be open (409 object-closed).'),
      params: CaseParams, headers: IdempotencyHeaders, body: CreateDocument,
      response: { 201: created('RecordDocument', 'The new document'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 500) },
    },
  }, async (request, reply) => {
    const d = await records.createDocument(request.ctx!, request.params.caseId, request.body);
    return sendVersioned(reply, d, 201, `/v1/tenants/${request.ctx!.tenant.slug}/documents/${d.value.id}`);
  });

  app.get('/cases/:caseId/documents', {
    schema: {
      tags, security, operationId: 'listDocuments', summary: 'List the documents of a case',
      ...requires('records:read',
        'The documents of one case in creation order, with their metadata and check-out (not their content: see the versions). ' +
        '`limit` per page (default 50, at most 200); pass `next` as `cursor` for the next page. An unknown case answers 404.'),
      params: CaseParams, querystring: DocumentListQuery,
      response: { 200: DocumentList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => records.listDocuments(request.ctx!, request.params.caseId, request.query));

  app.get('/documents/:documentId', {
    schema: {
      tags, security, operationId: 'getDocument', summary: 'Read a document',
      ...requires('records:read', 'Its ETag is what `If-Match` must carry when adding a version or changing it.'),
      params: DocParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('RecordDocument', 'The document'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await records.getDocument(request.ctx!, request.params.documentId)));

  app.patch('/documents/:documentId', {
    schema: {
      tags, security, operationId: 'updateDocument', summary: 'Change a document’s metadata',
      ...requires('records:write', 'Requires If-Match. 409 checked-out while someone else holds the document, 409 object-closed in closed cases or files.'),
      params: DocParams, headers: IfMatchHeaders, body: UpdateDocument,
      response: { 200: withEtag('RecordDocument', 'The changed document'), ...problemResponses(400, 401, 403, 404, 409, 412, 415, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.updateDocument(request.ctx!, request.params.documentId, request.headers['if-match'], request.body)));

  app.post('/documents/:documentId/checkout', {
    schema: {
      tags, security, operationId: 'checkOutDocument', summary: 'Check a document out (lock it for editing)',
      ...requires('records:write',
        'While checked out, others get 409 checked-out when adding versions or changing metadata. The holder ends it by ' +
        'adding a version with `?checkin=true` or by releasing it; it also ends at expiry. Checking out again extends it.'),
      params: DocParams, headers: IdempotencyHeaders, body: Type.Optional(CheckoutBody),
      response: { 200: withEtag('RecordDocument', 'The document with its check-out'), ...problemResponses(400, 401, 403, 404, 409, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.checkOut(request.ctx!, request.params.documentId, request.body?.minutes ?? 60)));

  app.delete('/documents/:documentId/checkout', {
    schema: {
      tags, security, operationId: 'releaseDocument', summary: 'Release a check-out (or break it: records managers)',
      ...requires({ anyOf: ['records:write', 'checkout:break'] },
        'Requires If-Match. The holder releases their own check-out (`records:write`); `?break=true` lets a records manager ' +
        '(`checkout:break`) end someone else’s, which anyone else gets 409 checked-out for. A document not checked out answers 409.'),
      params: DocParams, headers: IfMatchHeaders, querystring: ReleaseQuery,
      response: { 200: withEtag('RecordDocument', 'The document, no longer checked out'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.release(request.ctx!, request.params.documentId, request.headers['if-match'], request.query.break)));
};

export default documentRoutes;
