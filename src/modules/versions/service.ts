import type { Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import { actorOf, authorize } from '../../auth/permissions.js';
import type { TenantTx } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Principal } from '../../plugins/auth.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import { appendAudit } from '../audit/writer.js';
import { BlobNotFoundError, BlobTooLargeError, type BlobStore, type ByteRange } from '../../storage/index.js';
import { documentRepo } from '../documents/repo.js';
import { activeCheckout, assertNotCheckedOutByOther, assertWritable, documentEtag } from '../documents/service.js';
import { versionRepo, type VersionRow } from './repo.js';
import type { Version } from './schemas.js';

export interface NewContent {
  body: AsyncIterable<Uint8Array>;
  mediaType: string;
  filename: string;
  /** Hex SHA-256 from Content-Digest, verified after streaming. */
  expectedSha256?: string;
  checkin: boolean;
}

export interface StoredVersion {
  version: Version;
  /** The document's ETag after this version: the If-Match of the next one. */
  documentEtag: string;
}

export const contentUrl = (tenant: string, documentId: string, n: number) =>
  `/v1/tenants/${tenant}/documents/${documentId}/versions/${n}/content`;

export function toVersion(tenant: string, row: VersionRow): Version {
  return {
    id: row.id,
    documentId: row.documentId,
    number: row.number,
    size: Number(row.size),
    sha256: row.sha256,
    mediaType: row.mediaType,
    filename: row.filename,
    uploadedBy: row.uploadedBy,
    createdAt: row.createdAt.toISOString(),
    contentUrl: contentUrl(tenant, row.documentId, row.number),
  };
}

/** The ETag of a version's content: its SHA-256 (content never changes, so it never goes stale). */
export const contentEtag = (sha256: string) => `"${sha256}"`;

/**
 * Immutable versions with streamed content. An upload is recorded first, then streamed to storage
 * while hashed, then committed in one transaction that re-checks If-Match, closure and check-out
 * under row locks and numbers the version. Any failure removes the object and the record; a crash
 * leaves a record the sweeper finds.
 */
