import { uuidv7 } from 'uuidv7';
import {
  actorOf,
  authorize,
  CONFIDENTIALITY_NAMES,
  DEFAULT_CLEARANCE,
  eventOf,
  within,
  type Confidentiality,
  type ReadUnit,
  type UnitOfWork,
} from '../../../core/index.js';
import { isUniqueViolation } from '../../../db/tenant-tx.js';
import { errors } from '../../../errors.js';
import { afterId, idPage } from '../../../lib/cursor.js';
import { formatDate, parseDate, today } from '../../../lib/dates.js';
import { checkMetadata } from '../../../lib/metadata.js';
import type { Versioned } from '../../../lib/reply.js';
import { assertCurrent, assertWritable, lockFile } from '../guard.js';
import { applyChange } from './change.js';
import { disposalStarted, retentionAtClose, retentionCleared } from './lifecycle.js';
import type { TenantSettingsStore } from './settings.js';
import { toRecordFile, versioned } from '../present.js';
import { germanYear, referenceScope, renderReference } from '../reference.js';
import { recordsReads, recordsRepo, type FileRow } from '../repo.js';
import type { CreateFile, FileListQuery, RecordFile, UpdateFile } from '../schemas/files.js';

/** A zdA date may be today or in the past, never in the future. */
export function closeDate(closedOn: string | undefined): Date {
  const date = closedOn ?? today();
  if (date > today()) {
    throw errors.validation('closedOn lies in the future', [{ path: 'body/closedOn', message: 'must not be after today' }]);
  }
  return parseDate(date);
}

/** A file may be put at a confidentiality level only by a caller cleared for that level. */
function assertCleared(uow: UnitOfWork, level: Confidentiality | undefined) {
  if (level === undefined) return;
  const clearance = uow.ctx.caller.clearance ?? DEFAULT_CLEARANCE;
  if (!within(level, clearance)) {
    throw errors.forbidden(
      `Confidentiality ${level} (${CONFIDENTIALITY_NAMES[level]}) needs that clearance; the caller's is ${clearance} (${CONFIDENTIALITY_NAMES[clearance]})`,
    );
  }
}

/** What filing a file needs from the rest of the service (file plan, tenant settings). */
export interface FilingDeps {
  /** The file-plan unit a new file goes under: 422 when unknown, 409 unit-retired when retired. */
  unitForFiling(uow: UnitOfWork, ref: { planUnitId?: string; planCode?: string }): Promise<{ id: string; code: string }>;
  /** The tenant's reference pattern (Aktenzeichen). */
  referencePattern(uow: UnitOfWork): Promise<string>;
  /** The tenant's settings (pattern, WORM mode), read and changed by its admins. */
  tenantSettings: TenantSettingsStore;
}

