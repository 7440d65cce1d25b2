import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, can, eventOf, type ReadUnit, type UnitOfWork } from '../../../core/index.js';
import { errors } from '../../../errors.js';
import { afterId, idPage } from '../../../lib/cursor.js';
import { optionalDate } from '../../../lib/dates.js';
import { checkMetadata } from '../../../lib/metadata.js';
import type { Versioned } from '../../../lib/reply.js';
import { assertCurrent, assertWritable, lockCase, lockDocument } from '../guard.js';
import { activeCheckout, toRecordDocument, versioned } from '../present.js';
import { recordsReads, recordsRepo } from '../repo.js';
import type { CreateDocument, RecordDocument, UpdateDocument } from '../schemas/documents.js';
import { applyChange } from './change.js';

/** Documents (Dokumente) in cases, and their check-out (lock) for editing. */
export const documentOps = {
  /** `id` is given by workflows that stored the document's content before creating it (online intake). */
  async createDocument(uow: UnitOfWork, caseId: string, input: CreateDocument, id: string = uuidv7()): Promise<Versioned<RecordDocument>> {
    authorize(uow.ctx, 'records:write');
    checkMetadata(input.metadata);
    const chain = await lockCase(uow, caseId, 'share');
    assertWritable(uow, chain);
    const row = await uow.repo(recordsRepo).createDocument({
      id,
      caseId,
      title: input.title,
      kind: input.kind,
      receivedOn: optionalDate(input.receivedOn) ?? null,
      sentOn: optionalDate(input.sentOn) ?? null,
      sender: input.sender ?? null,
      addressee: input.addressee ?? null,
      metadata: input.metadata ?? {},
      createdBy: actorOf(uow.ctx.caller),
    });
    const v = versioned('document', row);
    await uow.audit.append(
      { action: 'document.created', objectType: 'document', objectId: row.id, new: v.value },
      eventOf('document.created', row.id, { fileId: chain.file.id, caseId }, { kind: row.kind }),
    );
    return v;
  },

  async getDocument(unit: ReadUnit, id: string): Promise<Versioned<RecordDocument>> {
    authorize(unit.ctx, 'records:read');
    const row = await unit.repo(recordsReads).document(id);
    if (!row) throw errors.notFound('document');
    return versioned('document', row);
  },

  async listDocuments(uow: UnitOfWork, caseId: string, q: { limit: number; cursor?: string }) {
    authorize(uow.ctx, 'records:read');
    const after = afterId(q.cursor);
    const repo = uow.repo(recordsRepo);
    if (!(await repo.case(caseId))) throw errors.notFound('case');
    return idPage(await repo.documentPage(caseId, { afterId: after, limit: q.limit + 1 }), q.limit, toRecordDocument);
  },

  async updateDocument(uow: UnitOfWork, id: string, ifMatch: string | undefined, input: UpdateDocument) {
    authorize(uow.ctx, 'records:write');
    checkMetadata(input.metadata);
    const chain = await lockDocument(uow, id);
    assertCurrent(chain.document, ifMatch);
    assertWritable(uow, chain);
    const changes = {
      title: input.title,
      kind: input.kind,
      receivedOn: optionalDate(input.receivedOn),
      sentOn: optionalDate(input.sentOn),
      sender: input.sender,
      addressee: input.addressee,
      metadata: input.metadata,
    };
    return applyChange(uow, 'document', chain.document, (repo) => repo.updateDocument(id, changes), {
      action: 'document.updated',
      event: (_after, changed) => eventOf('document.updated', id, { fileId: chain.file.id, caseId: chain.case.id }, { changed }),
    });
  },

  /** Checks a document out to the caller for `minutes`; the holder may extend it. */
  async checkOut(uow: UnitOfWork, id: string, minutes: number) {
    authorize(uow.ctx, 'records:write');
    const chain = await lockDocument(uow, id);
    assertWritable(uow, chain);
    const by = actorOf(uow.ctx.caller);
    const until = new Date(Date.now() + minutes * 60_000);
    return applyChange(uow, 'document', chain.document, (repo) => repo.updateDocument(id, { checkedOutBy: by, checkedOutUntil: until }), {
      action: 'document.checked-out',
      event: () => eventOf('document.checked-out', id, { fileId: chain.file.id, caseId: chain.case.id }, { by, until: until.toISOString() }),
    });
  },

  /**
   * Releases check-outs that lapsed (a job): they stopped blocking at their expiry already; this
   * clears them and tells others with `document.checked-in` (how: expired).
   */
  async releaseLapsedCheckouts(uow: UnitOfWork, now = new Date(), limit = 500): Promise<number> {
    const docs = await uow.repo(recordsRepo).lapsedCheckouts(now, limit);
    for (const doc of docs) {
      await applyChange(uow, 'document', doc, (repo) => repo.updateDocument(doc.id, { checkedOutBy: null, checkedOutUntil: null }), {
        action: 'document.checkout-expired',
        extra: { checkedOutBy: doc.checkedOutBy, until: doc.checkedOutUntil!.toISOString() },
        event: () => eventOf('document.checked-in', doc.id, { fileId: doc.fileId, caseId: doc.caseId }, { by: doc.checkedOutBy!, how: 'expired' }),
      });
    }
    return docs.length;
  },

  /** Ends a check-out: the holder releases it; a records manager may break someone else's. */
  async release(uow: UnitOfWork, id: string, ifMatch: string | undefined, force: boolean) {
    authorize(uow.ctx, force ? 'checkout:break' : 'records:write');
    const chain = await lockDocument(uow, id);
    assertCurrent(chain.document, ifMatch);
    const checkout = activeCheckout(chain.document);
    if (!checkout) throw errors.conflict('The document is not checked out');
    const own = checkout.by === actorOf(uow.ctx.caller);
    if (!own && !(force && can(uow.ctx, 'checkout:break'))) throw errors.checkedOut(checkout.until);
    return applyChange(uow, 'document', chain.document, (repo) => repo.updateDocument(id, { checkedOutBy: null, checkedOutUntil: null }), {
      action: own ? 'document.released' : 'document.checkout-broken',
      event: () =>
        eventOf('document.checked-in', id, { fileId: chain.file.id, caseId: chain.case.id }, { by: checkout.by, how: own ? 'released' : 'broken' }),
    });
  },
};
