import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { TEST_ISSUER } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

/**
 * Nothing is lost when the process dies between the commit of a change and the delivery of its
 * event: the event is in the outbox, committed with the change, and a worker started later
 * delivers it. Real processes of src/server.ts, killed with SIGKILL.
 */
const TENANT = 'sprockhoevel';
let receiver: Receiver;
let sql: pg.Client;
const running: ServerProcess[] = [];
const env: Record<string, string> = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1',
  WEBHOOK_RETRY_DELAY_SECONDS: '1',
  OUTBOX_CATCH_UP_SECONDS: '1',
};

async function call(server: ServerProcess, method: string, path: string, body?: unknown, roles = ['tenant-admin', 'records-manager']) {
  const keys = await loadOrCreateSigningKeys(inject('keys').signing);
  const token = await keys.sign({ sub: 'admin@sprockhoevel', tenant: TENANT, roles }, { issuer: TEST_ISSUER, audience: 'en-akte', ttlSeconds: 300 });
  const res = await fetch(`${server.url}/v1/tenants/${TENANT}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function start(extra: Record<string, string>) {
  const s = await startServer({ ...env, ...extra });
  running.push(s);
  return s;
}

beforeAll(async () => {
  // A database of this file's own: no worker of another test file dispatches its events.
  const db = await isolatedDatabase('outbox_crash');
  Object.assign(env, db.env);
  receiver = await startReceiver();
  sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
});
afterAll(async () => {
  await Promise.all(running.map((s) => s.kill('SIGKILL')));
  await receiver.close();
  await sql.end();
});

describe('an event whose API process is killed between commit and delivery', () => {
  it('is delivered by the worker of the next start, signed, exactly as committed', async () => {
    // An API-only instance: it commits changes and their events, but delivers nothing itself.
    const api = await start({ WORKER_IN_PROCESS: 'false' });
    const hook = await call(api, 'POST', '/webhooks', { url: receiver.url('/crash'), eventTypes: ['file.created'] });
    expect(hook.status).toBe(201);
    const code = `K${Date.now().toString(36).slice(-6)}`;
    expect((await call(api, 'POST', '/file-plan/units', { code, title: 'Absturztest', retentionYears: 10, disposal: 'B' })).status).toBe(201);
    const file = await call(api, 'POST', '/files', { planCode: code, title: 'Vor dem Absturz' });
    expect(file.status).toBe(201);
    const fileId = file.body.id as string;
    // Committed, with its event in the outbox, not yet dispatched.
    const { rows } = await sql.query(`SELECT type, dispatched_at FROM outbox_event WHERE subject_id = $1`, [fileId]);
    expect(rows).toEqual([{ type: 'file.created', dispatched_at: null }]);

    expect(await api.kill('SIGKILL')).toBe(null);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.filter((r) => r.path === '/crash')).toEqual([]);

    const next = await start({ WORKER_IN_PROCESS: 'true' });
    await receiver.until((got) => got.some((r) => r.path === '/crash' && JSON.parse(r.body).subject.id === fileId), 30_000);
    const got = receiver.received.filter((r) => r.path === '/crash' && JSON.parse(r.body).subject.id === fileId);
    expect(got).toHaveLength(1);
    expect(() => new Webhook(hook.body.secret as string).verify(got[0]!.body, got[0]!.headers)).not.toThrow();
    expect(JSON.parse(got[0]!.body)).toMatchObject({ type: 'file.created', tenant: TENANT, data: { reference: file.body.reference } });
    expect((await sql.query(`SELECT dispatched_at IS NOT NULL AS done FROM outbox_event WHERE subject_id = $1`, [fileId])).rows).toEqual([{ done: true }]);
    expect(await next.kill('SIGTERM')).toBe(0);
  });

  it('is delivered after restart when the process dies while the receiver is still answering', async () => {
    // The first attempt hangs (the receiver never answers); the process is killed mid-attempt.
    let first = true;
    const slow = await startReceiver(() => (first ? ((first = false), 'hang') : 204));
    try {
      // 2 s to answer: the attempt's job expires 7 s after it started, unless it finishes.
      const api = await start({ WORKER_IN_PROCESS: 'true', WEBHOOK_TIMEOUT_SECONDS: '2' });
      const hook = await call(api, 'POST', '/webhooks', { url: slow.url('/slow'), eventTypes: ['file.updated'] });
      expect(hook.status).toBe(201);
      const code = `S${Date.now().toString(36).slice(-6)}`;
      await call(api, 'POST', '/file-plan/units', { code, title: 'Hängt', retentionYears: 10, disposal: 'B' });
      const file = await call(api, 'POST', '/files', { planCode: code, title: 'Hängt' });
      const etag = (await fetch(`${api.url}/v1/tenants/${TENANT}/files/${file.body.id}`, { headers: { authorization: (await tokenHeader()) } })).headers.get('etag')!;
      const patched = await fetch(`${api.url}/v1/tenants/${TENANT}/files/${file.body.id}`, {
        method: 'PATCH',
        headers: { authorization: await tokenHeader(), 'content-type': 'application/json', 'if-match': etag },
        body: JSON.stringify({ title: 'Geändert' }),
      });
      expect(patched.status).toBe(200);
      await slow.until((got) => got.length >= 1);
      await api.kill('SIGKILL');
      // The attempt's job was active when the process died: pg-boss expires it and tries again.
      const next = await start({ WORKER_IN_PROCESS: 'true', WEBHOOK_TIMEOUT_SECONDS: '1' });
      await slow.until((got) => got.length >= 2, 60_000);
      expect(slow.received[1]!.headers['webhook-id']).toBe(slow.received[0]!.headers['webhook-id']);
      expect(JSON.parse(slow.received[1]!.body)).toMatchObject({ type: 'file.updated', data: { changed: ['title'] } });
      await next.kill('SIGTERM');
    } finally {
      await slow.close();
    }
  }, 120_000);
});

async function tokenHeader() {
  const keys = await loadOrCreateSigningKeys(inject('keys').signing);
  return `Bearer ${await keys.sign({ sub: 'admin@sprockhoevel', tenant: TENANT, roles: ['records-manager'] }, { issuer: TEST_ISSUER, audience: 'en-akte', ttlSeconds: 300 })}`;
}
