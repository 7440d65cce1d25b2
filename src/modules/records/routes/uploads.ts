import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../../../errors.js';
import { requires } from '../../../schemas/access.js';
import { IdParam, problemResponses } from '../../../schemas/common.js';
import type { RecordRouteOptions } from './index.js';

const tags = ['uploads'];
const security = [{ bearerAuth: [] }];
const DocParams = IdParam('documentId', 'document');
const UploadParams = Type.Object(
  {
    tenant: DocParams.properties.tenant,
    documentId: DocParams.properties.documentId,
    uploadId: Type.String({ pattern: '^[0-9a-f]{32}$', minLength: 32, maxLength: 32, description: 'Id of the resumable upload (from Location)' }),
  },
  { additionalProperties: false },
);

const tusResumable = Type.String({ maxLength: 10, description: 'The tus protocol version: 1.0.0 (required; 412 without)' });
const offset = Type.String({ pattern: '^[0-9]{1,16}$', maxLength: 16, description: 'Byte offset' });
const TusHeaders = Type.Object({ 'tus-resumable': Type.Optional(tusResumable) });
const CreationHeaders = Type.Object({
  'tus-resumable': Type.Optional(tusResumable),
  'upload-length': Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', maxLength: 16, description: 'Size of the whole content in bytes (or Upload-Defer-Length: 1)' })),
  'upload-defer-length': Type.Optional(Type.String({ maxLength: 1, description: '1: the length is given with a later PATCH' })),
  'upload-metadata': Type.Optional(
    Type.String({
      maxLength: 4000,
      description:
        'Comma-separated `key base64(value)`: filename, filetype (media type), ifMatch (the document ETag, or send If-Match), ' +
        'sha256 (lower-case hex, verified at completion: 422 digest-mismatch), checkin (true|false)',
    }),
  ),
  'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'The document ETag you read (or ifMatch in Upload-Metadata): 428 without, 412 when stale' })),
  'content-digest': Type.Optional(Type.String({ maxLength: 500, description: 'RFC 9530 `sha-256=:<base64>:` of the whole content (instead of sha256 in Upload-Metadata)' })),
  'idempotency-key': Type.Optional(Type.String({ maxLength: 255, description: 'A retry with the same key answers the first creation (the same Location)' })),
});
const PatchHeaders = Type.Object({
  'tus-resumable': Type.Optional(tusResumable),
  'upload-offset': Type.Optional(offset),
  'content-type': Type.Optional(Type.String({ maxLength: 100, description: 'application/offset+octet-stream' })),
});
const header = (description: string, maxLength = 200) => ({ type: 'string', maxLength, description });
const tusHeader = { 'tus-resumable': header('1.0.0', 10) };

/**
 * Resumable uploads over tus 1.0.0 (creation, termination, expiration): a large scan is sent in
 * parts and resumed after a cut connection; the completed upload becomes the document's next
 * version with every check of POST …/versions. The tus server answers; this plugin authorises
 * (the hooks before it) and turns tus refusals into problem+json.
 */
