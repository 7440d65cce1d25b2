import type { RequestContext, Scope, UnitOfWork } from '../core/index.js';
import { errors } from '../errors.js';
import { lockUntil, type DestructionRecord, type FileRow, type LockMode, type RecordsOps } from '../modules/records/index.js';
import type { BlobStore } from '../storage/index.js';
import type { RetentionOverride } from '../modules/records/index.js';
import { exportRepo } from '../modules/xdomea/index.js';
import { removeExportObjects } from './xdomea-aussonderung.js';

/** Queue of the job that removes a destroyed file's objects (repeats what the request did, or could not). */
export const DESTROY_CONTENT_QUEUE = 'records.destroy-content';
export interface DestroyContentJob {
  tenantSlug: string;
  keys: string[];
}

export interface LifecycleDeps {
  scope: Scope;
  records: RecordsOps;
  storage: BlobStore;
  /** The tenant's object-lock mode for content at zdA. */
  wormMode: (uow: UnitOfWork) => Promise<LockMode>;
}

/**
 * WORM at zdA: every version object of a just-closed file is locked until the first instant after
 * its retention end (in the tenant's mode). Locks only ever grow: an object locked longer, or in
 * COMPLIANCE, keeps that. Runs inside the closing unit, so a storage failure rolls the close back.
 */
export async function lockContentAtClose(deps: LifecycleDeps, uow: UnitOfWork, file: FileRow, keys: string[]): Promise<void> {
  const tenant = uow.tenant.slug;
  const mode = await deps.wormMode(uow);
  const until = lockUntil(file.closedOn!, file.retentionEndsOn);
  // A file closed with a retention already over (late zdA of old records) gets no lock to set.
  if (until <= new Date()) return;
  for (const key of keys) {
    const current = (await deps.storage.protection(tenant, key))?.retention;
    if (current && current.until >= until && (current.mode === 'COMPLIANCE' || mode === 'GOVERNANCE')) continue;
    await deps.storage.lock(tenant, key, { mode: current?.mode === 'COMPLIANCE' ? 'COMPLIANCE' : mode, until: current && current.until > until ? current.until : until });
  }
}

/** Marks every queued, running or done XDOMEA export of the file `withdrawn` (audited), in the destroying unit. */
async function withdrawExports(uow: UnitOfWork, fileId: string) {
  const held = await uow.repo(exportRepo).holdingFile(fileId);
  const error = `File ${fileId} was destroyed; the export is withdrawn and its container removed`;
  const withdrawn = [];
  for (const e of held) {
    if (!(await uow.repo(exportRepo).updateIn(e.id, ['queued', 'running', 'done'], { state: 'withdrawn', resultKey: null, error, finishedAt: new Date() }))) continue;
    await uow.audit.append({ action: 'xdomea.export-withdrawn', objectType: 'xdomea-export', objectId: e.id, new: { messageType: e.messageCode, processId: e.processId, fileId, was: e.state } });
    withdrawn.push(e);
  }
  return withdrawn;
}

/** Legal holds and destruction: the records' steps with their storage side. */
export function lifecycleWorkflows(deps: LifecycleDeps) {
  const { scope, records, storage } = deps;
  return {
    /** A longer retention extends the object locks in the same unit (locks never shrink). */
    overrideRetention: (ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: RetentionOverride) =>
      scope(ctx, async (uow) => {
        const { file, row, keys } = await records.overrideRetention(uow, fileId, ifMatch, input);
        await lockContentAtClose(deps, uow, row, keys);
        return file;
      }),

    /** The object holds are set inside the unit: a storage failure leaves no hold in the records. */
    placeHold: (ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: { reason: string; reference?: string }) =>
      scope(ctx, async (uow) => {
        const { file, keys } = await records.placeHold(uow, fileId, ifMatch, input);
        for (const key of keys) await storage.legalHold(ctx.tenant.slug, key, true);
        return file;
      }),

    /**
     * The object holds are lifted after commit: if that fails, objects stay held (the safe side)
     * and destruction lifts what a file without hold still carries.
     */
    async liftHold(ctx: RequestContext, fileId: string, ifMatch: string | undefined) {
      const { file, keys } = await scope(ctx, (uow) => records.liftHold(uow, fileId, ifMatch));
      for (const key of keys) await storage.legalHold(ctx.tenant.slug, key, false);
      return file;
    },

    /**
     * Destruction: in one unit, check the file may go, check every object may be removed (409
     * content-locked for COMPLIANCE retention not yet over, before anything changes), write the
     * tombstone, delete the metadata, write the destruction record and queue the removal of the
     * objects; after commit remove them at once (the queued job retries what fails).
     */
    async destroyFile(ctx: RequestContext, fileId: string, ifMatch: string | undefined, input: { reason?: string }): Promise<DestructionRecord> {
      const tenant = ctx.tenant.slug;
      const { record, keys, withdrawn } = await scope(ctx, async (uow) => {
        const { file, keys } = await records.beginDestruction(uow, fileId, ifMatch);
        let governanceBypassed = false;
        const now = new Date();
        for (const key of keys) {
          const p = await storage.protection(tenant, key);
          if (!p) continue;
          if (p.retention && p.retention.until > now) {
            if (p.retention.mode === 'COMPLIANCE') {
              throw errors.contentLocked(
                `A version object is under COMPLIANCE retention until ${p.retention.until.toISOString()}: nobody can remove it before then; destroy the file after that date`,
              );
            }
            governanceBypassed = true;
          }
        }
        for (const key of keys) {
          // A file without hold whose objects still carry one: the leftover of a lift that failed after commit.
          if ((await storage.protection(tenant, key))?.legalHold) await storage.legalHold(tenant, key, false);
        }
        // No copy survives destruction: every XDOMEA export holding the file is withdrawn, its container removed with the content.
        const withdrawn = await withdrawExports(uow, fileId);
        const exportKeys = withdrawn.flatMap((e) => (e.resultKey ? [e.resultKey] : []));
        if (keys.length + exportKeys.length > 0) {
          await uow.jobs.send(DESTROY_CONTENT_QUEUE, { tenantSlug: tenant, keys: [...keys, ...exportKeys] } satisfies DestroyContentJob, { retryLimit: 10, retryDelay: 30, retryBackoff: true, startAfterSeconds: 60 });
        }
        return { record: await records.completeDestruction(uow, file, { reason: input.reason, governanceBypassed }), keys, withdrawn };
      });
      await removeObjects(storage, { tenantSlug: tenant, keys }).catch(() => undefined);
      // Also any part a running export wrote so far (the job, finding its export withdrawn, removes what it writes after).
      for (const e of withdrawn) await removeExportObjects(storage, tenant, e.id, e.filename).catch(() => undefined);
      return record;
    },
  };
}

/** Removes a destroyed file's objects (idempotent; GOVERNANCE locks are bypassed). */
export async function removeObjects(storage: BlobStore, job: DestroyContentJob): Promise<number> {
  for (const key of job.keys) await storage.delete(job.tenantSlug, key, { bypassGovernance: true });
  return job.keys.length;
}
