import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, errors } from '../../../errors.js';
import { filenameFromDisposition, parseSha256Digest, sanitizeFilename } from '../../../lib/http-content.js';
import { sendVersioned } from '../../../lib/reply.js';
import { requires } from '../../../schemas/access.js';
import { IdParam, IfNoneMatchHeaders, problemResponses } from '../../../schemas/common.js';
import { readWithEtag } from '../../../schemas/responses.js';
import { contentEtag } from '../present.js';
import { ContentHeaders, ContentQuery, MEDIA_TYPE_MAX, UploadHeaders, UploadQuery, Version, VersionList, VersionListQuery, VersionParams } from '../schemas/versions.js';
import type { IncomingContent } from '../workflows.js';
import type { RecordRouteOptions } from './index.js';
import uploadRoutes from './uploads.js';

const DocParams = IdParam('documentId', 'document');

/** Response headers of a version's content (src/workflows/serve-content.ts), for the document. */
const CONTENT_HEADERS = {
  etag: { type: 'string', maxLength: 70, description: 'Strong ETag of the content: its SHA-256 in quotes' },
  'accept-ranges': { type: 'string', enum: ['bytes'], description: 'Single byte ranges are served' },
  'cache-control': { type: 'string', maxLength: 20, description: 'private, no-cache' },
  'repr-digest': { type: 'string', maxLength: 100, description: 'RFC 9530 `sha-256=:<base64>:` of the whole content' },
  'content-digest': { type: 'string', maxLength: 100, description: 'RFC 9530 `sha-256=:<base64>:` of this body (the whole content)' },
  'content-disposition': { type: 'string', maxLength: 1200, description: 'attachment with the original name (RFC 6266, `filename*` RFC 8187)' },
  'content-security-policy': { type: 'string', maxLength: 40, description: "default-src 'none'; sandbox: content never runs in the API's origin" },
  'content-length': { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes of this body' },
  'content-range': { type: 'string', maxLength: 60, description: '`bytes <first>-<last>/<size>`' },
} as const;
const pick = (...names: (keyof typeof CONTENT_HEADERS)[]) => Object.fromEntries(names.map((n) => [n, CONTENT_HEADERS[n]]));
const tags = ['versions'];
const security = [{ bearerAuth: [] }];
const validMediaType = (value: string) => value.length <= MEDIA_TYPE_MAX && MEDIA_TYPE.test(value);
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,100}\/[a-z0-9!#$&^_.+-]{1,100}(\s*;\s*[a-z0-9_.-]{1,50}=("[^"\r\n]{0,100}"|[^;,\s"]{1,100}))*$/i;
type Body = Pick<IncomingContent, 'body' | 'mediaType' | 'filename'>;

/** Bytes of any media type, as OpenAPI 3.1 describes a raw body (and `format: binary` for 3.0 tools). */
const bytes = (description: string, mediaType?: string) => ({ type: 'string', format: 'binary', ...(mediaType ? { contentMediaType: mediaType } : {}), description }) as const;
/**
 * The body of POST …/versions per media type, for the document only: the content is streamed, not
 * validated (src/lib/validation.ts passes binary and multipart bodies through).
 */
const VersionBody = {
  content: {
    'application/octet-stream': { schema: bytes('The content as the raw body', 'application/octet-stream') },
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['file'],
        additionalProperties: false,
        description: 'An HTML form upload: one file part',
        properties: {
          file: bytes("The content. The part's Content-Type becomes the version's media type (application/octet-stream when it is not a valid one), its filename the version's name unless `?filename=` is given"),
        },
      },
    },
    '*/*': { schema: bytes('The content as the raw body with its own Content-Type (application/pdf, image/tiff, …), which becomes the version\'s media type') },
  },
};

/** A multipart parser's error: its own status when it has one (limits), else a malformed body (400). */
function clientFault(err: unknown): Error {
  const e = err as Error & { statusCode?: number };
  if (e instanceof AppError || (typeof e.statusCode === 'number' && e.statusCode < 500)) return e;
  return errors.badRequest(`The multipart body is malformed: ${e.message}`);
}

