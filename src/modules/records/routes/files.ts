import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../../lib/reply.js';
import { requires } from '../../../schemas/access.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../../schemas/common.js';
import { created, readWithEtag, withEtag } from '../../../schemas/responses.js';
import { CloseBody, CreateFile, FileList, FileListQuery, RecordFile, ReopenBody, UpdateFile } from '../schemas/files.js';
import type { RecordRouteOptions } from './index.js';
import lifecycleRoutes from './lifecycle.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const FileParams = IdParam('fileId', 'file');
const WriteHeaders = Type.Intersect([IfMatchHeaders, IdempotencyHeaders]);
const tags = ['files'];
const security = [{ bearerAuth: [] }];

const fileRoutes: FastifyPluginAsyncTypebox<RecordRouteOptions> = async (app, { records, workflows }) => {
  app.addSchema(RecordFile);

  app.post('/files', {
    schema: {
      tags, security, operationId: 'createFile',
      summary: 'Create a file (Akte) under a file-plan unit',
      ...requires('records:write',
        'The reference (Aktenzeichen) is generated from the tenant pattern (default `{plan}-{seq:4}/{yyyy}`), ' +
        'unique and never reused. Give the unit as planUnitId or planCode. Retired units take no new files (409 unit-retired).'),
      params: TenantOnly, headers: IdempotencyHeaders, body: CreateFile,
      response: { 201: created('RecordFile', 'The new file'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
    },
  }, async (request, reply) => {
    const file = await records.createFile(request.ctx!, request.body);
    return sendVersioned(reply, file, 201, `/v1/tenants/${request.ctx!.tenant.slug}/files/${file.value.id}`);
  });

  app.get('/files', {
    schema: {
      tags, security, operationId: 'listFiles',
      summary: 'List files, filtered, with cursor pagination',
      ...requires('records:read',
        'Ordered by creation (UUIDv7 id); pages stay stable while files are being added. `limit` per page (default 50, at most ' +
        '200); pass `next` as `cursor` for the next page. Files above the caller\'s clearance (Vertraulichkeitsstufe) are not listed.'),
      params: TenantOnly, querystring: FileListQuery,
      response: { 200: FileList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => records.listFiles(request.ctx!, request.query));

  app.get('/files/:fileId', {
    schema: {
      tags, security, operationId: 'getFile', summary: 'Read a file',
      ...requires('records:read',
        'The file\'s metadata, status (open or closed, zdA), retention and disposal state. Its ETag is the If-Match for every ' +
        'change to it. An unknown id, a file of another tenant or one above the caller\'s clearance answers 404; a destroyed ' +
        'file stays readable as a tombstone.'),
      params: FileParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('RecordFile', 'The file'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await records.getFile(request.ctx!, request.params.fileId)));

  app.patch('/files/:fileId', {
    schema: {
      tags, security, operationId: 'updateFile',
      summary: 'Change a file’s metadata',
      ...requires('records:write', 'Fields not sent stay; `null` clears; `metadata` is replaced as a whole. Requires If-Match. Closed files answer 409 object-closed.'),
      params: FileParams, headers: IfMatchHeaders, body: UpdateFile,
      response: { 200: withEtag('RecordFile', 'The changed file'), ...problemResponses(400, 401, 403, 404, 409, 412, 415, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.updateFile(request.ctx!, request.params.fileId, request.headers['if-match'], request.body)));

  app.post('/files/:fileId/close', {
    schema: {
      tags, security, operationId: 'closeFile',
      summary: 'Close a file (zdA)',
      ...requires('records:write',
        'Closes the file on `closedOn` (default today). Open cases block it (409 open-cases) unless `closeOpenCases` is true. ' +
        'A closed file and everything in it is read-only. Requires If-Match.'),
      params: FileParams, headers: WriteHeaders, body: Type.Optional(CloseBody),
      response: { 200: withEtag('RecordFile', 'The closed file'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await workflows.closeFile(request.ctx!, request.params.fileId, request.headers['if-match'], request.body ?? {})));

  app.post('/files/:fileId/reopen', {
    schema: {
      tags, security, operationId: 'reopenFile',
      summary: 'Reopen a closed file (records managers)',
      ...requires('records:reopen', 'A deliberate, recorded act with a reason. Its cases stay closed until reopened one by one. Requires If-Match.'),
      params: FileParams, headers: WriteHeaders, body: ReopenBody,
      response: { 200: withEtag('RecordFile', 'The reopened file'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await records.reopenFile(request.ctx!, request.params.fileId, request.headers['if-match'], request.body.reason)));

  // Retention, holds, disposal and destruction of files (they answer with RecordFile).
  await app.register(lifecycleRoutes, { records, workflows } as RecordRouteOptions);
};

export default fileRoutes;
