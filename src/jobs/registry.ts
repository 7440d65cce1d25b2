import os from 'node:os';
import type PgBoss from 'pg-boss';
import type { FastifyBaseLogger } from 'fastify';
import { jobContext, type Scope, type TenantRef } from '../core/index.js';
import { IDEMPOTENCY_TTL_MS, idempotencyRepo } from '../db/idempotency-repo.js';
import { dispatchBatch, DISPATCH_BATCH, hasPendingEvents, purgeDispatchedEvents, type EventConsumer } from '../modules/events/index.js';
import type { Anchors } from '../modules/audit/index.js';
import type { GrantOps } from '../modules/grants/index.js';
import type { RecordsOps, UploadSweeper } from '../modules/records/index.js';
import type { BlobStore } from '../storage/index.js';
import { DESTROY_CONTENT_QUEUE, removeObjects, type DestroyContentJob } from '../workflows/index.js';
import type { OnlineOps } from '../modules/online/index.js';
import { SEARCH_EXTRACT_QUEUE, SEARCH_INDEX_QUEUE, type ExtractJob, type IndexJob, type Search } from '../modules/search/index.js';
import { DELIVERY_QUEUE, purgeDeliveries, type DeliveryJob, type Webhooks } from '../modules/webhooks/index.js';
import type { QueueSpec } from './boss.js';
import { jobMetrics } from './metrics.js';
import { XDOMEA_EXPORT_QUEUE, type AussonderungWorkflows, type XdomeaExportJob } from '../modules/xdomea/index.js';

/** Every queue EN-Akte uses; `installJobs` creates them. */
export const QUEUES = {
  sweep: { name: 'records.sweep', policy: 'stately' },
  catchUp: { name: 'events.catch-up', policy: 'stately' },
  dispatch: { name: 'events.dispatch', policy: 'stately' },
  deliver: { name: DELIVERY_QUEUE, policy: 'standard' },
  grantExpiry: { name: 'grants.expire', policy: 'stately' },
  retentionScan: { name: 'records.retention-scan', policy: 'stately' },
  checkoutExpiry: { name: 'records.checkout-expiry', policy: 'stately' },
  destroyContent: { name: DESTROY_CONTENT_QUEUE, policy: 'standard' },
  auditAnchor: { name: 'audit.anchor', policy: 'stately' },
  submissionsOverdue: { name: 'submissions.overdue', policy: 'stately' },
  // One queued and one running per tenant: batches of a tenant never race each other.
  searchIndex: { name: SEARCH_INDEX_QUEUE, policy: 'stately' },
  // One queued per version: catch-ups and redelivered events add no duplicates.
  searchExtract: { name: SEARCH_EXTRACT_QUEUE, policy: 'stately' },
  // XDOMEA exports (0503, 0401) written from storage into storage, one job per export.
  xdomeaExport: { name: XDOMEA_EXPORT_QUEUE, policy: 'standard' },
} as const satisfies Record<string, QueueSpec>;

export const ALL_QUEUES: QueueSpec[] = Object.values(QUEUES);

export interface JobDeps {
  scope: Scope;
  tenants: () => Promise<TenantRef[]>;
  sweeper: UploadSweeper;
  records: RecordsOps;
  storage: BlobStore;
  webhooks: Webhooks;
  grants: GrantOps;
  anchors: Anchors;
  search: Search;
  consumers: EventConsumer[];
  online: Pick<OnlineOps, 'flagOverdue'>;
  overdueDays: number;
  eventRetentionDays: number;
  log: FastifyBaseLogger;
  /** XDOMEA exports as jobs. */
  xdomeaExports?: Pick<AussonderungWorkflows, 'runExport' | 'sweepExports'>;
}

export interface DispatchJob {
  tenantId: string;
  tenantSlug: string;
}

/** Which process ran a job (kept in the job's output). */
export const INSTANCE = `${os.hostname()}:${process.pid}`;

type Handler = (job: PgBoss.JobWithMetadata<unknown>, boss: PgBoss) => Promise<object | void>;