/** The content of an upload: the raw body, or the single file part of a multipart body. */
async function readContent(request: FastifyRequest, queryFilename: string | undefined): Promise<Body> {
  if (request.isMultipart()) {
    let part: Awaited<ReturnType<FastifyRequest['file']>>;
    try {
      part = await request.file();
    } catch (err) {
      throw clientFault(err);
    }
    if (!part) throw errors.badRequest('The multipart body has no file part');
    const mediaType = validMediaType(part.mimetype) ? part.mimetype : 'application/octet-stream';
    // A body that breaks off or is malformed after the part began fails the upload as the client's fault.
    const body = new PassThrough();
    part.file.once('error', (err) => body.destroy(clientFault(err)));
    part.file.pipe(body);
    return { body, mediaType, filename: sanitizeFilename(queryFilename ?? part.filename) };
  }
  const header = request.headers['content-type'];
  if (header !== undefined && !validMediaType(header)) throw errors.unsupportedMediaType('Content-Type is not a valid media type');
  return {
    body: request.body as Readable,
    mediaType: header ?? 'application/octet-stream',
    filename: sanitizeFilename(queryFilename ?? filenameFromDisposition(request.headers['content-disposition'] as string | undefined)),
  };
}

async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

const versionRoutes: FastifyPluginAsyncTypebox<RecordRouteOptions> = async (app, { records, workflows, maxBytes }) => {
  app.addSchema(Version);

  // Content is any media type, streamed as it arrives: no parser buffers it (JSON documents included).
  app.removeAllContentTypeParsers();
  await app.register(multipart, {
    // One byte more than allowed: busboy then hands the store maxBytes + 1 bytes, and the store's
    // limit fails the upload (413) instead of busboy silently truncating the part at the limit.
    limits: { files: 1, fileSize: maxBytes + 1, fields: 10, parts: 11, fieldSize: 64 * 1024, headerPairs: 50 },
    throwFileSizeLimit: true,
  });
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.post('/documents/:documentId/versions', {
    config: { idempotency: 'stream' },
    schema: {
      tags, security, operationId: 'addVersion',
      summary: 'Add a version: upload content (raw body or multipart)',
      ...requires('records:write',
        'Send the content as the raw body with its Content-Type (any media type, Content-Length or chunked), or as ' +
        'multipart/form-data with one file part. The name comes from `?filename=`, Content-Disposition or the file part. ' +
        'The content is streamed to storage while its SHA-256 and size are computed; with `Content-Digest: sha-256=:…:` ' +
        'it is verified (422 digest-mismatch, nothing stored). Requires the document ETag in If-Match: concurrent uploads ' +
        'with the same ETag produce exactly one version, the others get 412. Versions are numbered 1..n without gaps and ' +
        'never change. The `Document-ETag` response header is the If-Match for the next version. Content larger than ' +
        'MAX_UPLOAD_BYTES answers 413; a document checked out by someone else 409 checked-out, one in a closed case or file ' +
        '409 object-closed. For large scans over unreliable connections use the resumable uploads (`POST …/uploads`).'),
      params: DocParams, querystring: UploadQuery, headers: UploadHeaders,
      consumes: ['application/octet-stream', 'multipart/form-data', '*/*'],
      body: VersionBody,
      response: {
        201: {
          ...Type.Ref('Version'),
          description: 'The stored version',
          headers: {
            location: { type: 'string', maxLength: 300, description: 'URL of the version' },
            etag: { type: 'string', maxLength: 70, description: 'ETag of the content (its SHA-256)' },
            'document-etag': { type: 'string', maxLength: 70, description: 'New ETag of the document: If-Match for the next version' },
          },
        },
        ...problemResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500),
      },
    },
  }, async (request, reply) => {
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > maxBytes) throw errors.payloadTooLarge(maxBytes);
    const digestHeader = request.headers['content-digest'];
    let expectedSha256: string | undefined;
    if (digestHeader) {
      try {
        expectedSha256 = parseSha256Digest(digestHeader) ?? undefined;
      } catch (err) {
        throw errors.badRequest(`Content-Digest: ${(err as Error).message}`);
      }
    }
    const content = await readContent(request, request.query.filename);

    const replay = request.idempotency?.replay;
    if (replay) {
      // Same key, same headers: the same content replays the first response, other content is a misuse.
      // A first attempt that failed (no version, no sha256) is replayed as it was.
      const sent = await sha256Of(content.body);
      const first = JSON.parse(replay.responseBody ?? '{}') as { sha256?: string };
      if (replay.responseStatus === 201 && first.sha256 !== sent) throw errors.idempotencyKeyReused();
      return reply.replayIdempotent(replay);
    }

    const stored = await workflows.addVersion(request.ctx!, request.params.documentId, request.headers['if-match'], {
      ...content,
      expectedSha256,
      checkin: request.query.checkin,
    });
    reply.header('location', `/v1/tenants/${request.ctx!.tenant.slug}/documents/${request.params.documentId}/versions/${stored.version.number}`);
    reply.header('etag', contentEtag(stored.version.sha256));
    reply.header('document-etag', stored.documentEtag);
    return reply.code(201).send(stored.version);
  });

  app.get('/documents/:documentId/versions', {
    schema: {
      tags, security, operationId: 'listVersions', summary: 'List the versions of a document (oldest first)',
      ...requires('records:read',
        'The metadata of every version (number, media type, name, size, SHA-256, who added it and when), numbered 1..n. ' +
        '`limit` per page (default 50, at most 200); `next` is the last number of the page: pass it as `cursor`. Reading the ' +
        'metadata needs `records:read`; downloading the content (`…/content`) needs `content:read`.'),
      params: DocParams, querystring: VersionListQuery,
      response: { 200: VersionList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => records.listVersions(request.ctx!, request.params.documentId, request.query));

  app.get('/documents/:documentId/versions/:number', {
    schema: {
      tags, security, operationId: 'getVersion', summary: 'Read one version’s metadata',
      ...requires('records:read',
        'Number, media type, name, size, SHA-256 and who added it when; not the content (`…/content`). A version number ' +
        'the document does not have answers 404. A version never changes: its ETag is its content’s (the SHA-256 in quotes), the same as addVersion’s answer and the download’s.'),
      params: VersionParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('Version', 'The version'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await records.getVersion(request.ctx!, request.params.documentId, request.params.number)));

  app.get('/documents/:documentId/versions/:number/content', {
    schema: {
      tags, security, operationId: 'getVersionContent',
      summary: 'Download a version’s content (streamed, with Range)',
      ...requires('content:read',
        'Streams the bytes with their media type. One `Range` (bytes=a-b, a-, -n) answers 206 with Content-Range; ' +
        'several ranges answer the whole content. `If-Range` and `If-None-Match` use the content ETag (its SHA-256). ' +
        '`Repr-Digest` (and on 200 `Content-Digest`) carry the SHA-256 (RFC 9530); Content-Disposition the original name (RFC 6266). ' +
        'When the operator allows it (DOWNLOAD_REDIRECT) a whole download is answered with 307 and a short-lived presigned storage URL ' +
        'in Location (above DOWNLOAD_REDIRECT_MIN_BYTES, or when asked with `?redirect=true`); storage then answers with the same ' +
        'Content-Type, Content-Disposition and bytes. The read is authorised and recorded before the redirect. Ranges, If-Range and 304 are always answered by the API. Every read of content is recorded in the audit trail (304 and 416 record nothing).'),
      params: VersionParams, headers: ContentHeaders, querystring: ContentQuery,
      produces: ['*/*'],
      response: {
        // The headers src/workflows/serve-content.ts sets, per answer.
        200: {
          description: 'The content',
          headers: pick('etag', 'accept-ranges', 'cache-control', 'repr-digest', 'content-digest', 'content-disposition', 'content-security-policy', 'content-length'),
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        206: {
          description: 'The requested byte range',
          headers: pick('content-range', 'etag', 'accept-ranges', 'cache-control', 'repr-digest', 'content-disposition', 'content-security-policy', 'content-length'),
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        304: {
          description: 'Not modified (If-None-Match matched)',
          type: 'null',
          headers: pick('etag', 'accept-ranges', 'cache-control', 'repr-digest', 'content-disposition', 'content-security-policy'),
        },
        307: {
          description: 'Redirect to a presigned storage URL, valid for DOWNLOAD_REDIRECT_EXPIRY_SECONDS',
          type: 'null',
          headers: {
            location: { type: 'string', maxLength: 4000, description: 'Presigned URL of the content (no token needed, short-lived)' },
            'cache-control': { type: 'string', maxLength: 20, description: 'no-store: the URL is a capability for its lifetime' },
            ...pick('etag', 'repr-digest'),
          },
        },
        ...problemResponses(400, 401, 403, 404, 500),
        416: {
          ...problemResponses(416)[416],
          headers: { 'content-range': { type: 'string', maxLength: 40, description: '`bytes */<size>`: the size of the content' } },
        },
      },
    },
  }, async (request, typedReply) => {
    // Streams are sent as they are; the typed reply only knows the schema's string body.
    const reply = typedReply as unknown as FastifyReply;
    const answer = await workflows.serveContent(request.ctx!, request.params.documentId, request.params.number, {
      range: request.headers.range,
      ifRange: request.headers['if-range'],
      ifNoneMatch: request.headers['if-none-match'],
      redirect: request.query.redirect,
    });
    reply.code(answer.status).headers(answer.headers);
    return answer.body ? reply.send(answer.body) : reply.send();
  });

  // tus, in this context: its PATCH bodies are streams too.
  await app.register(uploadRoutes, { records, workflows, maxBytes });
};

export default versionRoutes;
