import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, can, eventOf, type UnitOfWork } from '../../../core/index.js';
import { errors } from '../../../errors.js';
import { afterId, idPage } from '../../../lib/cursor.js';
import { formatDate, formatOptionalDate } from '../../../lib/dates.js';
import { PERMISSIONS } from '../../../core/permissions.js';
import type { Versioned } from '../../../lib/reply.js';
import { assertCurrent, lockFile } from '../guard.js';
import { toRecordFile } from '../present.js';
import { recordsRepo, type DisposalState, type FileChanges, type FileRow } from '../repo.js';
import { retentionEnd } from '../retention.js';
import type { RecordFile } from '../schemas/files.js';
import type { ArchiveDecisionBody, ArchivedBody, DestructionRecord, PlaceHold, RetentionOverride } from '../schemas/lifecycle.js';
import { applyChange } from './change.js';

/**
 * How a lifecycle step checks the file's version: routes pass the client's If-Match (428 when
 * absent, 412 when stale); a workflow acting on the archive's message passes `null` to skip the
 * check (the file is still locked for the step, and the state machine still guards the order).
 */
export type Precondition = string | undefined | null;

const check = (file: FileRow, ifMatch: Precondition) => {
  if (ifMatch !== null) assertCurrent(file, ifMatch);
};

/** States a file may be destroyed from: the archive decided V, or confirmed its takeover. */
const destroyable = (file: FileRow) =>
  (file.disposalState === 'evaluated' && file.archiveDecision === 'V') || file.disposalState === 'archived';

/** Before the first step of disposal, or while due: retention may still change, and the file reopen. */
export const disposalStarted = (file: FileRow) => file.disposalState !== null && file.disposalState !== 'due';

/** The retention a closing file takes: code and period of its plan unit, and the computed end. */
export async function retentionAtClose(uow: UnitOfWork, file: FileRow, closedOn: Date): Promise<FileChanges> {
  const unit = await uow.repo(recordsRepo).planRetention(file.planUnitId);
  return {
    disposalCode: unit.disposal,
    retentionYears: unit.retentionYears,
    retentionEndsOn: retentionEnd(closedOn, unit.retentionYears),
    retentionOverridden: false,
  };
}

/** What reopening a file clears: the computed retention (closing again computes it anew) and `due`. */
export const retentionCleared: FileChanges = {
  disposalCode: null,
  retentionYears: null,
  retentionEndsOn: null,
  retentionOverridden: false,
  disposalState: null,
  disposalChangedAt: null,
};

/**
 * Retention, legal holds and the disposal state machine (Aussonderung) of files. The storage side
 * (object locks and holds, removing content) is in src/workflows; these steps are the records'
 * side, each in the caller's unit of work, each with its audit event and event.
 */
