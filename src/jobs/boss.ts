import PgBoss from 'pg-boss';
import pg from 'pg';
import type { JobOptions, JobSenderFactory } from '../core/index.js';
import { APP_ROLE } from '../db/client.js';
import type { Tx } from '../db/tenant-tx.js';

/**
 * pg-boss on the service's own PostgreSQL: job queues, retries with backoff, and at-most-one
 * schedules across instances, with no server of its own. Its schema (`pgboss`) and queues are
 * installed by the database owner (`installJobs`); the API and workers use them as the API role.
 */
export const JOBS_SCHEMA = 'pgboss';

export type QueuePolicy = 'standard' | 'stately';

export interface QueueSpec {
  name: string;
  /** stately: at most one job queued and one running (per singleton key): a running job is not started twice. */
  policy: QueuePolicy;
}

/** Completed jobs stay in the job table this long; it also bounds the longest schedule period. */
const ARCHIVE_AFTER_SECONDS = 7 * 86400;

const common = {
  schema: JOBS_SCHEMA,
  archiveCompletedAfterSeconds: ARCHIVE_AFTER_SECONDS,
  archiveFailedAfterSeconds: ARCHIVE_AFTER_SECONDS,
  deleteAfterDays: 7,
  migrate: false,
  schedule: false,
} satisfies PgBoss.ConstructorOptions;

/** A pg-boss for a process (API or worker), on the API's login. `supervise`: run maintenance. */
export function createBoss(url: string, opts: { max: number; supervise: boolean; pollingIntervalSeconds: number }) {
  return new PgBoss({
    ...common,
    connectionString: url,
    max: opts.max,
    supervise: opts.supervise,
    // Maintenance (one instance per interval): fails expired jobs so they are retried, archives old ones.
    maintenanceIntervalSeconds: 10,
    pollingIntervalSeconds: opts.pollingIntervalSeconds,
    application_name: 'en-akte-jobs',
  });
}

/**
 * Installs (or upgrades) pg-boss's schema, creates the queues and lets the API role use them. Run
 * by the owner, like the migrations; safe to run from many instances at once (pg-boss locks).
 */
export async function installJobs(ownerUrl: string, queues: QueueSpec[]): Promise<void> {
  const boss = new PgBoss({ ...common, connectionString: ownerUrl, max: 2, migrate: true, supervise: false });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    for (const q of queues) {
      await boss.createQueue(q.name, { name: q.name, policy: q.policy });
      await boss.updateQueue(q.name, { name: q.name, policy: q.policy });
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // Instances starting at once grant the same privileges: PostgreSQL refuses concurrent changes
    // of one catalog row ("tuple concurrently updated"), so the grants take a lock of their own.
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('en-akte:job-grants'))`);
    await client.query(`GRANT USAGE ON SCHEMA ${JOBS_SCHEMA} TO ${APP_ROLE}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${JOBS_SCHEMA} TO ${APP_ROLE}`);
    await client.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${JOBS_SCHEMA} TO ${APP_ROLE}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

/** pg-boss's SQL executed inside a Prisma interactive transaction. */
const inTransaction = (tx: Tx): PgBoss.Db => ({
  executeSql: async (text, values) => ({ rows: await tx.$queryRawUnsafe<unknown[]>(text, ...(values ?? [])) }),
});

const toInsert = (name: string, data: object, o: JobOptions = {}): PgBoss.JobInsert => ({
  name,
  data,
  retryLimit: o.retryLimit,
  retryDelay: o.retryDelay,
  retryBackoff: o.retryBackoff,
  expireInSeconds: o.expireInSeconds,
  singletonKey: o.singletonKey,
  startAfter: o.startAfterSeconds ? String(o.startAfterSeconds) : undefined,
});

/** The unit of work's job sender: jobs written with pg-boss's own SQL in the unit's transaction. */
export function jobSenderFor(boss: PgBoss): JobSenderFactory {
  return (tx) => ({
    send: (queue, data, options) => boss.insert([toInsert(queue, data, options)], { db: inTransaction(tx) }),
    sendMany: async (queue, jobs) => {
      if (jobs.length) await boss.insert(jobs.map((j) => toInsert(queue, j.data, j.options)), { db: inTransaction(tx) });
    },
  });
}
