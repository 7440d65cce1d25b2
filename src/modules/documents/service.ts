import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, can } from '../../auth/permissions.js';
import type { TenantTx, Tx } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { formatOptionalDate, optionalDate } from '../../lib/dates.js';
import { etagOf } from '../../lib/etag.js';
import { checkMetadata } from '../../lib/metadata.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Principal } from '../../plugins/auth.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import { appendAudit, appendChange } from '../audit/writer.js';
import { caseRepo } from '../cases/repo.js';
import type { Versioned } from '../../lib/reply.js';
import { fileRepo } from '../files/repo.js';
import { documentRepo, type DocumentWithParents } from './repo.js';
import type { CreateDocument, RecordDocument, UpdateDocument } from './schemas.js';

/** The active check-out of a document, if any (an expired one no longer counts). */
export function activeCheckout(doc: DocumentWithParents, now = new Date()) {
  return doc.checkedOutBy && doc.checkedOutUntil && doc.checkedOutUntil > now
    ? { by: doc.checkedOutBy, until: doc.checkedOutUntil }
    : null;
}

export function toRecordDocument(row: DocumentWithParents): RecordDocument {
  const checkout = activeCheckout(row);
  return {
    id: row.id,
    caseId: row.caseId,
    title: row.title,
    kind: row.kind as RecordDocument['kind'],
    receivedOn: formatOptionalDate(row.receivedOn),
    sentOn: formatOptionalDate(row.sentOn),
    sender: row.sender,
    addressee: row.addressee,
    metadata: row.metadata as Record<string, unknown>,
    versionCount: row.versionCount,
    checkout: checkout ? { by: checkout.by, until: checkout.until.toISOString() } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

export const documentEtag = (row: { id: string; rowVersion: number }) => etagOf(row.id, row.rowVersion);

const versioned = (row: DocumentWithParents): Versioned<RecordDocument> => ({ value: toRecordDocument(row), etag: documentEtag(row) });

/** Closed files and cases are read-only, and so is everything in them. */
export function assertWritable(doc: DocumentWithParents): void {
  if (doc.case.file.status === 'closed') throw errors.objectClosed('file');
  if (doc.case.status === 'closed') throw errors.objectClosed('case');
}

/** A check-out by someone else blocks changes until check-in, expiry or a break. */
export function assertNotCheckedOutByOther(doc: DocumentWithParents, actor: string): void {
  const checkout = activeCheckout(doc);
  if (checkout && checkout.by !== actor) throw errors.checkedOut(checkout.until);
}

/** Documents (Dokumente) in cases, and their check-out (lock) for editing. */
export function createDocumentService(deps: { tx: TenantTx }) {
  const { tx } = deps;

  async function loadForWrite(t: Tx, tenant: TenantRef, id: string, ifMatch: string | undefined) {
    const doc = await documentRepo.lockForWrite(t, tenant.id, id);
    if (!doc) throw errors.notFound('document');
    requireIfMatch(ifMatch, documentEtag(doc));
    return doc;
  }
  /** Reloads the document after a change and records old and new values in the audit trail. */
  async function audited(t: Tx, tenant: TenantRef, caller: Principal, action: string, before: DocumentWithParents) {
    const after = versioned((await documentRepo.findById(t, tenant.id, before.id))!);
    await appendChange(t, tenant.id, caller, { action, objectType: 'document', objectId: before.id, before: toRecordDocument(before), after: after.value });
    return after;
  }

  return {
    async createDocument(caller: Principal, tenant: TenantRef, caseId: string, input: CreateDocument): Promise<Versioned<RecordDocument>> {
      authorize(caller, 'records:write');
      checkMetadata(input.metadata);
      return tx(tenant.id, async (t) => {
        const c = await caseRepo.findById(t, tenant.id, caseId);
        if (!c) throw errors.notFound('case');
        await fileRepo.lock(t, tenant.id, c.fileId);
        const current = (await caseRepo.findById(t, tenant.id, caseId))!;
        if (current.file.status === 'closed') throw errors.objectClosed('file');
        if (current.status === 'closed') throw errors.objectClosed('case');
        const row = await documentRepo.create(t, {
          id: uuidv7(),
          tenantId: tenant.id,
          caseId,
          title: input.title,
          kind: input.kind,
          receivedOn: optionalDate(input.receivedOn) ?? null,
          sentOn: optionalDate(input.sentOn) ?? null,
          sender: input.sender ?? null,
          addressee: input.addressee ?? null,
          metadata: (input.metadata ?? {}) as object,
          createdBy: actorOf(caller),
        });
        const v = versioned(row);
        await appendAudit(t, tenant.id, caller, { action: 'document.created', objectType: 'document', objectId: row.id, new: v.value });
        return v;
      });
    },

    async getDocument(caller: Principal, tenant: TenantRef, id: string): Promise<Versioned<RecordDocument>> {
      authorize(caller, 'records:read');
      const row = await tx(tenant.id, (t) => documentRepo.findById(t, tenant.id, id));
      if (!row) throw errors.notFound('document');
      return versioned(row);
    },

    async listDocuments(caller: Principal, tenant: TenantRef, caseId: string, q: { limit: number; cursor?: string }) {
      authorize(caller, 'records:read');
      const after = afterId(q.cursor);
      return tx(tenant.id, async (t) => {
        if (!(await caseRepo.findById(t, tenant.id, caseId))) throw errors.notFound('case');
        const rows = await documentRepo.pageOfCase(t, tenant.id, caseId, { afterId: after, limit: q.limit + 1 });
        return idPage(rows, q.limit, toRecordDocument);
      });
    },

    async updateDocument(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, input: UpdateDocument) {
      authorize(caller, 'records:write');
      checkMetadata(input.metadata);
      return tx(tenant.id, async (t) => {
        const doc = await loadForWrite(t, tenant, id, ifMatch);
        assertWritable(doc);
        assertNotCheckedOutByOther(doc, actorOf(caller));
        await documentRepo.update(t, tenant.id, id, doc.rowVersion, {
          title: input.title,
          kind: input.kind,
          receivedOn: optionalDate(input.receivedOn),
          sentOn: optionalDate(input.sentOn),
          sender: input.sender,
          addressee: input.addressee,
          metadata: input.metadata as object | undefined,
        });
        return audited(t, tenant, caller, 'document.updated', doc);
      });
    },

    /** Checks a document out to the caller for `minutes`; the holder may extend it. */
    async checkOut(caller: Principal, tenant: TenantRef, id: string, minutes: number) {
      authorize(caller, 'records:write');
      return tx(tenant.id, async (t) => {
        const doc = await documentRepo.lockForWrite(t, tenant.id, id);
        if (!doc) throw errors.notFound('document');
        assertWritable(doc);
        assertNotCheckedOutByOther(doc, actorOf(caller));
        await documentRepo.update(t, tenant.id, id, doc.rowVersion, {
          checkedOutBy: actorOf(caller),
          checkedOutUntil: new Date(Date.now() + minutes * 60_000),
        });
        return audited(t, tenant, caller, 'document.checked-out', doc);
      });
    },

    /** Ends a check-out: the holder releases it; a records manager may break someone else's. */
    async release(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, force: boolean) {
      authorize(caller, force ? 'checkout:break' : 'records:write');
      return tx(tenant.id, async (t) => {
        const doc = await loadForWrite(t, tenant, id, ifMatch);
        const checkout = activeCheckout(doc);
        if (!checkout) throw errors.conflict('The document is not checked out');
        if (checkout.by !== actorOf(caller) && !(force && can(caller, 'checkout:break'))) throw errors.checkedOut(checkout.until);
        await documentRepo.update(t, tenant.id, id, doc.rowVersion, { checkedOutBy: null, checkedOutUntil: null });
        return audited(t, tenant, caller, checkout.by === actorOf(caller) ? 'document.released' : 'document.checkout-broken', doc);
      });
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
