import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/app.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { call, HANG_MS, Load, slowUpload, tokenOf } from './support/load.js';
import { startRestartablePostgres, waitHealthy, type RestartablePostgres } from './support/processes.js';
import { verifyRecovery } from './support/verify.js';

/**
 * PostgreSQL is restarted with a fast shutdown (open transactions rolled back, sessions ended with
 * 57P01) under load, with an upload in flight. Requests in flight fail cleanly (503 problem+json,
 * none hangs), the API's pool reconnects by itself, and retries with the same Idempotency-Key give
 * exactly one file each.
 */
const TENANT = 'schwelm';
let db: RestartablePostgres;
let env: Record<string, string>;
let api: ServerProcess | undefined;

beforeAll(async () => {
  db = await startRestartablePostgres();
  env = { DATABASE_URL: db.apiUrl, DATABASE_OWNER_URL: db.ownerUrl, S3_BUCKET_PREFIX: 'en-akte-fpg-', WORKER_IN_PROCESS: 'true', DB_POOL_MAX: '8' };
});
afterAll(async () => {
  if (process.env.FAULTS_LOG) (await import('node:fs')).writeFileSync(process.env.FAULTS_LOG, api?.output() ?? '');
  await api?.kill('SIGKILL');
  await db?.destroy();
});

describe('PostgreSQL restarted (fast shutdown, then start)', () => {
  it('fails in-flight requests with 503, never hangs, reconnects, and idempotent retries make one file each', async () => {
    api = await startServer(env);
    const base = () => api!.url;
    const token = await tokenOf(TENANT, ['records-manager', 'clerk']);
    const load = new Load(base, TENANT, token, { clients: 4 });
    await load.setup();
    load.start();
    await load.progress(30);

    // An upload that spans the restart: prepared before, its commit meets the stopped database.
    const doc = await load.newDocument('über den Neustart');
    const upload = slowUpload(`${base()}/v1/tenants/${TENANT}/documents/${doc.id}/versions`, token, doc.etag, 8 * 1024 * 1024, { chunk: 256 * 1024, pauseAfter: 4 * 1024 * 1024 });
    while (upload.sent() < 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 20));

    // Requests held open inside the database while it stops: a slow statement in a live session.
    const owner = new pg.Client({ connectionString: db.ownerUrl });
    await owner.connect();
    owner.on('error', () => undefined);
    const blocked = owner.query('SELECT pg_sleep(30)').then(() => 'finished', (err: Error) => err.message);

    const pid = api.pid;
    const stoppedAt = Date.now();
    await db.stop();
    expect(await blocked).toMatch(/terminat|shutdown|Connection/i);
    await owner.end().catch(() => undefined);
    // While it is down: every answer is a prompt 503 problem+json (no 500, no hang).
    const whileDown: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await call(base, TENANT, token, 'POST', '/files', { json: { planCode: 'X', title: 'während' }, headers: { 'idempotency-key': randomUUID() } });
      whileDown.push(res.status);
      expect(Date.now() - started).toBeLessThan(HANG_MS);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(503);
    upload.resume();
    const uploaded = await upload.answer;
    expect(uploaded.status).toBe(503);
    await new Promise((r) => setTimeout(r, 3_000));
    await db.start();
    const downMs = Date.now() - stoppedAt;

    // The pool reconnects: the same process becomes ready again.
    await waitHealthy(`${base()}/readyz`, 60_000, 'the API after the database restart');
    expect(api.pid).toBe(pid);
    await load.progress(30);
    await load.stop();
    const recovery = await verifyRecovery('PostgreSQL fast restart', load, { env: testEnv(env), ownerUrl: db.ownerUrl });
    expect(recovery.failures['-1'] ?? 0).toBe(0);
    console.log(`[faults] PostgreSQL fast restart: down ${downMs} ms; ${load.files.size} files by Idempotency-Key (retried to exactly one each, ${load.unresolved.length} given up), ` +
      `upload across the restart answered ${uploaded.status}; failed answers ${JSON.stringify(recovery.failures)}`);
  }, 240_000);
});
