import { jobContext, type Scope, type TenantRef } from '../../core/index.js';
import type { BlobStore } from '../../storage/index.js';
import { recordsRepo } from './repo.js';

export interface UploadSweepResult {
  uploads: number;
  orphans: number;
  /** Unfinished resumable (tus) uploads past their expiry. */
  resumable: number;
}

const BATCH = 100;

/**
 * Collects what failed uploads leave behind: uploads that never committed (their record and
 * object), and with `deep` objects no version or upload knows. Every step is idempotent, so a
 * sweep that overlaps another (or a crash half-way) does no harm.
 */
export function createUploadSweeper(deps: {
  scope: Scope;
  storage: BlobStore;
  staleAfterMs: number;
  /** Expired resumable uploads (src/workflows/resumable-upload.ts), with S3 storage only. */
  resumable?: { sweepTenant(tenant: TenantRef, now?: number): Promise<number> };
}) {
  const { scope, storage } = deps;
  const ctx = (tenant: TenantRef) => jobContext(tenant, 'sweeper');

  async function sweepUploads(tenant: TenantRef, now: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const stale = await scope(ctx(tenant), async (uow) =>
        // A failed cleanup is retried on the next sweep, however young it is.
        uow.repo(recordsRepo).staleUploads({ startedBefore: new Date(now - deps.staleAfterMs), failedBefore: new Date(now), limit: BATCH }),
      );
      for (const upload of stale) {
        await storage.delete(tenant.slug, upload.storageKey);
        await scope(ctx(tenant), (uow) => uow.repo(recordsRepo).finishUpload(upload.id));
        removed++;
      }
      if (stale.length < BATCH) return removed;
    }
  }

  /** Objects under documents/ older than the stale age that no version or upload references. */
  async function findOrphans(tenant: TenantRef, now = Date.now()): Promise<string[]> {
    const orphans: string[] = [];
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const keys = batch;
      const known = await scope(ctx(tenant), (uow) => uow.repo(recordsRepo).knownKeys(keys));
      orphans.push(...keys.filter((k) => !known.has(k)));
      batch = [];
    };
    for await (const item of storage.list(tenant.slug, 'documents/')) {
      if (item.lastModified.getTime() > now - deps.staleAfterMs) continue;
      batch.push(item.key);
      if (batch.length === 500) await flush();
    }
    await flush();
    return orphans;
  }

  return {
    findOrphans,

    async sweepTenant(tenant: TenantRef, opts: { deep?: boolean } = {}): Promise<UploadSweepResult> {
      const now = Date.now();
      const result = { uploads: await sweepUploads(tenant, now), orphans: 0, resumable: (await deps.resumable?.sweepTenant(tenant, now)) ?? 0 };
      if (opts.deep) {
        for (const key of await findOrphans(tenant, now)) {
          await storage.delete(tenant.slug, key);
          result.orphans++;
        }
      }
      return result;
    },
  };
}

export type UploadSweeper = ReturnType<typeof createUploadSweeper>;