/** The handlers, by queue. Each runs once per job; pg-boss retries a job whose handler throws. */
export function jobHandlers(deps: JobDeps): Record<string, Handler> {
  const { scope, log } = deps;
  const perTenant = async <T>(name: string, fn: (tenant: TenantRef) => Promise<T>) => {
    const out: Record<string, T> = {};
    for (const tenant of await deps.tenants()) out[tenant.slug] = await fn(tenant);
    return out;
  };

  return {
    /** Leftover uploads (with `deep`: unreferenced objects), expired Idempotency-Keys, old events and deliveries, expired and stuck XDOMEA exports. */
    [QUEUES.sweep.name]: async (job) => {
      const deep = (job.data as { deep?: boolean }).deep === true;
      const now = Date.now();
      const retention = new Date(now - deps.eventRetentionDays * 86400_000);
      const totals = { uploads: 0, orphans: 0, resumable: 0, idempotencyKeys: 0, deliveries: 0, events: 0, exportsExpired: 0, exportsFailed: 0 };
      await perTenant('sweep', async (tenant) => {
        const swept = await deps.sweeper.sweepTenant(tenant, { deep });
        const purged = await scope(jobContext(tenant, 'sweeper'), async (uow) => ({
          idempotencyKeys: await uow.repo(idempotencyRepo).purgeOlderThan(new Date(now - IDEMPOTENCY_TTL_MS)),
          deliveries: await purgeDeliveries(uow, retention),
          events: await purgeDispatchedEvents(uow, retention),
        }));
        const exports = deps.xdomeaExports ? await deps.xdomeaExports.sweepExports(tenant, now) : { exportsExpired: 0, exportsFailed: 0 };
        for (const [k, v] of Object.entries({ ...swept, ...purged, ...exports })) totals[k as keyof typeof totals] += v;
      });
      if (Object.values(totals).some((n) => n > 0)) log.info({ sweep: totals }, 'sweeper collected leftovers');
      return { ...totals, instance: INSTANCE };
    },

    /**
     * Finds tenants with undispatched events (after downtime, or a lost notification) and dispatches
     * them; and tenants with objects or texts waiting for the search index.
     */
    [QUEUES.catchUp.name]: async (_job, boss) => {
      const pending = await perTenant('catch-up', (tenant) => scope(jobContext(tenant, 'events'), (uow) => hasPendingEvents(uow)));
      const tenants = await deps.tenants();
      for (const t of tenants) if (pending[t.slug]) await boss.send(QUEUES.dispatch.name, { tenantId: t.id, tenantSlug: t.slug } satisfies DispatchJob, { singletonKey: t.id });
      const search = await perTenant('search-catch-up', (tenant) => deps.search.catchUp(tenant));
      return { tenants: tenants.filter((t) => pending[t.slug]).map((t) => t.slug), search, instance: INSTANCE };
    },

    /** Hands a tenant's undispatched events to the consumers, batch by batch, each batch one unit. */
    [QUEUES.dispatch.name]: async (job) => {
      const { tenantId, tenantSlug } = job.data as DispatchJob;
      const ctx = jobContext({ id: tenantId, slug: tenantSlug }, 'events');
      let dispatched = 0;
      for (;;) {
        const n = await scope(ctx, (uow) => dispatchBatch(uow, deps.consumers));
        dispatched += n;
        if (n < DISPATCH_BATCH) return { dispatched, instance: INSTANCE };
      }
    },

    [QUEUES.deliver.name]: async (job) => {
      const status = await deps.webhooks.deliver(job.data as DeliveryJob, { retryCount: job.retryCount, retryLimit: job.retryLimit });
      jobMetrics.webhookAttempts.inc({ outcome: status });
      return { status, instance: INSTANCE };
    },

    /** A signed, object-locked checkpoint of every tenant's audit chain head. */
    [QUEUES.auditAnchor.name]: async () => ({
      anchored: await perTenant('audit-anchor', async (tenant) => {
        const seq = (await deps.anchors.anchor(tenant))?.seq ?? null;
        if (seq !== null) {
          jobMetrics.anchorSeq.set({ tenant: tenant.slug }, seq);
          jobMetrics.anchorTime.set({ tenant: tenant.slug }, Date.now() / 1000);
        }
        return seq;
      }),
      instance: INSTANCE,
    }),
    /** Brings the search entries of a tenant's marked objects up to date. */
    [QUEUES.searchIndex.name]: async (job) => {
      const { tenantId, tenantSlug } = job.data as IndexJob;
      return { indexed: await deps.search.indexPending({ id: tenantId, slug: tenantSlug }), instance: INSTANCE };
    },

    /** Extracts the text of one version (in a child process with time and memory limits). */
    [QUEUES.searchExtract.name]: async (job) => ({ ...(await deps.search.extractVersion(job.data as ExtractJob)), instance: INSTANCE }),

    /** Daily: closed files whose retention ended become due for disposal (`file.retention-ended`). */
    [QUEUES.retentionScan.name]: async () => {
      const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
      return {
        due: await perTenant('retention-scan', (tenant) => scope(jobContext(tenant, 'retention-scan'), (uow) => deps.records.markRetentionEnded(uow, today))),
        instance: INSTANCE,
      };
    },

    /** Releases lapsed check-outs (`document.checked-in`, how: expired). */
    [QUEUES.checkoutExpiry.name]: async () => ({
      released: await perTenant('checkout-expiry', (tenant) => scope(jobContext(tenant, 'checkout-expiry'), (uow) => deps.records.releaseLapsedCheckouts(uow))),
      instance: INSTANCE,
    }),

    /** Removes the objects of a destroyed file (repeats the request's removal; idempotent). */
    [QUEUES.destroyContent.name]: async (job) => ({ removed: await removeObjects(deps.storage, job.data as DestroyContentJob), instance: INSTANCE }),

    /** Records support grants whose time ran out (`grant.expired`). */
    /** Submissions still received after SUBMISSION_OVERDUE_DAYS: flagged once, audited, submission.overdue. */
    [QUEUES.submissionsOverdue.name]: async () => {
      const before = new Date(Date.now() - deps.overdueDays * 86_400_000);
      return {
        flagged: await perTenant('overdue', (tenant) => scope(jobContext(tenant, 'submissions-overdue'), (uow) => deps.online.flagOverdue(uow, before))),
        instance: INSTANCE,
      };
    },
    /** Writes an XDOMEA container (0503 or 0401) from storage into storage, with progress on its status resource. */
    [QUEUES.xdomeaExport.name]: async (job) => ({ ...(deps.xdomeaExports ? await deps.xdomeaExports.runExport(job.data as XdomeaExportJob) : { skipped: 'no XDOMEA exports configured' }), instance: INSTANCE }),
    [QUEUES.grantExpiry.name]: async () => ({
      expired: await perTenant('grant-expiry', (tenant) => scope(jobContext(tenant, 'grant-expiry'), (uow) => deps.grants.recordExpiredGrants(uow))),
      instance: INSTANCE,
    }),
  };
}