export const lifecycleOps = {
  /**
   * Overrides a closed file's disposal code and/or retention period (records managers, with a
   * reason: 422 without). The end is computed anew; a file already offered to the archive keeps
   * its retention (409). A due file whose new end lies ahead is no longer due.
   */
  async overrideRetention(uow: UnitOfWork, id: string, ifMatch: Precondition, input: RetentionOverride): Promise<{ file: Versioned<RecordFile>; row: FileRow; keys: string[] }> {
    authorize(uow.ctx, 'retention:override');
    if (!input.reason || input.reason.trim().length < 3) throw errors.unprocessable('A retention override needs a reason (3-1000 characters)');
    if (input.disposalCode === undefined && input.retentionYears === undefined) {
      throw errors.unprocessable('Give disposalCode, retentionYears or both');
    }
    const file = await lockFile(uow, id);
    check(file, ifMatch);
    if (file.status !== 'closed' || !file.closedOn || !file.disposalCode) {
      throw errors.conflict('Retention is fixed when the file is closed (zdA); close it first');
    }
    if (disposalStarted(file)) throw errors.disposalOutOfOrder('Overriding the retention', file.disposalState, ['none', 'due']);
    const retentionYears = input.retentionYears === undefined ? file.retentionYears : input.retentionYears;
    const endsOn = retentionEnd(file.closedOn, retentionYears);
    const stillDue = file.disposalState === 'due' && endsOn !== null && endsOn < new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    const changes: FileChanges = {
      disposalCode: input.disposalCode ?? file.disposalCode,
      retentionYears,
      retentionEndsOn: endsOn,
      retentionOverridden: true,
      ...(file.disposalState === 'due' && !stillDue ? { disposalState: null, disposalChangedAt: null } : {}),
    };
    const v = await applyChange(uow, 'file', file, (repo) => repo.updateFile(file, changes), {
      action: 'file.retention-overridden',
      extra: { reason: input.reason },
      event: (after) =>
        eventOf('file.retention-changed', id, {}, {
          reference: after.reference,
          disposalCode: after.disposalCode!,
          retentionYears: after.retentionYears,
          retentionEndsOn: formatOptionalDate(after.retentionEndsOn),
        }),
    });
    const repo = uow.repo(recordsRepo);
    return { file: v, row: (await repo.file(id))!, keys: await repo.versionKeysOfFile(id) };
  },

  /**
   * Puts a legal hold on a file (records managers): no disposal while it is on. The caller (a
   * workflow) sets the object legal hold on every version listed in `keys` in the same unit.
   */
  async placeHold(uow: UnitOfWork, id: string, ifMatch: Precondition, input: PlaceHold) {
    authorize(uow.ctx, 'hold:manage');
    const file = await lockFile(uow, id);
    check(file, ifMatch);
    if (file.disposalState === 'destroyed') throw errors.disposalOutOfOrder('A hold', file.disposalState, ['none', 'due', 'offered', 'evaluated', 'archived']);
    if (file.holdAt) throw errors.conflict(`The file is already under a hold (since ${file.holdAt.toISOString()})`);
    const v = await applyChange(
      uow,
      'file',
      file,
      (repo) => repo.updateFile(file, { holdReason: input.reason, holdReference: input.reference ?? null, holdBy: actorOf(uow.ctx.caller), holdAt: new Date() }),
      { action: 'file.hold-placed', event: (after) => eventOf('file.hold-placed', id, {}, { reference: after.reference, holdReference: after.holdReference }) },
    );
    return { file: v, keys: await uow.repo(recordsRepo).versionKeysOfFile(id) };
  },

  /**
   * Lifts a file's hold: the person who placed it, or a holder of `hold:lift-others` (409
   * hold-placed-by-other for anyone else). The workflow lifts the object holds after commit.
   */
  async liftHold(uow: UnitOfWork, id: string, ifMatch: Precondition) {
    if (!can(uow.ctx, 'hold:manage') && !can(uow.ctx, 'hold:lift-others')) authorize(uow.ctx, 'hold:manage');
    const file = await lockFile(uow, id);
    check(file, ifMatch);
    if (!file.holdAt) throw errors.conflict('The file is not under a hold');
    if (file.holdBy !== actorOf(uow.ctx.caller) && !can(uow.ctx, 'hold:lift-others')) {
      throw errors.holdPlacedByOther(file.holdBy!, PERMISSIONS['hold:lift-others'].join(' or '));
    }
    const v = await applyChange(
      uow,
      'file',
      file,
      (repo) => repo.updateFile(file, { holdReason: null, holdReference: null, holdBy: null, holdAt: null }),
      { action: 'file.hold-lifted', extra: { placedBy: file.holdBy, reason: file.holdReason }, event: (after) => eventOf('file.hold-lifted', id, {}, { reference: after.reference }) },
    );
    return { file: v, keys: await uow.repo(recordsRepo).versionKeysOfFile(id) };
  },

  /**
   * The daily scan: closed files whose retention ended before `today`, not held and not yet in
   * disposal, become `due` with `file.retention-ended`. Runs as a job (no caller role needed).
   */
  async markRetentionEnded(uow: UnitOfWork, today: Date, limit = 500): Promise<number> {
    const repo = uow.repo(recordsRepo);
    const files = await repo.retentionEnded(today, limit);
    for (const file of files) {
      await applyChange(uow, 'file', file, (r) => r.updateFile(file, { disposalState: 'due', disposalChangedAt: new Date() }), {
        action: 'file.retention-ended',
        event: (after) =>
          eventOf('file.retention-ended', file.id, {}, { reference: after.reference, retentionEndsOn: formatDate(after.retentionEndsOn!), disposalCode: after.disposalCode! }),
      });
    }
    return files.length;
  },

  /**
   * (a) Marks a due file as offered to the archive (Anbietung, XDOMEA 0501). Refused under a hold.
   * For the XDOMEA workflow: `offerForDisposal(uow, fileId, null)` once the 0501 message is built.
   */
  async offerForDisposal(uow: UnitOfWork, id: string, ifMatch: Precondition): Promise<Versioned<RecordFile>> {
    return transition(uow, id, ifMatch, {
      name: 'Offering to the archive',
      from: ['due'],
      to: 'offered',
      guard: (file) => {
        if (file.holdAt) throw errors.onHold(file.holdAt);
      },
      changes: () => ({}),
      event: (after) => eventOf('file.offered', id, {}, { reference: after.reference }),
    });
  },

  /**
   * (b) Records the archive's decision on an offered file (Bewertung, XDOMEA 0502): A take over or
   * V destroy, with who decided at the archive and when (default now; never in the future).
   */
  async recordArchiveDecision(uow: UnitOfWork, id: string, ifMatch: Precondition, input: ArchiveDecisionBody): Promise<Versioned<RecordFile>> {
    const decidedAt = input.decidedAt ? new Date(input.decidedAt) : new Date();
    if (Number.isNaN(decidedAt.getTime()) || decidedAt.getTime() > Date.now() + 60_000) throw errors.unprocessable('decidedAt must be a time not in the future');
    if (!input.decidedBy.trim()) throw errors.unprocessable('decidedBy names who decided at the archive');
    return transition(uow, id, ifMatch, {
      name: "Recording the archive's decision",
      from: ['offered'],
      to: 'evaluated',
      changes: () => ({ archiveDecision: input.decision, archiveDecidedBy: input.decidedBy, archiveDecidedAt: decidedAt }),
      extra: { recordedBy: actorOf(uow.ctx.caller) },
      event: (after) => eventOf('file.evaluated', id, {}, { reference: after.reference, decision: input.decision }),
    });
  },

  /**
   * (c) Marks a file the archive decided to take over (A) as archived, with the archive's reference
   * (Übernahme confirmed, XDOMEA 0503/0504 receipt). After this the file may be destroyed here.
   */
  async confirmArchived(uow: UnitOfWork, id: string, ifMatch: Precondition, input: ArchivedBody): Promise<Versioned<RecordFile>> {
    if (!input.archiveReference.trim()) throw errors.unprocessable('archiveReference must not be blank');
    return transition(uow, id, ifMatch, {
      name: 'Confirming the takeover',
      from: ['evaluated'],
      to: 'archived',
      guard: (file) => {
        if (file.archiveDecision !== 'A') throw errors.disposalOutOfOrder('Confirming the takeover (the archive decided V)', file.disposalState, ['evaluated with decision A']);
      },
      changes: () => ({ archiveReference: input.archiveReference }),
      extra: { confirmedBy: input.confirmedBy ?? actorOf(uow.ctx.caller) },
      event: (after) => eventOf('file.archived', id, {}, { reference: after.reference, archiveReference: input.archiveReference }),
    });
  },

  /** (d) Files in one disposal state, oldest first, with cursor pagination (the caller's walls apply). */
  async filesInDisposalState(uow: UnitOfWork, state: DisposalState, page: { limit: number; cursor?: string }): Promise<{ items: RecordFile[]; next: string | null }> {
    authorize(uow.ctx, 'records:read');
    const rows = await uow.repo(recordsRepo).filePage({ disposalState: state, afterId: afterId(page.cursor), limit: page.limit + 1 });
    return idPage(rows, page.limit, toRecordFile);
  },

  /**
   * Locks a file for destruction and checks it may go: evaluated V or archived, no hold (409
   * on-hold), `ifMatch` current. Returns the storage keys of its versions for the workflow.
   */
  async beginDestruction(uow: UnitOfWork, id: string, ifMatch: Precondition): Promise<{ file: FileRow; keys: string[] }> {
    authorize(uow.ctx, 'records:destroy');
    const file = await lockFile(uow, id);
    check(file, ifMatch);
    if (file.holdAt) throw errors.onHold(file.holdAt);
    if (!destroyable(file)) throw errors.disposalOutOfOrder('Destruction', file.disposalState, ['evaluated with decision V', 'archived']);
    return { file, keys: await uow.repo(recordsRepo).versionKeysOfFile(id) };
  },

  /**
   * Destroys a file locked by `beginDestruction`: the file row becomes a tombstone (reference, plan
   * unit, dates, disposal decision and who decided stay; title, description, metadata go), its
   * cases, documents and versions are deleted, and the destruction record (Löschprotokoll) is
   * written with the audit event's place in the chain. The workflow removes the objects.
   */
  async completeDestruction(uow: UnitOfWork, file: FileRow, input: { reason?: string; governanceBypassed: boolean }): Promise<DestructionRecord> {
    const repo = uow.repo(recordsRepo);
    const contents = await repo.contentsOfFile(file.id);
    const destructionId = uuidv7();
    const destroyedAt = new Date();
    const destroyedBy = actorOf(uow.ctx.caller);
    const tombstone = await repo.updateFile(file, {
      disposalState: 'destroyed',
      disposalChangedAt: destroyedAt,
      title: '',
      description: null,
      leadOrgUnit: null,
      metadata: {},
    });
    await repo.deleteContentsOfFile(file.id);
    const destroyed = { cases: contents.cases, documents: contents.documents, versions: contents.versions, bytes: Number(contents.bytes), governanceBypassed: input.governanceBypassed };
    const receipt = await uow.audit.append(
      {
        action: 'file.destroyed',
        objectType: 'file',
        objectId: file.id,
        old: { title: file.title, disposalState: file.disposalState },
        new: { disposalState: 'destroyed', destructionId, reason: input.reason ?? null, ...destroyed },
      },
      eventOf('file.destroyed', file.id, {}, { reference: file.reference, destructionId }),
    );
    const record: DestructionRecord = {
      id: destructionId,
      fileId: file.id,
      reference: file.reference,
      planCode: file.planCode,
      planUnitId: file.planUnitId,
      createdAt: file.createdAt.toISOString(),
      closedOn: formatOptionalDate(file.closedOn),
      disposalCode: file.disposalCode,
      retentionYears: file.retentionYears,
      retentionEndsOn: formatOptionalDate(file.retentionEndsOn),
      decision: file.archiveDecision as 'A' | 'V' | null,
      decidedBy: file.archiveDecidedBy,
      decidedAt: file.archiveDecidedAt?.toISOString() ?? null,
      archiveReference: file.archiveReference,
      reason: input.reason ?? null,
      destroyed,
      destroyedBy,
      destroyedAt: destroyedAt.toISOString(),
      audit: { seq: receipt.seq, hash: receipt.hash },
    };
    await repo.createDestructionRecord({ id: destructionId, fileId: file.id, reference: file.reference, protocol: record, destroyedBy, destroyedAt });
    void tombstone;
    return record;
  },

  /** A file just closed in this unit, with the storage keys of its versions (for the WORM locks). */
  async contentOfClosedFile(uow: UnitOfWork, id: string): Promise<{ row: FileRow; keys: string[] }> {
    const repo = uow.repo(recordsRepo);
    const row = await repo.file(id);
    if (!row || row.status !== 'closed') throw errors.notFound('file');
    return { row, keys: await repo.versionKeysOfFile(id) };
  },

  /** The destruction record (Löschprotokoll) of a destroyed file. */
  async destructionRecord(uow: UnitOfWork, fileId: string): Promise<DestructionRecord> {
    authorize(uow.ctx, 'records:read');
    const file = await uow.repo(recordsRepo).file(fileId);
    if (!file) throw errors.notFound('file');
    const row = await uow.repo(recordsRepo).destructionRecord(fileId);
    if (!row) throw errors.conflict('The file is not destroyed: it has no destruction record');
    return row.protocol as DestructionRecord;
  },
};

interface Step {
  name: string;
  from: DisposalState[];
  to: DisposalState;
  guard?: (file: FileRow) => void;
  changes: (file: FileRow) => FileChanges;
  extra?: Record<string, unknown>;
  event: (after: FileRow) => ReturnType<typeof eventOf>;
}

/** One step of the disposal state machine: lock, precondition, order (409), change, audit, event. */
async function transition(uow: UnitOfWork, id: string, ifMatch: Precondition, step: Step): Promise<Versioned<RecordFile>> {
  authorize(uow.ctx, 'disposal:manage');
  const file = await lockFile(uow, id);
  check(file, ifMatch);
  if (!file.disposalState || !step.from.includes(file.disposalState)) throw errors.disposalOutOfOrder(step.name, file.disposalState, step.from);
  step.guard?.(file);
  return applyChange(uow, 'file', file, (repo) => repo.updateFile(file, { ...step.changes(file), disposalState: step.to, disposalChangedAt: new Date() }), {
    action: `file.${step.to === 'evaluated' ? 'evaluated' : step.to}`,
    extra: step.extra,
    event: (after) => step.event(after),
  });
}
