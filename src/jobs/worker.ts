import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import type PgBoss from 'pg-boss';
import { SpanKind } from '@opentelemetry/api';
import { inSpan, noTelemetry, type Telemetry } from '../telemetry/index.js';
import { jobMetrics } from './metrics.js';
import { QUEUES, jobHandlers, type DispatchJob, type JobDeps } from './registry.js';

/** Work that runs on a schedule: one job per period across every instance (pg-boss throttling slots). */
export interface Schedule {
  queue: string;
  everySeconds: number;
}

export interface WorkerOptions {
  /** A connection URL (the API login) for LISTEN: the outbox notifies on every commit that wrote events. */
  listenUrl: string;
  schedules: Schedule[];
  pollingIntervalSeconds: number;
  deliveryConcurrency: number;
  /** Text extractions at once (each a child process). */
  extractConcurrency: number;
  log: FastifyBaseLogger;
  /** Traces: a span per job run, the parent of its statements and storage calls. */
  telemetry?: Telemetry;
}

export interface Worker {
  /** Queues a job now (outside any schedule): `npm run jobs`, tests. */
  trigger(queue: string, data?: object): Promise<string | null>;
  stop(): Promise<void>;
}

/** The outbox trigger's channel (migration 20261201000000_backbone). */
export const OUTBOX_CHANNEL = 'en_akte_outbox';

/**
 * A worker: runs the job handlers on pg-boss, puts scheduled jobs on their queues (each period
 * once, whichever instance comes first) and listens for committed events so that dispatch starts
 * at once; the catch-up schedule covers what a missed notification or downtime left undispatched.
 * Any number of workers may run against one database.
 */
export async function startWorker(boss: PgBoss, deps: JobDeps, opts: WorkerOptions): Promise<Worker> {
  const { log } = opts;
  boss.on('error', (err) => log.error({ err }, 'job queue error'));
  await boss.start();
  const handlers = jobHandlers(deps);
  const telemetry = opts.telemetry ?? noTelemetry;
  const workerIds: Record<string, string[]> = {};
  for (const [queue, handle] of Object.entries(handlers)) {
    const concurrency = queue === QUEUES.deliver.name ? opts.deliveryConcurrency : queue === QUEUES.searchExtract.name ? opts.extractConcurrency : 1;
    workerIds[queue] = [];
    for (let i = 0; i < concurrency; i++) {
      workerIds[queue].push(
        await boss.work(queue, { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds }, async ([job]) => {
          const done = jobMetrics.duration.startTimer({ queue });
          try {
            const out = await inSpan(
              telemetry,
              `job ${queue}`,
              {
                kind: SpanKind.CONSUMER,
                // A trace of its own, whatever woke the worker (a request's job is done later, apart).
                root: true,
                attributes: { 'messaging.system': 'pg-boss', 'messaging.operation.type': 'process', 'messaging.destination.name': queue, 'messaging.message.id': job!.id, 'en_akte.job.retry_count': job!.retryCount },
              },
              async () => (await handle(job!, boss)) ?? undefined,
            );
            jobMetrics.runs.inc({ queue, outcome: 'completed' });
            return out;
          } catch (err) {
            jobMetrics.runs.inc({ queue, outcome: 'failed' });
            log.warn({ err, queue, jobId: job!.id, retry: job!.retryCount }, 'job failed');
            throw err;
          } finally {
            done();
          }
        }),
      );
    }
  }
  const wake = (queue: string) => workerIds[queue]?.forEach((id) => boss.notifyWorker(id));

  const timers = opts.schedules
    .filter((s) => s.everySeconds > 0)
    .map((s) => {
      const tick = () =>
        boss
          .sendThrottled(s.queue, {}, {}, s.everySeconds, s.queue)
          .then((id) => id && wake(s.queue))
          .catch((err: unknown) => log.error({ err, queue: s.queue }, 'could not schedule a job'));
      void tick();
      const t = setInterval(tick, Math.min(Math.max(1000, (s.everySeconds * 1000) / 4), 30_000));
      t.unref();
      return t;
    });

  // LISTEN on a connection of its own; reconnect with backoff, and catch up after every reconnect.
  let listener: pg.Client | null = null;
  let stopped = false;
  let retryMs = 500;
  async function listen() {
    if (stopped) return;
    const client = new pg.Client({ connectionString: opts.listenUrl, application_name: 'en-akte-outbox' });
    client.on('notification', (msg) => {
      const tenantId = msg.payload;
      if (!tenantId) return;
      void deps
        .tenants()
        .then((all) => all.find((t) => t.id === tenantId))
        .then(async (t) => {
          if (!t) return;
          await boss.send(QUEUES.dispatch.name, { tenantId: t.id, tenantSlug: t.slug } satisfies DispatchJob, { singletonKey: t.id });
          wake(QUEUES.dispatch.name);
        })
        .catch((err: unknown) => log.error({ err }, 'could not queue event dispatch'));
    });
    const reconnect = () => {
      if (stopped || listener !== client) return;
      listener = null;
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      client.end().catch(() => undefined);
      setTimeout(() => void listen(), retryMs).unref();
      retryMs = Math.min(retryMs * 2, 30_000);
    };
    client.on('error', (err) => {
      log.warn({ err }, 'outbox listener lost its connection');
      reconnect();
    });
    client.on('end', reconnect);
    listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      retryMs = 500;
      await boss.send(QUEUES.catchUp.name, {});
      wake(QUEUES.catchUp.name);
    } catch (err) {
      log.warn({ err }, 'outbox listener could not connect');
      reconnect();
    }
  }
  await listen();

  return {
    async trigger(queue, data = {}) {
      const id = await boss.send(queue, data);
      wake(queue);
      return id;
    },
    async stop() {
      stopped = true;
      timers.forEach(clearInterval);
      const l = listener;
      listener = null;
      await l?.end().catch(() => undefined);
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
