import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabase } from '../support/database.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

/**
 * Three instances of the service (src/server.ts, each with its in-process worker) on one database
 * run the sweeper's schedule once per period between them, and never start a sweep while another
 * is still running.
 */
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let sql: pg.Client;
const instances: ServerProcess[] = [];

beforeAll(async () => {
  db = await isolatedDatabase('schedules');
  sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.kill('SIGKILL')));
  await sql.end();
});

interface SweepJob {
  singleton_on: Date;
  started_on: Date;
  completed_on: Date;
  state: string;
  output: { uploads: number; instance: string };
}

describe('the sweeper schedule on three instances', () => {
  it('runs once per period, one sweep at a time, whichever instance comes first', async () => {
    // Leftovers that make the first sweep take longer than the 1 s period.
    const tenant = (await sql.query(`SELECT id FROM tenant WHERE slug = 'herdecke'`)).rows[0].id as string;
    await sql.query(
      `INSERT INTO version_upload (id, tenant_id, document_id, storage_key, created_at)
       SELECT gen_random_uuid(), $1, d, 'documents/' || d || '/' || gen_random_uuid(), now() - interval '1 day'
       FROM (SELECT gen_random_uuid() AS d FROM generate_series(1, 400)) x`,
      [tenant],
    );
    const env = { ...db.env, SWEEP_INTERVAL_SECONDS: '1', UPLOAD_STALE_AFTER_SECONDS: '60' };
    instances.push(...(await Promise.all([startServer(env), startServer(env), startServer(env)])));
    const since = new Date();
    // Watch for 8 s at least, and on a slow machine until three sweeps after the first completed
    // (at most 60 s): the checks below are about order and uniqueness, not about speed.
    const sweepsSince = async () =>
      (
        await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (SELECT started_on, state FROM pgboss.job WHERE name = 'records.sweep'
           UNION ALL SELECT started_on, state FROM pgboss.archive WHERE name = 'records.sweep') j
           WHERE j.state = 'completed' AND j.started_on >= $1`,
          [since],
        )
      ).rows[0]!.n;
    await new Promise((r) => setTimeout(r, 8_000));
    for (const until = Date.now() + 52_000; (await sweepsSince()) < 3 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 500));
    await Promise.all(instances.map((i) => i.kill('SIGTERM')));

    const { rows } = await sql.query<SweepJob>(
      `SELECT singleton_on, started_on, completed_on, state::text, output FROM pgboss.job WHERE name = 'records.sweep'
       UNION ALL SELECT singleton_on, started_on, completed_on, state::text, output FROM pgboss.archive WHERE name = 'records.sweep'
       ORDER BY started_on NULLS LAST`,
    );
    const ran = rows.filter((r) => r.started_on !== null);
    expect(ran.length).toBeGreaterThanOrEqual(2);
    // One job per period: no slot appears twice.
    const slots = rows.map((r) => r.singleton_on.toISOString());
    expect(new Set(slots).size).toBe(slots.length);
    // One sweep at a time: each starts after the one before has finished.
    for (let i = 1; i < ran.length; i++) expect(ran[i]!.started_on.getTime()).toBeGreaterThanOrEqual(ran[i - 1]!.completed_on.getTime());
    // The slow first sweep collected all 400 leftovers; later ones found nothing more.
    const completed = ran.filter((r) => r.state === 'completed');
    expect(completed.reduce((n, r) => n + r.output.uploads, 0)).toBe(400);
    expect((await sql.query(`SELECT count(*)::int AS n FROM version_upload WHERE tenant_id = $1`, [tenant])).rows[0].n).toBe(0);
    // Every sweep was run by one of the three processes.
    const pids = new Set(instances.map((i) => String(i.pid)));
    for (const r of completed) expect(pids.has(r.output.instance.split(':').at(-1)!)).toBe(true);
    // And the periods went on: sweeps in at least half of the seconds since all three were up (the slow one aside).
    expect(completed.filter((r) => r.started_on >= since).length).toBeGreaterThanOrEqual(3);
  }, 150_000);
});