const uploadRoutes: FastifyPluginAsyncTypebox<RecordRouteOptions> = async (app, { workflows }) => {
  const handle = async (request: FastifyRequest<{ Params: { documentId: string } }>, reply: FastifyReply) => {
    if (!workflows.resumableUpload) throw errors.notImplemented('Resumable uploads need S3 storage (S3_ENDPOINT); use POST …/versions');
    const replay = request.idempotency?.replay;
    if (replay) return reply.replayIdempotent(replay);
    const answer = await workflows.resumableUpload(request.ctx!, request.params.documentId, request.raw, reply.raw);
    reply.code(answer.status).headers(answer.headers);
    // A string (also when empty), so an Idempotency-Key records the creation.
    return reply.send('');
  };

  const description =
    'tus 1.0.0 (https://tus.io/protocols/resumable-upload) with the creation, termination and expiration extensions, for clients ' +
    'such as tus-js-client and Uppy. Authorised as POST …/versions (records:write, tenant walls, grants, clearance); each upload ' +
    'belongs to its document and to the person who created it (404 for everyone else).';

  app.post('/documents/:documentId/uploads', {
    config: { idempotency: 'stream' },
    schema: {
      tags, security, operationId: 'createUpload',
      summary: 'Create a resumable upload (tus creation) for the next version of a document',
      ...requires('records:write', `${description} Creation checks If-Match and that the document takes a version now (the checks run again at completion). ` +
        'Answers 201 with the upload URL in Location; send the bytes with PATCH. Unfinished uploads expire (Upload-Expires, RESUMABLE_UPLOAD_EXPIRY_SECONDS) and are swept.'),
      params: DocParams, headers: CreationHeaders,
      response: {
        201: {
          description: 'The upload is created',
          type: 'null',
          headers: { location: header('URL of the upload (relative)', 300), 'upload-expires': header('When the unfinished upload expires (RFC 7231 date)'), ...tusHeader },
        },
        ...problemResponses(400, 401, 403, 404, 409, 412, 413, 422, 428, 500, 501),
      },
    },
  }, handle);

  app.head('/documents/:documentId/uploads/:uploadId', {
    // In the OpenAPI document (as getUploadOffset-head: @fastify/swagger suffixes HEAD operations).
    config: { swagger: { exposeHeadRoute: true } },
    schema: {
      tags, security, operationId: 'getUploadOffset',
      summary: 'The offset of a resumable upload (tus HEAD): where to resume',
      ...requires('records:write', `${description} Answers 200 with Upload-Offset (and Upload-Length, Upload-Metadata); 410 once the upload expired.`),
      params: UploadParams, headers: TusHeaders,
      response: {
        200: {
          description: 'The bytes received so far',
          type: 'null',
          headers: {
            'upload-offset': header('Bytes received so far', 16),
            'upload-length': header('Declared size', 16),
            'upload-metadata': header('The metadata as stored', 4000),
            'cache-control': header('no-store', 20),
            ...tusHeader,
          },
        },
        // No 428: the If-Match is the one creation required and stored (412 once it is stale).
        ...problemResponses(400, 401, 403, 404, 409, 410, 412, 500, 501),
      },
    },
  }, handle);

  app.patch('/documents/:documentId/uploads/:uploadId', {
    schema: {
      tags, security, operationId: 'sendUploadPart',
      summary: 'Send bytes of a resumable upload from Upload-Offset (tus PATCH); the last part creates the version',
      ...requires('records:write', `${description} Content-Type application/offset+octet-stream; Upload-Offset must be the current offset (409 otherwise); ` +
        'bytes past Upload-Length answer 413. When the upload is complete the version is created as with POST …/versions ' +
        '(If-Match, SHA-256, size, audit, event): 204 with Content-Location of the version, its ETag and the new Document-ETag; ' +
        'a failed check (412, 409, 422 digest-mismatch) creates no version and removes the upload.'),
      params: UploadParams, headers: PatchHeaders,
      consumes: ['application/offset+octet-stream'],
      body: { type: 'string', format: 'binary', contentMediaType: 'application/offset+octet-stream', description: 'The next bytes of the content' },
      response: {
        204: {
          description: 'Bytes stored (and on the last part: the version created)',
          type: 'null',
          headers: {
            'upload-offset': header('The new offset', 16),
            'content-location': header('URL of the version (on completion)', 300),
            etag: header('ETag of the content (on completion)', 70),
            'document-etag': header('New ETag of the document (on completion)', 70),
            ...tusHeader,
          },
        },
        ...problemResponses(400, 401, 403, 404, 409, 410, 412, 413, 415, 422, 500, 501),
      },
    },
  }, handle);

  app.delete('/documents/:documentId/uploads/:uploadId', {
    schema: {
      tags, security, operationId: 'deleteUpload',
      summary: 'Abandon a resumable upload (tus termination): its bytes are removed',
      ...requires('records:write', `${description} Answers 204; no version is created.`),
      params: UploadParams, headers: TusHeaders,
      response: {
        204: { description: 'The upload is removed', type: 'null', headers: tusHeader },
        ...problemResponses(400, 401, 403, 404, 412, 500, 501),
      },
    },
  }, handle);
};

export default uploadRoutes;
