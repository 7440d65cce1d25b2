import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import pg from 'pg';
import { hashSecret } from '../../src/auth/secrets.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { isolatedDatabase } from '../support/database.js';
import { buildTestApp, TEST_ISSUER, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

const TENANT = 'witten';
const BASE = `/v1/tenants/${TENANT}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let admin: ReturnType<ReturnType<typeof recordFactories>['as']>;
let db: pg.Client;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  admin = f.as(['tenant-admin'], 'admin@witten');
  db = new pg.Client({ connectionString: inject('ownerUrl') });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await t.close();
});

interface ClientWithSecret {
  id: string;
  clientId: string;
  clientSecret: string;
  etag: string;
  body: Record<string, unknown>;
}

/** Registers a machine client of TENANT through the API (as its tenant admin). */
async function newClient(roles: string[] = ['clerk'], name = 'Online-Service-Portal'): Promise<ClientWithSecret> {
  const res = await admin.post('/clients', { name, roles });
  if (res.statusCode !== 201) throw new Error(`client: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return { id: body.id, clientId: body.clientId, clientSecret: body.clientSecret, etag: res.headers.etag as string, body };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** POST /oauth/token with a form body (RFC 6749 §4.4). */
function tokenRequest(app: TestApp, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return app.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: form(fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

async function clientToken(c: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await tokenRequest(t, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return res.json().access_token as string;
}

const bearer = (app: TestApp, token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

/**
 * Starts concurrent requests while the database owner holds a lock on the client row, and lets
 * them go only once all of them wait for that lock (or have answered): each has read the row
 * first, so a lost update shows deterministically instead of by chance.
 */
async function behindRowLock<T>(id: string, start: () => Promise<T>[]): Promise<T[]> {
  const lock = new pg.Client({ connectionString: inject('ownerUrl') });
  await lock.connect();
  try {
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM api_client WHERE id = $1 FOR UPDATE', [id]);
    const pid = (await lock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    let settled = 0;
    const pending = start().map((p) => p.finally(() => settled++));
    for (;;) {
      // Waiting behind the lock, directly or behind another waiter.
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE pid <> $1 AND cardinality(pg_blocking_pids(pid)) > 0 AND query LIKE '%api_client%'`,
        [pid],
      );
      if (Number(rows[0]!.n) + settled >= pending.length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await lock.query('COMMIT');
    return await Promise.all(pending);
  } finally {
    await lock.end();
  }
}

const invalidClient = problem('invalid-client', 'Client authentication failed', '/oauth/token', {
  error: 'invalid_client',
  error_description: 'Client authentication failed',
});

describe('managing machine clients', () => {
  it('a tenant admin registers a client: 201 with client id, secret (once), roles; no-store', async () => {
    const res = await admin.post('/clients', { name: 'Fachverfahren Gewerbe', roles: ['clerk', 'reader'] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      clientId: expect.stringMatching(/^witten-fachverfahren-gewerbe-[0-9a-f]{10}$/),
      name: 'Fachverfahren Gewerbe',
      roles: ['clerk', 'reader'],
      maxConfidentiality: '003',
      disabled: false,
      disabledAt: null,
      secretRotatedAt: expect.any(String),
      createdAt: expect.any(String),
      createdBy: 'admin@witten',
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(body.clientId.startsWith(`${TENANT}-`)).toBe(true);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.location).toBe(`${BASE}/clients/${body.id}`);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
  });

  it('GET shows the client without its secret; the list contains it', async () => {
    const c = await newClient(['reader'], 'Scanstation');
    const res = await admin.get(`/clients/${c.id}`);
    expect(res.statusCode).toBe(200);
    const { clientSecret: _secret, ...withoutSecret } = c.body;
    expect(res.json()).toEqual(withoutSecret);
    expect(res.body).not.toContain(c.clientSecret);
    expect(res.headers.etag).toBe(c.etag);

    const found: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin.get(`/clients?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain(c.clientSecret);
      found.push(...(page.json().items as Record<string, unknown>[]));
      cursor = page.json().next;
    } while (cursor);
    expect(found.filter((i) => i.id === c.id)).toEqual([withoutSecret]);
  });

  it('carries its timestamps in RFC 3339 with milliseconds, as a file does, exactly as the database holds them', async () => {
    const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    const c = await newClient();
    const rotated: string[] = [];
    let etag = c.etag;
    for (let i = 0; i < 2; i++) {
      const res = await admin.post(`/clients/${c.id}/rotate-secret`, undefined, { 'if-match': etag });
      expect(res.statusCode, res.body).toBe(200);
      etag = res.headers.etag as string;
      rotated.push(res.json().secretRotatedAt);
    }
    const disabled = await admin.post(`/clients/${c.id}/disable`, undefined, { 'if-match': etag });
    expect(disabled.statusCode, disabled.body).toBe(200);
    const shown = (await admin.get(`/clients/${c.id}`)).json();
    for (const value of [c.body.createdAt, c.body.secretRotatedAt, ...rotated, shown.createdAt, shown.secretRotatedAt, shown.disabledAt]) {
      expect(value).toMatch(RFC3339_MS);
    }
    // Two rotations moments apart differ (whole seconds would often make them equal), and what the
    // API shows is the stored value to the millisecond.
    expect(rotated[0]).not.toBe(rotated[1]);
    expect(shown.secretRotatedAt).toBe(rotated[1]);
    const ms = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    const { rows } = await db.query<{ created: string; rotated: string; disabled: string }>(
      `SELECT ${ms('created_at')} AS created, ${ms('secret_rotated_at')} AS rotated, ${ms('disabled_at')} AS disabled FROM api_client WHERE id = $1`,
      [c.id],
    );
    expect(rows[0]).toEqual({ created: shown.createdAt, rotated: shown.secretRotatedAt, disabled: shown.disabledAt });
    expect([shown.createdAt, ...rotated, shown.disabledAt].every((v: string) => v.endsWith('.000Z'))).toBe(false);
    const file = await f.file();
    expect([file.body.createdAt, file.body.updatedAt]).toEqual([expect.stringMatching(RFC3339_MS), expect.stringMatching(RFC3339_MS)]);
  });

  it('no timestamp column of the schema drops the milliseconds', async () => {
    const { rows } = await db.query<{ column: string; precision: number }>(
      `SELECT table_name || '.' || column_name AS column, datetime_precision AS precision FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type LIKE 'timestamp%' AND datetime_precision < 3 ORDER BY 1`,
    );
    expect(rows).toEqual([]);
  });

  it('answers 404 for an unknown client id', async () => {
    const id = '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c30';
    const res = await admin.get(`/clients/${id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(problem('not-found', 'No such client', `${BASE}/clients/${id}`));
  });

  it('a clerk gets 403 on every clients route', async () => {
    const c = await newClient();
    const forbidden = (url: string) => problem('forbidden', 'This needs one of the roles: tenant-admin', `${BASE}${url}`);
    const calls = [
      ['/clients', () => f.clerk.post('/clients', { name: 'x', roles: ['clerk'] })],
      ['/clients', () => f.clerk.get('/clients')],
      [`/clients/${c.id}`, () => f.clerk.get(`/clients/${c.id}`)],
      [`/clients/${c.id}/rotate-secret`, () => f.clerk.post(`/clients/${c.id}/rotate-secret`, undefined, { 'if-match': c.etag })],
      [`/clients/${c.id}/disable`, () => f.clerk.post(`/clients/${c.id}/disable`, undefined, { 'if-match': c.etag })],
    ] as const;
    for (const [url, call] of calls) {
      const res = await call();
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toEqual(forbidden(url));
    }
    // Nothing changed: the client still gets tokens with its first secret.
    expect((await admin.get(`/clients/${c.id}`)).headers.etag).toBe(c.etag);
  });
});

describe('OAuth 2.0 client credentials at /oauth/token', () => {
  it('issues a bearer token for a form body: 200 {access_token, token_type, expires_in}, no-store', async () => {
    const c = await newClient();
    const res = await tokenRequest(t, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: t.config.auth.tokenTtl });
    expect(res.headers['cache-control']).toBe('no-store');
    const tenant = await bearer(t, res.json().access_token, 'GET', BASE);
    expect(tenant.statusCode).toBe(200);
    expect(tenant.json()).toMatchObject({ slug: TENANT });
  });

  it('accepts HTTP Basic client authentication (client_secret_basic)', async () => {
    const c = await newClient();
    const res = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basic(c.clientId, c.clientSecret) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: t.config.auth.tokenTtl });
    expect((await bearer(t, res.json().access_token, 'GET', BASE)).statusCode).toBe(200);
  });

  it('reads the Basic scheme case-insensitively, after one or more spaces (RFC 9110 §11.1, §11.4)', async () => {
    const c = await newClient();
    const credentials = Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64');
    for (const authorization of [`basic ${credentials}`, `BASIC ${credentials}`, `Basic   ${credentials}`]) {
      const res = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization });
      expect(res.statusCode, authorization).toBe(200);
      expect(res.json()).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: t.config.auth.tokenTtl });
      const tenant = await t.app.inject({ method: 'GET', url: BASE, headers: { authorization: `bearer ${res.json().access_token}` } });
      expect(tenant.statusCode).toBe(200);
      expect(tenant.json()).toMatchObject({ slug: TENANT });
    }
    const wrong = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: `basic ${Buffer.from(`${c.clientId}:wrong`).toString('base64')}` });
    expect(wrong.json()).toEqual(invalidClient);
    const otherScheme = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: `Basics ${credentials}` });
    expect(otherScheme.json()).toEqual(problem('bad-request', 'Authorization must be Basic base64(client_id:client_secret)', '/oauth/token'));
  });

  it('accepts a JSON body as well', async () => {
    const c = await newClient();
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: t.config.auth.tokenTtl });
  });

  it('the token acts as client:<clientId> with the client roles (createdBy, audit actor)', async () => {
    const c = await newClient(['records-manager', 'clerk'], 'Online-Portal');
    const token = await clientToken(c);
    const code = f.uniqueCode();
    const unit = await bearer(t, token, 'POST', `${BASE}/file-plan/units`, { code, title: 'Portal', retentionYears: 10, disposal: 'B' });
    expect(unit.statusCode, unit.body).toBe(201);
    const file = await bearer(t, token, 'POST', `${BASE}/files`, { planCode: code, title: 'Gewerbeanmeldung online' });
    expect(file.statusCode, file.body).toBe(201);
    expect(file.json().createdBy).toBe(`client:${c.clientId}`);

    const audit = await f.as(['auditor']).get(`/audit?objectId=${file.json().id}`);
    expect(audit.statusCode).toBe(200);
    expect(audit.json().items).toEqual([
      expect.objectContaining({ action: 'file.created', actorTenant: TENANT, actorSub: c.clientId, clientId: c.clientId, grantId: null }),
    ]);
    // The client's roles are its own: a clerk client cannot manage clients.
    const clerkToken = await clientToken(await newClient(['clerk']));
    const denied = await bearer(t, clerkToken, 'GET', `${BASE}/clients`);
    expect(denied.statusCode).toBe(403);
  });

  it('answers 401 invalid_client for a wrong secret, an unknown client and missing credentials', async () => {
    const c = await newClient();
    const attempts: Record<string, string>[] = [
      { grant_type: 'client_credentials', client_id: c.clientId, client_secret: `${c.clientSecret.slice(0, -1)}${c.clientSecret.endsWith('x') ? 'y' : 'x'}` },
      { grant_type: 'client_credentials', client_id: 'witten-nobody-0000000000', client_secret: c.clientSecret },
      { grant_type: 'client_credentials', client_id: c.clientId },
    ];
    for (const fields of attempts) {
      const res = await tokenRequest(t, fields);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers['www-authenticate']).toBe('Basic realm="en-akte"');
      expect(res.json()).toEqual(invalidClient);
    }
    const wrongBasic = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basic(c.clientId, 'not-the-secret') });
    expect(wrongBasic.statusCode).toBe(401);
    expect(wrongBasic.json()).toEqual(invalidClient);
  });

  it('accepts a form body whose Content-Type carries a charset', async () => {
    const c = await newClient();
    const res = await tokenRequest(
      t,
      { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret },
      { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    );
    expect(res.statusCode).toBe(200);
  });

  it('Basic credentials that are not valid percent-encoding are a client error, never a 500', async () => {
    const c = await newClient();
    const res = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: basic(c.clientId, '%E0%A4%A') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(problem('bad-request', 'Authorization must be Basic base64(client_id:client_secret)', '/oauth/token'));
  });

  it('answers 400 unsupported_grant_type for grant_type=password', async () => {
    const c = await newClient();
    const plain = await tokenRequest(t, { grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret });
    expect(plain.statusCode).toBe(400);
    expect(plain.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(plain.json()).toEqual(
      problem('bad-request', 'Only grant_type=client_credentials is supported', '/oauth/token', {
        error: 'unsupported_grant_type',
        error_description: 'Only grant_type=client_credentials is supported',
      }),
    );
  });
});

describe('rotating secrets and disabling clients', () => {
  it('rotate-secret needs If-Match (428)', async () => {
    const c = await newClient();
    const res = await admin.post(`/clients/${c.id}/rotate-secret`, undefined);
    expect(res.statusCode).toBe(428);
    expect(res.json()).toEqual(problem('precondition-required', 'Send If-Match with the ETag you read', `${BASE}/clients/${c.id}/rotate-secret`));
  });

  it('after rotation the old secret gets 401, the new one 200, and tokens issued before still work', async () => {
    const c = await newClient();
    const before = await clientToken(c);
    const res = await admin.post(`/clients/${c.id}/rotate-secret`, undefined, { 'if-match': c.etag });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const rotated = res.json();
    expect(rotated).toMatchObject({ id: c.id, clientId: c.clientId, disabled: false, clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(rotated.clientSecret).not.toBe(c.clientSecret);
    expect(Date.parse(rotated.secretRotatedAt)).toBeGreaterThanOrEqual(Date.parse(c.body.secretRotatedAt as string));
    expect(res.headers.etag).not.toBe(c.etag);

    const old = await tokenRequest(t, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    expect(old.statusCode).toBe(401);
    expect(old.json()).toEqual(invalidClient);
    const fresh = await tokenRequest(t, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: rotated.clientSecret });
    expect(fresh.statusCode).toBe(200);
    expect((await bearer(t, before, 'GET', BASE)).statusCode).toBe(200);

    const stale = await admin.post(`/clients/${c.id}/rotate-secret`, undefined, { 'if-match': c.etag });
    expect(stale.statusCode).toBe(412);
  });

  it('a disabled client gets no tokens (401); disabling twice is 409', async () => {
    const c = await newClient();
    const issued = await clientToken(c);
    const res = await admin.post(`/clients/${c.id}/disable`, undefined, { 'if-match': c.etag });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: c.id, disabled: true, disabledAt: expect.any(String) });
    const etag = res.headers.etag as string;

    const token = await tokenRequest(t, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    expect(token.statusCode).toBe(401);
    expect(token.json()).toEqual(invalidClient);
    // Documented: tokens already issued expire on their own.
    expect((await bearer(t, issued, 'GET', BASE)).statusCode).toBe(200);

    const again = await admin.post(`/clients/${c.id}/disable`, undefined, { 'if-match': etag });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual(problem('conflict', 'The client is disabled', `${BASE}/clients/${c.id}/disable`));
    const rotate = await admin.post(`/clients/${c.id}/rotate-secret`, undefined, { 'if-match': etag });
    expect(rotate.statusCode).toBe(409);
  });

  it('concurrent rotations with the same ETag: one wins, the others get 412, and the secret handed out works', async () => {
    const c = await newClient();
    // Every request reads the client (same row version) before any of them may write it.
    const answers = await behindRowLock(c.id, () =>
      Array.from({ length: 4 }, () => admin.post(`/clients/${c.id}/rotate-secret`, undefined, { 'if-match': c.etag })),
    );
    const secretsHandedOut = answers.filter((r) => r.statusCode === 200).map((r) => r.json().clientSecret as string);
    const working: string[] = [];
    for (const secret of secretsHandedOut) {
      const res = await tokenRequest(t, { grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret });
      if (res.statusCode === 200) working.push(secret);
    }
    expect({ statuses: answers.map((r) => r.statusCode).sort(), handedOut: secretsHandedOut.length, working: working.length }).toEqual({
      statuses: [200, 412, 412, 412],
      handedOut: 1,
      working: 1,
    });
  });

  it('a client of a town that has not joined yet (inactive tenant) gets no tokens', async () => {
    // Its admins cannot register clients (tenant-inactive): a client of such a town can only be left over, so write one as the owner.
    const refused = await t.injectAs('breckerfeld', ['tenant-admin'], {
      method: 'POST',
      url: '/v1/tenants/breckerfeld/clients',
      payload: { name: 'Vorab-Test', roles: ['clerk'] },
    });
    expect(refused.json()).toMatchObject({ status: 403, code: 'tenant-inactive' });
    const secret = 'ein-geheimnis-das-niemand-kennt-0123456789ab';
    const clientId = `breckerfeld-vorab-${Date.now()}`;
    await db.query(
      `INSERT INTO api_client (id, tenant_id, client_id, name, roles, secret_hash, created_by)
       SELECT gen_random_uuid(), id, $1, 'Vorab-Test', ARRAY['clerk'], $2, 'test' FROM tenant WHERE slug = 'breckerfeld'`,
      [clientId, await hashSecret(secret)],
    );
    const token = await tokenRequest(t, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
    expect(token.statusCode).toBe(401);
    expect(token.json()).toEqual(invalidClient);
  });

  it('the database stores only a scrypt hash of the secret', async () => {
    const c = await newClient();
    const { rows } = await db.query<{ secret_hash: string }>('SELECT secret_hash FROM api_client WHERE id = $1', [c.id]);
    expect(rows).toHaveLength(1);
    const stored = rows[0]!.secret_hash;
    expect(stored.startsWith('scrypt$')).toBe(true);
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(c.clientSecret);
    // No other column holds it either.
    const { rows: all } = await db.query('SELECT * FROM api_client WHERE id = $1', [c.id]);
    expect(JSON.stringify(all)).not.toContain(c.clientSecret);
  });
});

describe('signing-key rotation', () => {
  let rotatedApp: TestApp;
  let oldKeys: Awaited<ReturnType<typeof loadOrCreateSigningKeys>>;
  let oldKid: string;
  let newKid: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'en-akte-keys-'));
    const oldFile = path.join(dir, 'old.json');
    const newFile = path.join(dir, 'new.json');
    oldKeys = await loadOrCreateSigningKeys(oldFile);
    await loadOrCreateSigningKeys(newFile);
    const [oldKey] = (JSON.parse(await readFile(oldFile, 'utf8')) as { keys: JWK[] }).keys;
    const [newKey] = (JSON.parse(await readFile(newFile, 'utf8')) as { keys: JWK[] }).keys;
    oldKid = oldKey!.kid!;
    newKid = newKey!.kid!;
    // Rotation: the new key goes first (it signs), the old one stays to verify its tokens.
    const both = path.join(dir, 'rotated.json');
    await writeFile(both, JSON.stringify({ keys: [newKey, oldKey] }), { mode: 0o600 });
    // A database of its own, whose first start imports that key file into its signing_key table.
    rotatedApp = await buildTestApp({ ...(await isolatedDatabase('key_rotation')).env, AUTH_KEY_FILE: both });
  });
  afterAll(() => rotatedApp.close());

  it('a token signed with the old key still verifies; new tokens use the new key', async () => {
    const old = await oldKeys.sign({ sub: 'alice', tenant: 'wetter', roles: ['clerk'] }, { issuer: TEST_ISSUER, audience: 'en-akte', ttlSeconds: 300 });
    expect(decodeProtectedHeader(old).kid).toBe(oldKid);
    expect((await bearer(rotatedApp, old, 'GET', '/v1/tenants/wetter')).statusCode).toBe(200);

    const fresh = await rotatedApp.tokenFor('wetter', ['clerk']);
    expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
    expect((await bearer(rotatedApp, fresh, 'GET', '/v1/tenants/wetter')).statusCode).toBe(200);
  });

  it('the JWKS lists both keys, new first, without private parts', async () => {
    const res = await rotatedApp.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const { keys } = res.json() as { keys: JWK[] };
    expect(keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(k.d).toBeUndefined();
    }
  });

  it('a token of a key that was dropped from the file is rejected by an app without it', async () => {
    const old = await oldKeys.sign({ sub: 'alice', tenant: 'wetter', roles: ['clerk'] }, { issuer: TEST_ISSUER, audience: 'en-akte', ttlSeconds: 300 });
    const res = await bearer(t, old, 'GET', '/v1/tenants/wetter');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'invalid-token', detail: 'The token is signed with an unknown key' });
  });
});

describe('tokens of an external IdP (Keycloak)', () => {
  const KC_ISSUER = 'https://keycloak.example/realms/en';
  let idp: TestApp;
  let server: Server;
  let jwksRequests = 0;
  let kcKey: CryptoKey;
  const kcKid = 'kc-rs256-1';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    kcKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: kcKid, alg: 'RS256', use: 'sig' };
    // A second, unrelated key in the set, as Keycloak publishes several (e.g. an encryption key).
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const jwks = JSON.stringify({ keys: [publicJwk, { ...other, kid: 'kc-enc-1', use: 'enc', alg: 'ECDH-ES' }] });
    server = createServer((req, res) => {
      if (req.url === '/jwks') {
        jwksRequests++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    idp = await buildTestApp({
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks`,
      AUTH_ISSUER: KC_ISSUER,
      AUTH_TENANT_CLAIM: 'en_akte.tenant',
      AUTH_ROLES_CLAIM: 'realm_access.roles',
    });
  });
  afterAll(async () => {
    await idp.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function kcToken(opts: { roles?: string[]; tenant?: string; iss?: string; key?: CryptoKey; kid?: string; sub?: string } = {}) {
    return new SignJWT({
      en_akte: { tenant: opts.tenant ?? 'wetter' },
      realm_access: { roles: opts.roles ?? ['clerk'] },
      azp: 'fachverfahren',
      typ: 'Bearer',
    })
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? kcKid, typ: 'JWT' })
      .setSubject(opts.sub ?? 'service-account-fachverfahren')
      .setIssuer(opts.iss ?? KC_ISSUER)
      .setAudience('en-akte')
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime('5m')
      .sign(opts.key ?? kcKey);
  }

  it('accepts an IdP token with tenant and roles from the configured claims', async () => {
    const res = await bearer(idp, await kcToken(), 'GET', '/v1/tenants/wetter');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ slug: 'wetter' });
    // The tenant claim decides: another town's path is 404.
    expect((await bearer(idp, await kcToken(), 'GET', '/v1/tenants/witten')).statusCode).toBe(404);
  });

  it('a Keycloak service account acts as client:<azp>', async () => {
    const token = await kcToken({ roles: ['records-manager', 'offline_access', 'uma_authorization'] });
    const code = `K${randomUUID().replace(/-/g, '').slice(0, 7)}`;
    const unit = await bearer(idp, token, 'POST', '/v1/tenants/wetter/file-plan/units', { code, title: 'IdP', retentionYears: 5, disposal: 'B' });
    expect(unit.statusCode, unit.body).toBe(201);
    const file = await bearer(idp, token, 'POST', '/v1/tenants/wetter/files', { planCode: code, title: 'aus dem Fachverfahren' });
    expect(file.statusCode, file.body).toBe(201);
    expect(file.json().createdBy).toBe('client:fachverfahren');
  });

  it("the service's own tokens still work beside the IdP's", async () => {
    const res = await bearer(idp, await idp.tokenFor('wetter', ['clerk']), 'GET', '/v1/tenants/wetter');
    expect(res.statusCode).toBe(200);
  });

  it('an IdP-signed token with another issuer is 401', async () => {
    const res = await bearer(idp, await kcToken({ iss: 'https://keycloak.example/realms/other' }), 'GET', '/v1/tenants/wetter');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(
      problem('invalid-token', 'The token was issued by an issuer this service does not trust', '/v1/tenants/wetter'),
    );
  });

  it('an IdP token without the configured tenant claim is 401, even with a top-level `tenant`', async () => {
    const token = await new SignJWT({ tenant: 'wetter', realm_access: { roles: ['clerk'] } })
      .setProtectedHeader({ alg: 'RS256', kid: kcKid })
      .setSubject('someone')
      .setIssuer(KC_ISSUER)
      .setAudience('en-akte')
      .setExpirationTime('5m')
      .sign(kcKey);
    const res = await bearer(idp, token, 'GET', '/v1/tenants/wetter');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(problem('invalid-token', "The token has no valid 'tenant' claim", '/v1/tenants/wetter'));
  });

  it('a token with the IdP issuer but a foreign key is 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const res = await bearer(idp, await kcToken({ key: privateKey }), 'GET', '/v1/tenants/wetter');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'invalid-token', detail: 'The token signature is not valid' });
  });

  it('a burst of 30 tokens with unknown key ids causes at most one JWKS fetch', async () => {
    // Make sure the key set has been fetched once (the earlier tests did; this keeps the test standalone).
    expect((await bearer(idp, await kcToken(), 'GET', '/v1/tenants/wetter')).statusCode).toBe(200);
    const { privateKey } = await generateKeyPair('RS256');
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => kcToken({ key: privateKey, kid: `rotated-away-${i}-${randomUUID()}` })));
    const before = jwksRequests;
    const answers = await Promise.all(tokens.map((tok) => bearer(idp, tok, 'GET', '/v1/tenants/wetter')));
    const after = jwksRequests;
    expect(after - before).toBeLessThanOrEqual(1);
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'invalid-token', detail: 'The token is signed with an unknown key' });
    }
    // Known keys keep working without a new fetch.
    expect((await bearer(idp, await kcToken(), 'GET', '/v1/tenants/wetter')).statusCode).toBe(200);
    expect(jwksRequests).toBe(after);
  });

  it('a burst of unknown key ids against a key set never fetched yet shares one fetch', async () => {
    const fresh = await buildTestApp({
      AUTH_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
      AUTH_ISSUER: KC_ISSUER,
      AUTH_TENANT_CLAIM: 'en_akte.tenant',
      AUTH_ROLES_CLAIM: 'realm_access.roles',
    });
    try {
      const { privateKey } = await generateKeyPair('RS256');
      const tokens = await Promise.all(Array.from({ length: 30 }, () => kcToken({ key: privateKey, kid: `unknown-${randomUUID()}` })));
      const before = jwksRequests;
      const answers = await Promise.all(tokens.map((tok) => bearer(fresh, tok, 'GET', '/v1/tenants/wetter')));
      expect(jwksRequests - before).toBeLessThanOrEqual(1);
      expect(answers.map((r) => r.statusCode)).toEqual(Array.from({ length: 30 }, () => 401));
      expect((await bearer(fresh, await kcToken(), 'GET', '/v1/tenants/wetter')).statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});
