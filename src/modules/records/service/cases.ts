import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, eventOf, type ReadUnit, type UnitOfWork } from '../../../core/index.js';
import { errors } from '../../../errors.js';
import { afterId, idPage } from '../../../lib/cursor.js';
import { formatDate } from '../../../lib/dates.js';
import { checkMetadata } from '../../../lib/metadata.js';
import type { Versioned } from '../../../lib/reply.js';
import { assertCurrent, assertWritable, lockCase, lockFile } from '../guard.js';
import { toRecordCase, versioned } from '../present.js';
import { recordsReads, recordsRepo, type CaseRow } from '../repo.js';
import type { CreateCase, RecordCase, UpdateCase } from '../schemas/cases.js';
import { applyChange } from './change.js';

const closed = (uow: UnitOfWork, kase: CaseRow, closedOn: Date, extra?: Record<string, unknown>) =>
  applyChange(uow, 'case', kase, (repo) => repo.updateCase(kase.id, { status: 'closed', closedOn }), {
    action: 'case.closed',
    extra,
    event: (after) => eventOf('case.closed', kase.id, { fileId: kase.fileId }, { reference: after.reference, closedOn: formatDate(closedOn) }),
  });

/** Cases (Vorgänge) inside files. */
export const caseOps = {
  /** Opens a case in an open file; its reference is the file's plus a running number. */
  async createCase(uow: UnitOfWork, fileId: string, input: CreateCase): Promise<Versioned<RecordCase>> {
    authorize(uow.ctx, 'records:write');
    checkMetadata(input.metadata);
    const repo = uow.repo(recordsRepo);
    const file = await lockFile(uow, fileId);
    assertWritable(uow, { file });
    const number = await repo.nextCaseNumber(fileId);
    const row = await repo.createCase({
      id: uuidv7(),
      fileId,
      reference: `${file.reference}-${String(number).padStart(3, '0')}`,
      title: input.title,
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      createdBy: actorOf(uow.ctx.caller),
    });
    const v = versioned('case', row);
    await uow.audit.append(
      { action: 'case.created', objectType: 'case', objectId: row.id, new: v.value },
      eventOf('case.created', row.id, { fileId }, { reference: row.reference }),
    );
    return v;
  },

  async getCase(unit: ReadUnit, id: string): Promise<Versioned<RecordCase>> {
    authorize(unit.ctx, 'records:read');
    const row = await unit.repo(recordsReads).case(id);
    if (!row) throw errors.notFound('case');
    return versioned('case', row);
  },

  async listCases(uow: UnitOfWork, fileId: string, q: { limit: number; cursor?: string; status?: 'open' | 'closed' }) {
    authorize(uow.ctx, 'records:read');
    const after = afterId(q.cursor);
    const repo = uow.repo(recordsRepo);
    if (!(await repo.file(fileId))) throw errors.notFound('file');
    return idPage(await repo.casePage(fileId, { status: q.status, afterId: after, limit: q.limit + 1 }), q.limit, toRecordCase);
  },

  async updateCase(uow: UnitOfWork, id: string, ifMatch: string | undefined, input: UpdateCase) {
    authorize(uow.ctx, 'records:write');
    checkMetadata(input.metadata);
    const chain = await lockCase(uow, id);
    assertCurrent(chain.case, ifMatch);
    assertWritable(uow, chain);
    return applyChange(uow, 'case', chain.case, (repo) => repo.updateCase(id, input), {
      action: 'case.updated',
      event: (after, changed) => eventOf('case.updated', id, { fileId: after.fileId }, { reference: after.reference, changed }),
    });
  },

  /** Closes a case (zdA) on `closedOn`. A closed case in an open file may close only once. */
  async closeCase(uow: UnitOfWork, id: string, ifMatch: string | undefined, closedOn: Date) {
    authorize(uow.ctx, 'records:write');
    const chain = await lockCase(uow, id);
    assertCurrent(chain.case, ifMatch);
    if (chain.case.status === 'closed') throw errors.objectClosed('case');
    return closed(uow, chain.case, closedOn);
  },

  /**
   * The open cases of a file the caller has locked for closing, each closed on `closedOn` with its
   * own audit event and `case.closed` event, exactly as if it had been closed on its own.
   */
  async closeOpenCasesOfFile(uow: UnitOfWork, fileId: string, closedOn: Date): Promise<number> {
    const open = await uow.repo(recordsRepo).openCasesOfFile(fileId);
    for (const kase of open) await closed(uow, kase, closedOn, { withFile: true });
    return open.length;
  },

  /** Reopens a closed case of an open file (records managers, with a reason). */
  async reopenCase(uow: UnitOfWork, id: string, ifMatch: string | undefined, reason: string) {
    authorize(uow.ctx, 'records:reopen');
    const chain = await lockCase(uow, id);
    assertCurrent(chain.case, ifMatch);
    if (chain.file.status === 'closed') throw errors.objectClosed('file');
    if (chain.case.status !== 'closed') throw errors.conflict('The case is not closed');
    return applyChange(uow, 'case', chain.case, (repo) => repo.updateCase(id, { status: 'open', closedOn: null }), {
      action: 'case.reopened',
      extra: { reason },
      event: (after) => eventOf('case.reopened', id, { fileId: after.fileId }, { reference: after.reference }),
    });
  },
};
