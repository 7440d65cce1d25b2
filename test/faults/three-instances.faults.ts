import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabase } from '../support/database.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadOrCreateDataKey } from '../../src/auth/data-key.js';
import { loadSharedSigningKeys, type SigningKeys } from '../../src/auth/keys.js';
import { TEST_ISSUER } from '../support/app.js';
import { call } from './support/load.js';

/**
 * Three instances of the real service (src/server.ts, each with its in-process worker) on one
 * PostgreSQL and one MinIO, requests spread round-robin as a load balancer does. Whatever
 * instance a request lands on: references stay unique, version numbers gapless, one decision on a
 * grant wins, a token issued by one instance opens the others, the rate limit is one budget, and
 * each event reaches a webhook once per attempt. (Schedules once per period on three instances:
 * test/jobs/schedules.test.ts.)
 */
const TOWN = 'wetter';
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let sql: pg.Client;
let receiver: Receiver;
const instances: ServerProcess[] = [];
/** Each instance's own (absent) key file: nothing is shared through files, the keys live in PostgreSQL. */
const keyFiles = [0, 1, 2].map(() => path.join(mkdtempSync(path.join(os.tmpdir(), 'en-akte-f3-keys-')), 'signing-key.json'));
let keys: SigningKeys;
/** A token of the instances' shared key, read from PostgreSQL as `npm run token` does. */
const tokenOf = (tenant: string, roles: string[], sub = `faults@${tenant}`) =>
  keys.sign({ sub, tenant, roles }, { issuer: TEST_ISSUER, audience: 'en-akte', ttlSeconds: 3600 });
let next = 0;
/** Round-robin over the three instances. */
const rr = () => instances[next++ % instances.length]!.url;

beforeAll(async () => {
  db = await isolatedDatabase('three_instances');
  sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
  receiver = await startReceiver();
  const env = {
    ...db.env,
    S3_BUCKET_PREFIX: 'en-akte-f3-',
    WORKER_IN_PROCESS: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1',
    OUTBOX_CATCH_UP_SECONDS: '1',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  // Started one after the other: three tsx processes at once strain two cores.
  for (let i = 0; i < 3; i++) instances.push(await startServer({ ...env, AUTH_KEY_FILE: keyFiles[i]! }));
  keys = await loadSharedSigningKeys({ databaseUrl: db.url, dataKey: await loadOrCreateDataKey(inject('keys').data) });
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.kill('SIGTERM')));
  await receiver?.close();
  await sql?.end();
  await keys?.close();
});

