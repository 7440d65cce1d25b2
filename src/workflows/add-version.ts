import type { RequestContext, Scope, SqlScope } from '../core/index.js';
import { errors } from '../errors.js';
import type { IncomingContent, PendingUpload, RecordsOps, StoredVersion } from '../modules/records/index.js';
import { BlobTooLargeError, type BlobStore } from '../storage/index.js';

/**
 * Adding a version, the upload saga: (1) in one unit, check that the document takes a version and
 * record the upload; (2) stream the bytes to storage while hashing them, no transaction open;
 * (3) in a second unit, re-check under the chain's locks, number and store the version with its
 * audit event and `version.created`. Any failure after (1) removes the object and the upload
 * record; a crash leaves an upload record the sweeper collects. Units (1) and (3) send only their
 * own SQL, so they run as SQL units (`sql`), without Prisma's interactive transaction.
 */
export function addVersionWorkflow(deps: { scope: Scope; sql: SqlScope; records: RecordsOps; storage: BlobStore; maxBytes: number }) {
  const { scope, sql, records, storage } = deps;

  async function discard(ctx: RequestContext, upload: PendingUpload) {
    try {
      await storage.delete(ctx.tenant.slug, upload.key);
      await scope(ctx, (uow) => records.endUpload(uow, upload.uploadId, 'removed'));
    } catch {
      // Leave it to the sweeper, marked so it is collected soon.
      await scope(ctx, (uow) => records.endUpload(uow, upload.uploadId, 'failed')).catch(() => undefined);
    }
  }

  return async (ctx: RequestContext, documentId: string, ifMatch: string | undefined, content: IncomingContent): Promise<StoredVersion> => {
    const upload = await sql(ctx, (unit) => records.prepareUpload(unit, documentId, ifMatch));
    let stored: { size: number; sha256: string };
    try {
      // Buckets are provisioned at start-up; this covers a tenant added since (cached after the first call).
      await storage.ensureBucket(ctx.tenant.slug);
      stored = await storage.put(ctx.tenant.slug, upload.key, content.body, { contentType: content.mediaType, maxBytes: deps.maxBytes });
    } catch (err) {
      await discard(ctx, upload);
      if (err instanceof BlobTooLargeError) throw errors.payloadTooLarge(err.limit);
      throw err;
    }
    if (content.expectedSha256 && content.expectedSha256 !== stored.sha256) {
      await discard(ctx, upload);
      throw errors.digestMismatch(content.expectedSha256, stored.sha256);
    }
    try {
      return await sql(ctx, (unit) =>
        records.commitUpload(unit, upload, ifMatch!, { ...stored, mediaType: content.mediaType, filename: content.filename, checkin: content.checkin }),
      );
    } catch (err) {
      await discard(ctx, upload);
      throw err;
    }
  };
}
