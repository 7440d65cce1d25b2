import type { FastifyBaseLogger } from 'fastify';
import type { IdempotencyRepo } from '../../db/idempotency-repo.js';
import type { TenantTx } from '../../db/tenant-tx.js';
import { IDEMPOTENCY_TTL_MS } from '../../plugins/idempotency.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import type { BlobStore } from '../../storage/index.js';
import { versionRepo } from './repo.js';

export interface SweepResult {
  uploads: number;
  orphans: number;
  idempotencyKeys: number;
}

/**
 * Collects what failures leave behind: uploads that never committed (their record and object),
 * objects no version or upload knows (with `deep`), and expired Idempotency-Key records.
 * Every step is idempotent, so instances may sweep at the same time.
 */
export function createSweeper(deps: {
  tx: TenantTx;
  storage: BlobStore;
  idempotency: IdempotencyRepo;
  tenants: () => Promise<TenantRef[]>;
  staleAfterMs: number;
  log: FastifyBaseLogger;
}) {
  const { tx, storage, log } = deps;

  async function sweepUploads(tenant: TenantRef, now: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const stale = await tx(tenant.id, (t) =>
        versionRepo.staleUploads(t, tenant.id, {
          startedBefore: new Date(now - deps.staleAfterMs),
          // A failed cleanup is retried on the next sweep.
          failedBefore: new Date(now),
          limit: 100,
        }),
      );
      for (const upload of stale) {
        await storage.delete(tenant.slug, upload.storageKey);
        await tx(tenant.id, (t) => versionRepo.finishUpload(t, tenant.id, upload.id));
        removed++;
      }
      if (stale.length < 100) return removed;
    }
  }

  /** Objects under documents/ older than the stale age that no version or upload references. */
  async function findOrphans(tenant: TenantRef, now: number): Promise<string[]> {
    const orphans: string[] = [];
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const known = await tx(tenant.id, (t) => versionRepo.knownKeys(t, tenant.id, batch));
      orphans.push(...batch.filter((k) => !known.has(k)));
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
    findOrphans: (tenant: TenantRef) => findOrphans(tenant, Date.now()),

    async sweep(opts: { deep?: boolean } = {}): Promise<SweepResult> {
      const now = Date.now();
      const result: SweepResult = { uploads: 0, orphans: 0, idempotencyKeys: 0 };
      for (const tenant of await deps.tenants()) {
        result.uploads += await sweepUploads(tenant, now);
        result.idempotencyKeys += await deps.idempotency.purgeOlderThan(tenant.id, new Date(now - IDEMPOTENCY_TTL_MS));
        if (opts.deep) {
          for (const key of await findOrphans(tenant, now)) {
            await storage.delete(tenant.slug, key);
            result.orphans++;
          }
        }
      }
      if (result.uploads || result.orphans || result.idempotencyKeys) log.info({ sweep: result }, 'sweeper collected leftovers');
      return result;
    },
  };
}

export type Sweeper = ReturnType<typeof createSweeper>;
