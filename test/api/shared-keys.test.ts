import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadOrCreateDataKey } from '../../src/auth/data-key.js';
import { rotateSharedSigningKeys } from '../../src/auth/keys.js';
import { buildTestApp, testEnv, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';

/**
 * Signing keys live in PostgreSQL (table signing_key), sealed with the data key: two instances
 * without any key file sign and verify with the same key, `npm run token` mints with it, and a
 * rotation reaches both without a restart.
 */
const TOWN = 'witten';
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let a: TestApp;
let b: TestApp;
let sql: pg.Client;
const noKeyFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'en-akte-nokey-')), 'signing-key.json');
const files = [noKeyFile(), noKeyFile()];

const status = (t: TestApp, token: string) => t.app.inject({ method: 'GET', url: `/v1/tenants/${TOWN}`, headers: { authorization: `Bearer ${token}` } }).then((r) => r.statusCode);

beforeAll(async () => {
  db = await isolatedDatabase('shared_keys');
  a = await buildTestApp({ ...db.env, AUTH_KEY_FILE: files[0]! });
  b = await buildTestApp({ ...db.env, AUTH_KEY_FILE: files[1]! });
  sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await sql?.end();
});

describe('signing keys shared through PostgreSQL', () => {
  it('two instances without a key file sign and verify with one key; the private key is sealed', async () => {
    expect(files.map((f) => existsSync(f))).toEqual([false, false]);
    const { rows } = await sql.query<{ kid: string; private_sealed: string }>('SELECT kid, private_sealed FROM signing_key');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.private_sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    const fromA = await a.tokenFor(TOWN, ['clerk']);
    const fromB = await b.tokenFor(TOWN, ['clerk']);
    expect([decodeProtectedHeader(fromA).kid, decodeProtectedHeader(fromB).kid]).toEqual([rows[0]!.kid, rows[0]!.kid]);
    expect([await status(a, fromB), await status(b, fromA)]).toEqual([200, 200]);
  });

  it('npm run token mints with the same key, from another DATA_DIR', async () => {
    const env = { ...process.env, ...testEnv({ ...db.env, AUTH_KEY_FILE: noKeyFile(), LOG_LEVEL: 'warn' }) };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/token.ts', '--tenant', TOWN, '--roles', 'reader'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const token = run.stdout.trim();
    expect(decodeProtectedHeader(token).kid).toBe((await sql.query<{ kid: string }>('SELECT kid FROM signing_key')).rows[0]!.kid);
    expect([await status(a, token), await status(b, token)]).toEqual([200, 200]);
  });

  it('a rotation reaches every instance without a restart; old tokens keep verifying', async () => {
    const old = await a.tokenFor(TOWN, ['clerk']);
    const dataKey = await loadOrCreateDataKey(inject('keys').data);
    const { kid } = await rotateSharedSigningKeys({ databaseUrl: db.url, ownerUrl: db.ownerUrl, dataKey });
    // A token of the new key (as keys:rotate then npm run token make it): B has not reloaded yet,
    // meets an unknown kid, looks again and accepts it; from then on B signs with the new key.
    const env = { ...process.env, ...testEnv({ ...db.env, AUTH_KEY_FILE: noKeyFile(), LOG_LEVEL: 'warn' }) };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/token.ts', '--tenant', TOWN, '--roles', 'reader'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const fresh = run.stdout.trim();
    expect(decodeProtectedHeader(fresh).kid).toBe(kid);
    expect(await status(b, fresh)).toBe(200);
    expect(decodeProtectedHeader(await b.tokenFor(TOWN, ['clerk'])).kid).toBe(kid);
    expect(await status(a, fresh)).toBe(200);
    expect(decodeProtectedHeader(await a.tokenFor(TOWN, ['clerk'])).kid).toBe(kid);
    expect([await status(a, old), await status(b, old)]).toEqual([200, 200]);
    const jwks = await Promise.all([a, b].map(async (t) => (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] }));
    expect(jwks.map((j) => j.keys.map((k) => k.kid))).toEqual([[kid, decodeProtectedHeader(old).kid], [kid, decodeProtectedHeader(old).kid]]);
  });
});