describe('three API instances, round-robin', () => {
  it('concurrent files in one unit get unique, gapless references; concurrent versions gapless numbers', async () => {
    const token = await tokenOf(TOWN, ['records-manager', 'clerk']);
    const code = `R${randomBytes(3).toString('hex')}`;
    expect((await call(rr, TOWN, token, 'POST', '/file-plan/units', { json: { code, title: 'Rennen', retentionYears: 10, disposal: 'B' } })).status).toBe(201);
    const files = await Promise.all(Array.from({ length: 60 }, (_, i) => call(rr, TOWN, token, 'POST', '/files', { json: { planCode: code, title: `Akte ${i}` } })));
    expect(files.filter((f) => f.status !== 201).map((f) => `${f.status} ${f.body.toString()}`)).toEqual([]);
    const refs = files.map((f) => f.json<{ reference: string }>().reference);
    expect(new Set(refs).size).toBe(60);
    // The sequence part of the references is 1..60, no gaps (counters live in PostgreSQL, per unit and year).
    // Default pattern {plan}-{seq:4}/{yyyy}.
    const seqs = refs.map((r) => Number(r.match(/-(\d+)\/\d{4}$/)![1])).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => seqs[0]! + i));

    const fileId = files[0]!.json<{ id: string }>().id;
    const kase = await call(rr, TOWN, token, 'POST', `/files/${fileId}/cases`, { json: { title: 'Vorgang' } });
    const doc = await call(rr, TOWN, token, 'POST', `/cases/${kase.json<{ id: string }>().id}/documents`, { json: { title: 'umkämpft', kind: 'letter' } });
    const docId = doc.json<{ id: string }>().id;
    // Six writers, each on its own instance in turn, each adding 4 versions following the ETag it reads.
    const contents = new Map<number, string>();
    const writer = async () => {
      let added = 0;
      while (added < 4) {
        const base = rr;
        const current = await call(base, TOWN, token, 'GET', `/documents/${docId}`);
        const content = randomBytes(2000);
        const res = await call(base, TOWN, token, 'POST', `/documents/${docId}/versions`, { body: content, headers: { 'if-match': current.headers.get('etag')! } });
        if (res.status === 201) {
          const n = res.json<{ number: number }>().number;
          expect(contents.has(n)).toBe(false);
          contents.set(n, createHash('sha256').update(content).digest('hex'));
          added++;
        } else expect(res.status, res.body.toString()).toBe(412);
      }
    };
    await Promise.all(Array.from({ length: 6 }, writer));
    const { rows } = await sql.query<{ number: number; sha256: string }>('SELECT number, sha256 FROM document_version WHERE document_id = $1 ORDER BY number', [docId]);
    expect(rows.map((r) => r.number)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const r of rows) expect(r.sha256).toBe(contents.get(r.number));
  });

  it('grant decisions racing from two instances: one wins, the other gets 412', async () => {
    const staff = await tokenOf('kompetenzzentrum', ['support-agent'], 'kk.rennen');
    const admin = await tokenOf(TOWN, ['tenant-admin'], `admin@${TOWN}`);
    for (let round = 0; round < 5; round++) {
      const g = await call(rr, TOWN, staff, 'POST', '/support-grants', { json: { scope: 'read', reason: `Ticket ${round}: Rennen zweier Instanzen`, durationHours: 2 } });
      expect(g.status, g.body.toString()).toBe(201);
      const id = g.json<{ id: string }>().id;
      const etag = g.headers.get('etag')!;
      const [a, b] = await Promise.all([
        call(() => instances[0]!.url, TOWN, admin, 'POST', `/support-grants/${id}/approve`, { json: {}, headers: { 'if-match': etag } }),
        call(() => instances[1]!.url, TOWN, admin, 'POST', `/support-grants/${id}/reject`, { json: {}, headers: { 'if-match': etag } }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      const winner = a.status === 200 ? 'approved' : 'rejected';
      const final = await call(() => instances[2]!.url, TOWN, admin, 'GET', `/support-grants/${id}`);
      expect(final.json<{ status: string }>().status).toBe(winner);
      const { rows } = await sql.query(`SELECT action FROM audit_event WHERE object_id = $1 ORDER BY seq`, [id]);
      expect(rows.map((r) => r.action)).toEqual(['grant.requested', `grant.${winner}`]);
    }
  });

  it('a token one instance issues verifies on the others; the JWKS is the same everywhere', async () => {
    const admin = await tokenOf(TOWN, ['tenant-admin'], `admin@${TOWN}`);
    const client = await call(() => instances[0]!.url, TOWN, admin, 'POST', '/clients', { json: { name: 'Fachverfahren', roles: ['reader'] } });
    expect(client.status).toBe(201);
    const { clientId, clientSecret } = client.json<{ clientId: string; clientSecret: string }>();
    const issued = await fetch(`${instances[1]!.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    });
    expect(issued.status).toBe(200);
    const accessToken = ((await issued.json()) as { access_token: string }).access_token;
    for (const instance of instances) {
      const res = await fetch(`${instance.url}/v1/tenants/${TOWN}`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(res.status).toBe(200);
    }
    const jwks = await Promise.all(instances.map(async (i) => (await fetch(`${i.url}/.well-known/jwks.json`)).text()));
    expect(new Set(jwks).size).toBe(1);
    // No instance has a key file: the one key is the row every instance loaded from signing_key.
    expect(keyFiles.map((f) => existsSync(f))).toEqual([false, false, false]);
    expect((await sql.query('SELECT count(*)::int AS n FROM signing_key')).rows).toEqual([{ n: 1 }]);
  });

  it('webhooks: every event of writes spread over three instances (and three workers) is delivered once', async () => {
    const admin = await tokenOf(TOWN, ['tenant-admin', 'records-manager']);
    const hook = await call(rr, TOWN, admin, 'POST', '/webhooks', { json: { url: receiver.url('/three'), eventTypes: ['file.created'] } });
    expect(hook.status, hook.body.toString()).toBe(201);
    const code = `W${randomBytes(3).toString('hex')}`;
    await call(rr, TOWN, admin, 'POST', '/file-plan/units', { json: { code, title: 'Haken', retentionYears: 10, disposal: 'B' } });
    const files = await Promise.all(Array.from({ length: 30 }, (_, i) => call(rr, TOWN, admin, 'POST', '/files', { json: { planCode: code, title: `Ereignis ${i}` } })));
    const ids = new Set(files.map((f) => f.json<{ id: string }>().id));
    const mine = () => receiver.received.filter((r) => r.path === '/three');
    await receiver.until(() => new Set(mine().map((r) => JSON.parse(r.body).subject.id)).size >= 30, 60_000);
    // Time for a duplicate to show up, if one of the three dispatchers sent an event again.
    await new Promise((r) => setTimeout(r, 3_000));
    const got = mine();
    expect(new Set(got.map((r) => JSON.parse(r.body).subject.id))).toEqual(ids);
    expect(got.length).toBe(30);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(30);
  });

  it('the rate limit is one budget over all instances', async () => {
    // A fresh caller, requests spread round-robin: PostgreSQL holds the buckets (rate_limit_bucket).
    // (429 once a low budget is spent, over two instances: test/api/rate-limits.test.ts.)
    const admin = await tokenOf(TOWN, ['reader'], `limited-${Date.now()}@${TOWN}`);
    const answers = [];
    for (let i = 0; i < 9; i++) answers.push(await call(rr, TOWN, admin, 'GET', ''));
    const remaining = answers.map((a) => Number(a.headers.get('ratelimit-remaining')));
    // One counter: remaining falls by one per request whichever instance answered.
    for (let i = 1; i < remaining.length; i++) expect(remaining[i]).toBe(remaining[i - 1]! - 1);
  });
});