export function createVersionService(deps: { tx: TenantTx; storage: BlobStore; maxBytes: number }) {
  const { tx, storage } = deps;

  async function discard(tenant: TenantRef, uploadId: string, key: string) {
    try {
      await storage.delete(tenant.slug, key);
      await tx(tenant.id, (t) => versionRepo.finishUpload(t, tenant.id, uploadId));
    } catch {
      // Leave it to the sweeper, marked so it is collected soon.
      await tx(tenant.id, (t) => versionRepo.markUploadFailed(t, tenant.id, uploadId)).catch(() => undefined);
    }
  }

  return {
    /** Adds version n+1 to a document. Requires the document's current ETag in If-Match. */
    async addVersion(caller: Principal, tenant: TenantRef, documentId: string, ifMatch: string | undefined, content: NewContent): Promise<StoredVersion> {
      authorize(caller, 'records:write');
      if (!ifMatch) throw errors.preconditionRequired();
      const actor = actorOf(caller);
      // Cheap checks before a single byte is stored; repeated under locks at commit.
      const pre = await tx(tenant.id, (t) => documentRepo.findById(t, tenant.id, documentId));
      if (!pre) throw errors.notFound('document');
      requireIfMatch(ifMatch, documentEtag(pre));
      assertWritable(pre);
      assertNotCheckedOutByOther(pre, actor);

      // Buckets are provisioned at start-up; this covers a tenant added since (cached after the first call).
      await storage.ensureBucket(tenant.slug);
      const uploadId = uuidv7();
      const key = `documents/${documentId}/${uploadId}`;
      await tx(tenant.id, (t) => versionRepo.startUpload(t, { id: uploadId, tenantId: tenant.id, documentId, storageKey: key }));
      let stored: { size: number; sha256: string };
      try {
        stored = await storage.put(tenant.slug, key, content.body, { contentType: content.mediaType, maxBytes: deps.maxBytes });
      } catch (err) {
        await discard(tenant, uploadId, key);
        if (err instanceof BlobTooLargeError) throw errors.payloadTooLarge(err.limit);
        throw err;
      }
      if (content.expectedSha256 && content.expectedSha256 !== stored.sha256) {
        await discard(tenant, uploadId, key);
        throw errors.digestMismatch(content.expectedSha256, stored.sha256);
      }
      try {
        return await tx(tenant.id, async (t) => {
          const doc = await documentRepo.lockForWrite(t, tenant.id, documentId);
          if (!doc) throw errors.notFound('document');
          requireIfMatch(ifMatch, documentEtag(doc));
          assertWritable(doc);
          assertNotCheckedOutByOther(doc, actor);
          if (!(await versionRepo.finishUpload(t, tenant.id, uploadId))) {
            throw errors.conflict('The upload took too long and was collected; send it again');
          }
          const number = doc.versionCount + 1;
          const row = await versionRepo.create(t, {
            id: uploadId,
            tenantId: tenant.id,
            documentId,
            number,
            storageKey: key,
            size: BigInt(stored.size),
            sha256: stored.sha256,
            mediaType: content.mediaType,
            filename: content.filename,
            uploadedBy: actor,
          });
          const release = content.checkin && activeCheckout(doc)?.by === actor;
          await documentRepo.update(t, tenant.id, documentId, doc.rowVersion, {
            versionCount: number,
            ...(release ? { checkedOutBy: null, checkedOutUntil: null } : {}),
          });
          const version = toVersion(tenant.slug, row);
          const { contentUrl: _url, ...recorded } = version;
          await appendAudit(t, tenant.id, caller, {
            action: 'version.created',
            objectType: 'document',
            objectId: documentId,
            new: { ...recorded, ...(release ? { checkedIn: true } : {}) },
          });
          return { version, documentEtag: documentEtag({ id: doc.id, rowVersion: doc.rowVersion + 1 }) };
        });
      } catch (err) {
        await discard(tenant, uploadId, key);
        throw err;
      }
    },

    async listVersions(caller: Principal, tenant: TenantRef, documentId: string, q: { limit: number; cursor?: string }) {
      authorize(caller, 'records:read');
      return tx(tenant.id, async (t) => {
        if (!(await documentRepo.findById(t, tenant.id, documentId))) throw errors.notFound('document');
        const rows = await versionRepo.page(t, tenant.id, documentId, { afterNumber: q.cursor ? Number(q.cursor) : undefined, limit: q.limit + 1 });
        const items = rows.slice(0, q.limit);
        return { items: items.map((r) => toVersion(tenant.slug, r)), next: rows.length > q.limit ? String(items.at(-1)!.number) : null };
      });
    },

    async getVersion(caller: Principal, tenant: TenantRef, documentId: string, number: number): Promise<Version> {
      authorize(caller, 'records:read');
      const row = await tx(tenant.id, (t) => versionRepo.find(t, tenant.id, documentId, number));
      if (!row) throw errors.notFound('version');
      return toVersion(tenant.slug, row);
    },

    /** Looks up a version for download (metadata only; the stream is opened by `openContent`). */
    /** Looks up a version for download (metadata only; `openContent` streams, `recordRead` audits). */
    async findContent(caller: Principal, tenant: TenantRef, documentId: string, number: number): Promise<Version & { storageKey: string }> {
      authorize(caller, 'content:read');
      const row = await tx(tenant.id, (t) => versionRepo.find(t, tenant.id, documentId, number));
      if (!row) throw errors.notFound('version');
      return { ...toVersion(tenant.slug, row), storageKey: row.storageKey };
    },

    /** Records a content read in the audit trail: called once bytes are about to be sent (not for 304/416). */
    async recordRead(caller: Principal, tenant: TenantRef, documentId: string, number: number, range?: string): Promise<void> {
      await tx(tenant.id, (t) =>
        appendAudit(t, tenant.id, caller, {
          action: 'version.content-read',
          objectType: 'document',
          objectId: documentId,
          new: { number, ...(range ? { range } : {}) },
        }),
      );
    },

    async openContent(tenant: TenantRef, storageKey: string, range?: ByteRange): Promise<Readable> {
      try {
        return await storage.get(tenant.slug, storageKey, range);
      } catch (err) {
        // A version row whose object is missing is damage the sanity check reports; never a 404.
        if (err instanceof BlobNotFoundError) throw new Error(`content of ${storageKey} is missing from storage`, { cause: err });
        throw err;
      }
    },
  };
}

export type VersionService = ReturnType<typeof createVersionService>;
