import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadOrCreateDataKey } from '../../src/auth/data-key.js';
import { rotateSharedSigningKeys } from '../../src/auth/keys.js';
import { describeDatabase } from '../../src/bootstrap.js';
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

describe('npm run token where the server keeps no signing key', () => {
  const mint = (env: NodeJS.ProcessEnv, ...extra: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/token.ts', '--tenant', TOWN, '--roles', 'reader', ...extra], { env, encoding: 'utf8', timeout: 60_000 });
  /** The script's own last line on stderr (node may warn before it). */
  const said = (stderr: string) => stderr.trim().split('\n').at(-1);
  const POINT = "Point DATABASE_URL at the server's database (or DATA_DIR at the server's data directory, for its embedded PostgreSQL)";
  const keysIn = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<{ kid: string }>('SELECT kid FROM signing_key')).rows.map((r) => r.kid);
    } finally {
      await c.end();
    }
  };

  it('a fresh DATA_DIR without DATABASE_URL: exit 1 naming DATA_DIR, and no PostgreSQL, data key or signing key made there', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...testEnv({ LOG_LEVEL: 'warn' }) };
    for (const name of ['DATABASE_URL', 'DATABASE_OWNER_URL', 'SECRETS_KEY_FILE', 'AUTH_KEY_FILE']) delete env[name];
    const dataDir = env.DATA_DIR!;
    const run = mint(env);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(said(run.stderr)).toBe(
      `npm run token: DATABASE_URL is not set and DATA_DIR=${dataDir} holds no embedded PostgreSQL (no ${path.join(dataDir, 'postgres')}.secret.json), ` +
        `so there is no signing key to mint with. ${POINT}, or pass --create-key to start one there with a new key (only a server using that DATA_DIR will accept its tokens).`,
    );
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('a database whose signing_key is empty: exit 1 naming it, nothing made; --create-key makes the one key it then signs with', async () => {
    const empty = await isolatedDatabase('token_no_key');
    const env = { ...process.env, ...testEnv({ ...empty.env, AUTH_KEY_FILE: noKeyFile(), LOG_LEVEL: 'warn' }) };
    const run = mint(env);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(said(run.stderr)).toBe(
      `npm run token: the database ${describeDatabase(empty.url)} holds no signing key (table signing_key is empty), so it is not the database ` +
        `a server signs with: a key made here would be one no server knows. ${POINT}, or pass --create-key to create a key there anyway.`,
    );
    expect(said(run.stderr)).not.toContain(new URL(empty.url).password);
    expect(await keysIn(empty.ownerUrl)).toEqual([]);

    const created = mint(env, '--create-key');
    expect(created.status, created.stderr).toBe(0);
    const kids = await keysIn(empty.ownerUrl);
    expect(kids).toHaveLength(1);
    expect(decodeProtectedHeader(created.stdout.trim()).kid).toBe(kids[0]);
  });

  it('a database without the EN-Akte schema: exit 1 naming it, even with --create-key', async () => {
    const base = new URL(inject('ownerUrl'));
    const name = `en_akte_bare_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`).finally(() => admin.end());
    base.pathname = `/${name}`;
    const env = { ...process.env, ...testEnv({ DATABASE_URL: base.toString(), DATABASE_OWNER_URL: base.toString(), LOG_LEVEL: 'warn' }) };
    for (const run of [mint(env), mint(env, '--create-key')]) {
      expect(run.status, run.stderr).toBe(1);
      expect(said(run.stderr)).toBe(
        `npm run token: the database ${describeDatabase(base.toString())} has no table signing_key (no EN-Akte schema), so it is not the database ` +
          `a server signs with: a key made here would be one no server knows. ${POINT}.`,
      );
    }
  });
});
