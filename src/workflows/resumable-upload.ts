import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';
import { NodeRequest } from 'srvx/node';
import type { Config } from '../config.js';
import { actorOf, authorize, type RequestContext, type Scope, type TenantRef } from '../core/index.js';
import { AppError, errors, genericClientError } from '../errors.js';
import { parseSha256Digest, sanitizeFilename } from '../lib/http-content.js';
import type { RecordsOps, RecordWorkflows, ResumableAnswer } from '../modules/records/index.js';
import type { BlobStore } from '../storage/index.js';

type S3Settings = Extract<Config['storage'], { kind: 's3' }>;

/** Where the objects of unfinished uploads live in a tenant's bucket (outside documents/, which the sweeper's orphan scan owns). */
export const RESUMABLE_PREFIX = 'tus/';
const ID = /^[0-9a-f]{32}$/;
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,100}\/[a-z0-9!#$&^_.+-]{1,100}$/i;

/** One request to the tus server: who asks, for which document, and what the hooks decided. */
interface Call {
  ctx: RequestContext;
  documentId: string;
  /** The path of the uploads collection: /v1/tenants/{t}/documents/{id}/uploads. */
  base: string;
  /** A refusal of ours (problem+json), raised inside a hook. */
  error?: unknown;
  /** The version a completed upload created. */
  stored?: Awaited<ReturnType<RecordWorkflows['addVersion']>>;
  /** The upload (tus id) whose objects go once the answer is decided. */
  finished?: string;
}

/** A tus refusal (plain text) as the problem it is. */
function tusProblem(status: number, text: string): Error {
  const detail = text.trim() || `tus answered ${status}`;
  switch (status) {
    case 400: return errors.badRequest(detail);
    case 403: return errors.forbidden(detail);
    case 404: return errors.notFound('upload');
    case 409: return errors.uploadOffsetMismatch(detail);
    case 410: return errors.uploadExpired();
    case 412: return errors.tusResumableRequired(detail);
    case 413: return new AppError(413, 'payload-too-large', 'Request body too large', detail);
    case 415: return errors.unsupportedMediaType(detail);
    default:
      // A fault of ours or of storage: logged with tus' words, answered as 500.
      return status < 500 ? genericClientError(status, detail) : new Error(`tus answered ${status}: ${detail}`);
  }
}

/**
 * Resumable uploads over tus (https://tus.io, `@tus/server` with `@tus/s3-store`): one tus server
 * per tenant, each storing into the tenant's own bucket under tus/, so an upload id of one tenant
 * does not exist in another. Each upload belongs to the document and the person that created it.
 * Creation runs the checks of POST …/versions up front (permission, walls, grants, clearance,
 * If-Match, document writable); completion hands the assembled object to the add-version workflow,
 * which checks everything again under the chain's locks, verifies the declared SHA-256 and size,
 * stores the version with its audit event, and removes the tus objects whatever the outcome.
 */
export function resumableUploadWorkflow(deps: {
  scope: Scope;
  records: RecordsOps;
  storage: BlobStore;
  s3: S3Settings;
  addVersion: RecordWorkflows['addVersion'];
  maxBytes: number;
  expirySeconds: number;
}) {
  const { scope, records, storage, s3 } = deps;
  const calls = new WeakMap<object, Call>();
  const servers = new Map<string, { server: Server; store: S3Store }>();
  const callOf = (req: object): Call => {
    const c = calls.get(req);
    if (!c) throw new Error('tus request without a call');
    return c;
  };
  /** Records a refusal of ours for the route to answer; tus gets an error to stop with. */
  const refuse = (c: Call, err: unknown): never => {
    c.error ??= err;
    throw Object.assign(new Error((err as Error).message), { status_code: (err as AppError).status ?? 500, body: '' });
  };

  /** The checks of POST …/versions, without recording an upload: run in one unit that leaves nothing behind. */
  async function assertVersionable(ctx: RequestContext, documentId: string, ifMatch: string | undefined) {
    await scope(ctx, async (uow) => {
      const u = await records.prepareUpload(uow, documentId, ifMatch);
      await records.endUpload(uow, u.uploadId, 'removed');
    });
  }

  /** The tus objects of an upload (info, pending part, assembled object or multipart upload), every version of them. */
  async function removeObjects(tenant: string, id: string) {
    for (const key of [`${id}.info`, `${id}.part`, id]) await storage.delete(tenant, key);
  }

  function serverFor(tenant: string) {
    const existing = servers.get(tenant);
    if (existing) return existing;
    const store = new S3Store({
      partSize: s3.partSize,
      // No metadata cache: the sweeper (another process) or another instance may have removed an upload.
      cache: { get: async () => undefined, set: async () => undefined, delete: async () => undefined },
      expirationPeriodInMilliseconds: deps.expirySeconds * 1000,
      s3ClientConfig: {
        bucket: storage.bucketFor(tenant),
        endpoint: s3.endpoint.origin,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
      },
    });
    const server = new Server({
      path: '/uploads',
      datastore: store,
      maxSize: deps.maxBytes,
      // CORS is the API's (@fastify/cors); tus adds none of its own beyond its exposed headers.
      allowedOrigins: () => false,
      namingFunction: () => `${RESUMABLE_PREFIX}${randomBytes(16).toString('hex')}`,
      generateUrl: (req, { id }) => `${callOf(req).base}/${id.slice(RESUMABLE_PREFIX.length)}`,
      getFileIdFromRequest: (_req, last) => (last && ID.test(last) ? `${RESUMABLE_PREFIX}${last}` : undefined),

      async onUploadCreate(req, upload) {
        const c = callOf(req);
        const m = upload.metadata ?? {};
        try {
          const ifMatch = req.headers.get('if-match') ?? m.ifMatch ?? undefined;
          if (m.sha256 !== undefined && m.sha256 !== null && !/^[0-9a-f]{64}$/.test(m.sha256)) {
            throw errors.badRequest('Upload-Metadata sha256 must be the lower-case hex SHA-256 of the content');
          }
          const digest = req.headers.get('content-digest');
          let sha256 = m.sha256 ?? undefined;
          if (digest) {
            try {
              sha256 = parseSha256Digest(digest) ?? sha256;
            } catch (err) {
              throw errors.badRequest(`Content-Digest: ${(err as Error).message}`);
            }
          }
          if (m.checkin !== undefined && m.checkin !== null && m.checkin !== 'true' && m.checkin !== 'false') throw errors.badRequest('Upload-Metadata checkin must be true or false');
          await assertVersionable(c.ctx, c.documentId, ifMatch);
          const metadata: Record<string, string> = {
            filename: sanitizeFilename(m.filename ?? m.name),
            filetype: m.filetype && MEDIA_TYPE.test(m.filetype) ? m.filetype : 'application/octet-stream',
            ifMatch: ifMatch!,
            checkin: m.checkin ?? 'false',
            documentId: c.documentId,
            by: actorOf(c.ctx.caller),
          };
          if (sha256) metadata.sha256 = sha256;
          return { metadata };
        } catch (err) {
          return refuse(c, err);
        }
      },

      async onIncomingRequest(req, id) {
        const c = callOf(req);
        if (req.method === 'POST') return;
        try {
          authorize(c.ctx, 'records:write');
          let upload: Awaited<ReturnType<S3Store['getUpload']>>;
          try {
            upload = await store.getUpload(id);
          } catch {
            throw errors.notFound('upload');
          }
          // Someone else's upload, or one for another document, does not exist for this caller.
          const m = upload.metadata ?? {};
          if (m.documentId !== c.documentId || m.by !== actorOf(c.ctx.caller)) throw errors.notFound('upload');
          // Sending or resuming bytes that could never become a version wastes them: check now.
          if (req.method === 'PATCH' || req.method === 'HEAD') await assertVersionable(c.ctx, c.documentId, m.ifMatch ?? undefined);
        } catch (err) {
          refuse(c, err);
        }
      },

      async onUploadFinish(req, upload) {
        const c = callOf(req);
        const tenant = c.ctx.tenant.slug;
        const m = upload.metadata ?? {};
        c.finished = upload.id;
        try {
          const body = await storage.get(tenant, upload.id);
          c.stored = await deps.addVersion(c.ctx, c.documentId, m.ifMatch ?? undefined, {
            body,
            mediaType: m.filetype ?? 'application/octet-stream',
            filename: m.filename ?? 'content',
            expectedSha256: m.sha256 ?? undefined,
            checkin: m.checkin === 'true',
          });
        } catch (err) {
          return refuse(c, err);
        }
        const number = c.stored.version.number;
        return {
          status_code: 204,
          headers: {
            'Content-Location': `/v1/tenants/${tenant}/documents/${c.documentId}/versions/${number}`,
            ETag: `"${c.stored.version.sha256}"`,
            'Document-ETag': c.stored.documentEtag,
          },
        };
      },
    });
    const entry = { server, store };
    servers.set(tenant, entry);
    return entry;
  }

  return {
    /** Hands one tus request (creation, HEAD, PATCH, DELETE) to the tenant's tus server. */
    async handle(ctx: RequestContext, documentId: string, req: IncomingMessage, res: ServerResponse): Promise<ResumableAnswer> {
      authorize(ctx, 'records:write');
      // The document first, as every route under it: another tenant's id, or one beyond the caller's clearance, is 404.
      await scope(ctx, (uow) => records.getDocument(uow, documentId));
      const tenant = ctx.tenant.slug;
      // Buckets are provisioned at start-up; this covers a tenant added since (cached after the first call).
      await storage.ensureBucket(tenant);
      const { server } = serverFor(tenant);
      const request = new NodeRequest({ req, res });
      const c: Call = { ctx, documentId, base: `/v1/tenants/${tenant}/documents/${documentId}/uploads` };
      calls.set(request, c);
      let answer: Response;
      try {
        answer = await server.handleWeb(request as unknown as Request);
      } finally {
        // A completed upload's objects go, whether it became a version or not (the version has its own copy).
        if (c.finished) await removeObjects(tenant, c.finished).catch(() => undefined);
      }
      if (c.error) throw c.error;
      const text = await answer.text();
      if (answer.status >= 400) throw tusProblem(answer.status, text);
      const headers: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (name !== 'content-length' && !name.startsWith('access-control-')) headers[name] = value;
      });
      if (req.method === 'DELETE' && answer.status === 204) {
        // tus removes its objects with delete markers; in a versioned bucket the versions stay: remove them too.
        const id = req.url?.split('?')[0]?.split('/').at(-1);
        if (id && ID.test(id)) await removeObjects(tenant, `${RESUMABLE_PREFIX}${id}`);
      }
      return { status: answer.status, headers };
    },

    /**
     * Removes unfinished uploads of a tenant older than the expiry: their metadata, pending part and
     * multipart upload, every version. Idempotent.
     */
    async sweepTenant(tenant: TenantRef, now = Date.now()): Promise<number> {
      let removed = 0;
      const expired: string[] = [];
      for await (const item of storage.list(tenant.slug, RESUMABLE_PREFIX)) {
        if (item.key.endsWith('.info') && item.lastModified.getTime() < now - deps.expirySeconds * 1000) expired.push(item.key.slice(0, -'.info'.length));
      }
      for (const id of expired) {
        await removeObjects(tenant.slug, id);
        removed++;
      }
      return removed;
    },
  };
}

export type ResumableUploadWorkflow = ReturnType<typeof resumableUploadWorkflow>;