/** Files (Akten): created under a file-plan unit with a generated reference, changed, closed, reopened. */
export function fileOps(deps: FilingDeps) {
  /**
   * Locks a file for closing (zdA) and checks that it may close: open, and `ifMatch` current.
   * The close workflow then closes its open cases and the file in the same unit.
   */
  async function beginClose(uow: UnitOfWork, id: string, ifMatch: string | undefined) {
    authorize(uow.ctx, 'records:write');
    const file = await lockFile(uow, id);
    assertCurrent(file, ifMatch);
    if (file.status === 'closed') throw errors.objectClosed('file');
    return file;
  }

  return {
    beginClose,

    /**
     * Creates a file (Akte) and assigns its reference. Many clients may create files at once:
     * the counter row serialises them per scope, so references are unique and never reused.
     */
    async createFile(uow: UnitOfWork, input: CreateFile): Promise<Versioned<RecordFile>> {
      authorize(uow.ctx, 'records:write');
      checkMetadata(input.metadata);
      assertCleared(uow, input.confidentiality);
      if ((input.planUnitId === undefined) === (input.planCode === undefined)) {
        throw errors.validation('Give either planUnitId or planCode', [{ path: 'body', message: 'needs exactly one of planUnitId, planCode' }]);
      }
      const repo = uow.repo(recordsRepo);
      const unit = await deps.unitForFiling(uow, { planUnitId: input.planUnitId, planCode: input.planCode });
      const pattern = await deps.referencePattern(uow);
      const parts = { plan: unit.code, year: germanYear() };
      const scope = referenceScope(pattern, parts);
      // A pattern like {plan}{seq} can render the same text in two scopes; skip numbers already taken.
      for (let attempt = 0; attempt < 20; attempt++) {
        const reference = renderReference(pattern, parts, await repo.nextSequence(scope));
        if (await repo.referenceExists(reference)) continue;
        let v: Versioned<RecordFile>;
        try {
          const row = await repo.createFile(
            {
              id: uuidv7(),
              planUnitId: unit.id,
              reference,
              title: input.title,
              description: input.description ?? null,
              confidentiality: input.confidentiality ?? '003',
              leadOrgUnit: input.leadOrgUnit ?? null,
              metadata: input.metadata ?? {},
              createdBy: actorOf(uow.ctx.caller),
            },
            unit.code,
          );
          v = versioned('file', row);
        } catch (err) {
          if (isUniqueViolation(err)) throw errors.conflict('The reference was taken concurrently; retry');
          throw err;
        }
        await uow.audit.append(
          { action: 'file.created', objectType: 'file', objectId: v.value.id, new: v.value },
          eventOf('file.created', v.value.id, {}, { reference, planCode: unit.code, confidentiality: v.value.confidentiality }),
        );
        return v;
      }
      throw errors.conflict('No free reference found for this pattern; check the tenant reference pattern');
    },

    async getFile(unit: ReadUnit, id: string): Promise<Versioned<RecordFile>> {
      authorize(unit.ctx, 'records:read');
      const row = await unit.repo(recordsReads).file(id);
      if (!row) throw errors.notFound('file');
      return versioned('file', row);
    },

    async listFiles(unit: ReadUnit, q: FileListQuery): Promise<{ items: RecordFile[]; next: string | null }> {
      authorize(unit.ctx, 'records:read');
      const rows = await unit.repo(recordsReads).filePage({
        planUnitId: q.planUnitId,
        status: q.status,
        retentionEndsBefore: q.retentionEndsBefore ? parseDate(q.retentionEndsBefore) : undefined,
        disposalCode: q.disposalCode,
        disposalState: q.disposalState,
        referencePrefix: q.referencePrefix,
        titlePrefix: q.titlePrefix,
        createdFrom: q.createdFrom ? new Date(q.createdFrom) : undefined,
        createdTo: q.createdTo ? new Date(q.createdTo) : undefined,
        afterId: afterId(q.cursor),
        limit: q.limit + 1,
      });
      return idPage(rows, q.limit, toRecordFile);
    },

    async updateFile(uow: UnitOfWork, id: string, ifMatch: string | undefined, input: UpdateFile) {
      authorize(uow.ctx, 'records:write');
      checkMetadata(input.metadata);
      assertCleared(uow, input.confidentiality);
      const file = await lockFile(uow, id);
      assertCurrent(file, ifMatch);
      assertWritable(uow, { file });
      return applyChange(uow, 'file', file, (repo) => repo.updateFile(file, input), {
        action: 'file.updated',
        event: (after, changed) => eventOf('file.updated', id, {}, { reference: after.reference, changed }),
      });
    },

    /** Closes a file locked by `beginClose` once its cases are closed; `casesClosed` closed with it. */
    async closeFile(uow: UnitOfWork, file: FileRow, closedOn: Date, casesClosed: number) {
      const id = file.id;
      const open = await uow.repo(recordsRepo).countOpenCases(id);
      if (open > 0) throw errors.openCases(open);
      // zdA fixes the retention: code and period of the plan unit, the end computed from closedOn.
      const retention = await retentionAtClose(uow, file, closedOn);
      return applyChange(uow, 'file', file, (repo) => repo.updateFile(file, { status: 'closed', closedOn, ...retention }), {
        action: 'file.closed',
        extra: { casesClosed },
        event: (after) => eventOf('file.closed', id, {}, { reference: after.reference, closedOn: formatDate(closedOn), casesClosed }),
      });
    },

    /** Reopens a closed file: a deliberate act of a records manager, with a reason. Cases stay closed. */
    async reopenFile(uow: UnitOfWork, id: string, ifMatch: string | undefined, reason: string) {
      authorize(uow.ctx, 'records:reopen');
      const file = await lockFile(uow, id);
      assertCurrent(file, ifMatch);
      if (file.status !== 'closed') throw errors.conflict('The file is not closed');
      if (disposalStarted(file)) throw errors.disposalOutOfOrder('Reopening', file.disposalState, ['none', 'due']);
      return applyChange(uow, 'file', file, (repo) => repo.updateFile(file, { status: 'open', closedOn: null, ...retentionCleared }), {
        action: 'file.reopened',
        extra: { reason },
        event: (after) => eventOf('file.reopened', id, {}, { reference: after.reference }),
      });
    },
  };
}
