/** Scheduled and queued work on pg-boss, run once across any number of instances. */
import type { FastifyBaseLogger } from 'fastify';
import type PgBoss from 'pg-boss';
import type { Config } from '../config.js';
import type { Services } from '../services.js';
import { QUEUES, type JobDeps } from './registry.js';
import { startWorker, type Worker } from './worker.js';

export { createBoss, installJobs, jobSenderFor } from './boss.js';
export { ALL_QUEUES, QUEUES, INSTANCE, jobHandlers } from './registry.js';
export { jobRegistry } from './metrics.js';

/** What the job handlers use, taken from the services. */
export function jobDepsOf(services: Services, config: Config, log: FastifyBaseLogger): JobDeps {
  return {
    scope: services.scope,
    tenants: services.tenants.all,
    sweeper: services.sweeper,
    records: services.records,
    storage: services.storage,
    webhooks: services.webhooks,
    grants: services.grants,
    anchors: services.anchors,
    search: services.search,
    consumers: [services.webhooks.consumer, services.search.consumer],
    eventRetentionDays: config.jobs.eventRetentionDays,
    online: services.online,
    overdueDays: config.online.overdueDays,
    log,
    xdomeaExports: services.xdomeaAussonderung,
  };
}
export type { Worker } from './worker.js';

/** Starts a worker over the services: every handler, the schedules of the configuration, the outbox listener. */
export function startJobs(opts: { boss: PgBoss; services: Services; config: Config; databaseUrl: string; log: FastifyBaseLogger }): Promise<Worker> {
  const { services, config } = opts;
  return startWorker(
    opts.boss,
    jobDepsOf(services, config, opts.log),
    {
      listenUrl: opts.databaseUrl,
      schedules: [
        { queue: QUEUES.sweep.name, everySeconds: config.uploads.sweepIntervalSeconds },
        { queue: QUEUES.catchUp.name, everySeconds: config.jobs.catchUpSeconds },
        { queue: QUEUES.grantExpiry.name, everySeconds: config.jobs.grantExpirySeconds },
        { queue: QUEUES.retentionScan.name, everySeconds: config.jobs.retentionScanSeconds },
        { queue: QUEUES.checkoutExpiry.name, everySeconds: config.jobs.checkoutExpirySeconds },
        { queue: QUEUES.auditAnchor.name, everySeconds: config.auditAnchors.intervalSeconds },
        { queue: QUEUES.submissionsOverdue.name, everySeconds: config.online.overdueCheckSeconds },
      ],
      pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
      deliveryConcurrency: config.webhooks.concurrency,
      extractConcurrency: config.search.extractConcurrency,
      log: opts.log,
      telemetry: services.telemetry,
    },
  );
}
