import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, eventOf, type EventDraft, type SqlUnit, type UnitOfWork } from '../../../core/index.js';
import { errors } from '../../../errors.js';
import { requireIfMatch } from '../../../lib/preconditions.js';
import type { Versioned } from '../../../lib/reply.js';
import { assertCurrent, assertWritable, lockDocument } from '../guard.js';
import { activeCheckout, contentEtag, etagOfRow, toVersion } from '../present.js';
import { recordsRepo, versionWrites } from '../repo.js';
import type { Version } from '../schemas/versions.js';

/** An upload that has been recorded and may now stream to storage. */
export interface PendingUpload {
  uploadId: string;
  documentId: string;
  /** Object key in the tenant's bucket. */
  key: string;
}

export interface StoredContent {
  size: number;
  sha256: string;
  mediaType: string;
  filename: string;
  /** Release the caller's check-out once the version is stored. */
  checkin: boolean;
}

export interface StoredVersion {
  version: Version;
  /** The document's ETag after this version: the If-Match of the next one. */
  documentEtag: string;
}

/**
 * Immutable versions with streamed content. The add-version workflow records an upload
 * (`prepareUpload`), streams the bytes to storage, then commits (`commitUpload`) under the chain's
 * locks, or discards. Any failure removes the object and the record; a crash leaves a record the
 * sweeper finds.
 */
export const versionOps = {
  /**
   * Checks that a version may be added (the document exists, If-Match is current, nothing is
   * closed or checked out by someone else) and records the upload, before a single byte is stored.
   * The checks are repeated under locks at commit. Its own SQL only: it runs in an SQL unit.
   */
  async prepareUpload(uow: SqlUnit, documentId: string, ifMatch: string | undefined): Promise<PendingUpload> {
    authorize(uow.ctx, 'records:write');
    if (!ifMatch) throw errors.preconditionRequired();
    const repo = uow.repo(versionWrites);
    const uploadId = uuidv7();
    const key = `documents/${documentId}/${uploadId}`;
    // One statement: the document's chain, and the upload record (rolled back if a check throws).
    const doc = await repo.documentInChainStartingUpload(documentId, { id: uploadId, storageKey: key });
    if (!doc) throw errors.notFound('document');
    requireIfMatch(ifMatch, etagOfRow(doc));
    assertWritable(uow, { file: { status: doc.fileStatus }, case: { status: doc.caseStatus }, document: doc });
    return { uploadId, documentId, key };
  },

  /**
   * Records an upload for a document that does not exist yet (its id chosen by the caller), so
   * content can be stored before the unit of work that creates the document and commits the
   * version; the sweeper collects it when that unit never commits.
   */
  async reserveUpload(uow: UnitOfWork, documentId: string): Promise<PendingUpload> {
    authorize(uow.ctx, 'records:write');
    const uploadId = uuidv7();
    const key = `documents/${documentId}/${uploadId}`;
    await uow.repo(recordsRepo).startUpload({ id: uploadId, documentId, storageKey: key });
    return { uploadId, documentId, key };
  },

  /** Numbers and stores the version of a completed upload: n+1 under the document's lock. Its own SQL only: it runs in an SQL unit. */
  async commitUpload(uow: SqlUnit, upload: PendingUpload, ifMatch: string, content: StoredContent): Promise<StoredVersion> {
    const repo = uow.repo(versionWrites);
    const chain = await lockDocument(uow, upload.documentId);
    const doc = chain.document;
    assertCurrent(doc, ifMatch);
    assertWritable(uow, chain);
    const actor = actorOf(uow.ctx.caller);
    const number = doc.versionCount + 1;
    const checkedIn = content.checkin && activeCheckout(doc)?.by === actor;
    const stored = await repo.storeVersion(
      upload.uploadId,
      {
        id: upload.uploadId,
        documentId: doc.id,
        number,
        storageKey: upload.key,
        size: BigInt(content.size),
        sha256: content.sha256,
        mediaType: content.mediaType,
        filename: content.filename,
        uploadedBy: actor,
      },
      checkedIn,
    );
    if (!stored) throw errors.conflict('The upload took too long and was collected; send it again');
    const row = stored.version;
    const version = toVersion(uow.tenant.slug, row);
    const { contentUrl: _url, ...recorded } = version;
    const parents = { fileId: chain.file.id, caseId: chain.case.id, documentId: doc.id };
    const events: EventDraft[] = [
      eventOf('version.created', row.id, parents, { number, size: content.size, sha256: content.sha256, mediaType: content.mediaType }),
    ];
    if (checkedIn) events.push(eventOf('document.checked-in', doc.id, { fileId: chain.file.id, caseId: chain.case.id }, { by: actor, how: 'version' }));
    // The last statement: in an SQL unit it goes with the COMMIT, so the tenant's audit lock waits on no round trip.
    await uow.audit.appendLast(
      { action: 'version.created', objectType: 'document', objectId: doc.id, new: { ...recorded, ...(checkedIn ? { checkedIn: true } : {}) } },
      ...events,
    );
    return { version, documentEtag: etagOfRow({ id: doc.id, rowVersion: stored.documentRowVersion }) };
  },

  /** Forgets an upload whose object has been removed (or marks it failed, so the sweeper collects it soon). */
  async endUpload(uow: UnitOfWork, uploadId: string, outcome: 'removed' | 'failed'): Promise<void> {
    const repo = uow.repo(recordsRepo);
    if (outcome === 'removed') await repo.finishUpload(uploadId);
    else await repo.markUploadFailed(uploadId);
  },

  async listVersions(uow: UnitOfWork, documentId: string, q: { limit: number; cursor?: string }) {
    authorize(uow.ctx, 'records:read');
    const repo = uow.repo(recordsRepo);
    if (!(await repo.document(documentId))) throw errors.notFound('document');
    const rows = await repo.versionPage(documentId, { afterNumber: q.cursor ? Number(q.cursor) : undefined, limit: q.limit + 1 });
    const items = rows.slice(0, q.limit);
    return { items: items.map((r) => toVersion(uow.tenant.slug, r)), next: rows.length > q.limit ? String(items.at(-1)!.number) : null };
  },

  /** A version's metadata; it never changes, so its ETag is its content's and never goes stale. */
  async getVersion(uow: UnitOfWork, documentId: string, number: number): Promise<Versioned<Version>> {
    authorize(uow.ctx, 'records:read');
    const row = await uow.repo(recordsRepo).version(documentId, number);
    if (!row) throw errors.notFound('version');
    // A version never changes: its ETag is its content's (the SHA-256), the one addVersion and the download send.
    return { value: toVersion(uow.tenant.slug, row), etag: contentEtag(row.sha256) };
  },

  /** A version for download: its metadata and storage key (content:read). */
  async contentOf(uow: UnitOfWork, documentId: string, number: number): Promise<Version & { storageKey: string }> {
    authorize(uow.ctx, 'content:read');
    const row = await uow.repo(recordsRepo).version(documentId, number);
    if (!row) throw errors.notFound('version');
    return { ...toVersion(uow.tenant.slug, row), storageKey: row.storageKey };
  },

  /** Records a content read in the audit trail: once bytes are about to be sent (not for 304/416). */
  async recordContentRead(uow: UnitOfWork, documentId: string, number: number, range?: string): Promise<void> {
    await uow.audit.append({ action: 'version.content-read', objectType: 'document', objectId: documentId, new: { number, ...(range ? { range } : {}) } });
  },
};
