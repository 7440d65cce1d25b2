import { actorOf, type RequestContext, type SqlUnit, type UnitOfWork } from '../../core/index.js';
import { errors } from '../../errors.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import { activeCheckout, etagOfRow } from './present.js';
import { recordsRepo, versionWrites, type CaseRow, type DocumentRow, type FileRow, type Lock, type Status } from './repo.js';

/**
 * The one guard of the records chain. Writers lock top-down, file → case → document, so that
 * closing a file, changing a case and adding a version never deadlock and never slip between a
 * check and a write; and writability is decided here once: a closed file or case is read-only with
 * everything in it, and a document checked out by someone else accepts no changes.
 */

export interface Chain {
  file: { status: Status };
  case?: { status: Status };
  document?: Pick<DocumentRow, 'checkedOutBy' | 'checkedOutUntil'>;
}

/** 409 object-closed for a closed file or case; 409 checked-out for someone else's check-out. */
export function assertWritable(uow: { ctx: RequestContext }, chain: Chain): void {
  if (chain.file.status === 'closed') throw errors.objectClosed('file');
  if (chain.case?.status === 'closed') throw errors.objectClosed('case');
  const checkout = chain.document ? activeCheckout(chain.document) : null;
  if (checkout && checkout.by !== actorOf(uow.ctx.caller)) throw errors.checkedOut(checkout.until);
}

/** If-Match against the locked row: 428 without, 412 when someone changed it first. */
export function assertCurrent(row: { id: string; rowVersion: number }, ifMatch: string | undefined): void {
  requireIfMatch(ifMatch, etagOfRow(row));
}

/** Locks a file (`update` to change it or add a case, `share` to work inside it). */
export async function lockFile(uow: UnitOfWork, id: string, mode: Lock = 'update'): Promise<FileRow> {
  const file = await uow.repo(recordsRepo).file(id, mode);
  if (!file) throw errors.notFound('file');
  return file;
}

/** Locks a case's file (shared), then the case (`update` to change it, `share` to work inside it). */
export async function lockCase(uow: UnitOfWork, id: string, mode: Lock = 'update'): Promise<{ file: FileRow; case: CaseRow }> {
  const repo = uow.repo(recordsRepo);
  const parents = await repo.parentsOf({ caseId: id });
  const file = parents && (await repo.file(parents.fileId, 'share'));
  const kase = file && (await repo.case(id, mode));
  if (!file || !kase) throw errors.notFound('case');
  return { file, case: kase };
}

/** Locks a document's file and case (shared), then the document itself: one statement (in any unit that writes). */
export async function lockDocument(
  uow: SqlUnit,
  id: string,
): Promise<{ file: { id: string; status: Status }; case: { id: string; status: Status }; document: DocumentRow }> {
  const row = await uow.repo(versionWrites).lockDocumentChain(id);
  if (!row) throw errors.notFound('document');
  const { fileId, caseStatus, fileStatus, ...document } = row;
  return { file: { id: fileId, status: fileStatus }, case: { id: document.caseId, status: caseStatus }, document };
}
