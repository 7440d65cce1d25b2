import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { migrate } from '../../src/db/migrate.js';
import { startTestPostgres, type TestDatabase } from '../support/postgres.js';
import { startServer } from '../support/server-process.js';

/**
 * deploy/postgres/init, as the postgres image runs it on a fresh volume (psql as POSTGRES_USER),
 * against a real, empty PostgreSQL; then the service starts on the two logins compose gives it.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const script = path.join(root, 'deploy', 'postgres', 'init', '10-en-akte-roles.sh');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<'api' | 'postgres', { environment: Record<string, string> }>;
};
/** `${VAR:-default}` as compose resolves it with VAR unset. */
const resolve = (value: string) => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

describe('compose: the PostgreSQL init script', () => {
  let cluster: TestDatabase;
  let superuser: URL;
  const at = (url: string) => {
    // compose's URL (host `postgres`), pointed at this test's cluster.
    const u = new URL(resolve(url));
    u.host = superuser.host;
    return u.toString();
  };
  const runScript = (env: Record<string, string>) =>
    spawnSync('sh', [script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        PGHOST: superuser.hostname,
        PGPORT: superuser.port,
        PGPASSWORD: decodeURIComponent(superuser.password),
        POSTGRES_USER: decodeURIComponent(superuser.username),
        POSTGRES_DB: 'en_akte',
        ...env,
      },
    });

  beforeAll(async () => {
    expect(spawnSync('psql', ['--version']).status, 'psql (Debian: postgresql-client) must be installed; .ci/run installs it').toBe(0);
    cluster = await startTestPostgres();
    superuser = new URL(cluster.url);
  });
  afterAll(() => cluster?.stop());

  it('refuses to run without the two passwords', () => {
    const result = runScript({ EN_AKTE_OWNER_PASSWORD: 'x' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('EN_AKTE_API_PASSWORD');
  });

  it('creates an owner and an API login the service starts on, and the API login cannot become the owner', async () => {
    const pgEnv = compose.services.postgres.environment;
    const result = runScript({ EN_AKTE_OWNER_PASSWORD: resolve(pgEnv.EN_AKTE_OWNER_PASSWORD!), EN_AKTE_API_PASSWORD: resolve(pgEnv.EN_AKTE_API_PASSWORD!) });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);

    const api = compose.services.api.environment;
    const owner = new pg.Client({ connectionString: at(api.DATABASE_OWNER_URL!) });
    await owner.connect();
    const roles = await owner.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }>(
      "SELECT rolname, rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname LIKE 'en_akte%' ORDER BY rolname",
    );
    expect(roles.rows).toEqual([
      { rolname: 'en_akte_api', rolsuper: false, rolbypassrls: false, rolcanlogin: true },
      { rolname: 'en_akte_app', rolsuper: false, rolbypassrls: false, rolcanlogin: false },
      { rolname: 'en_akte_owner', rolsuper: false, rolbypassrls: false, rolcanlogin: true },
    ]);
    // What only a superuser may do is done: the search operators may use their indexes under RLS.
    const leakproof = await owner.query<{ proname: string; proleakproof: boolean }>(
      "SELECT proname, proleakproof FROM pg_proc WHERE proname IN ('ts_match_vq', 'word_similarity_op', 'word_similarity_commutator_op') ORDER BY proname",
    );
    expect(leakproof.rows).toEqual([
      { proname: 'ts_match_vq', proleakproof: true },
      { proname: 'word_similarity_commutator_op', proleakproof: true },
      { proname: 'word_similarity_op', proleakproof: true },
    ]);
    await owner.end();

    // The service migrates as the (non-superuser) owner and serves on the API login, as in compose.
    const server = await startServer({ DATABASE_URL: at(api.DATABASE_URL!), DATABASE_OWNER_URL: at(api.DATABASE_OWNER_URL!) });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect(server.output()).toContain('migrations applied');
      expect(server.output()).not.toContain('no superuser');
    } finally {
      await server.kill('SIGTERM');
    }

    const apiLogin = new pg.Client({ connectionString: at(api.DATABASE_URL!) });
    await apiLogin.connect();
    try {
      const tables = await publicTables(apiLogin);
      expect(tables).toContain('record_file');
      for (const sql of ['SET ROLE en_akte_owner', `SET ROLE ${decodeURIComponent(superuser.username)}`, 'ALTER TABLE record_file DISABLE ROW LEVEL SECURITY', 'TRUNCATE audit_event', 'DROP TABLE record_file']) {
        await expect(apiLogin.query(sql), sql).rejects.toThrow(/permission denied|must be owner/);
      }
    } finally {
      await apiLogin.end();
    }
  });

  it('without the init script, a migration as a non-superuser owner warns what a superuser must do', async () => {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE en_akte_plain OWNER en_akte_owner');
    await admin.end();
    const url = new URL(at(compose.services.api.environment.DATABASE_OWNER_URL!));
    url.pathname = '/en_akte_plain';
    const result = await migrate(url.toString());
    expect(result.applied.length).toBeGreaterThan(0);
    expect(result.warnings).toEqual([expect.stringMatching(/^EN-Akte search: en_akte_owner is no superuser, .* ALTER FUNCTION ts_match_vq\(tsvector, tsquery\) LEAKPROOF;/)]);
  });

  it('a superuser as DATABASE_URL keeps the service from starting', async () => {
    const err = await startServer({ DATABASE_URL: cluster.url, DATABASE_OWNER_URL: cluster.url }).then(
      (s) => s.kill('SIGTERM').then(() => null),
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/DATABASE_URL logs in as postgres, which is a superuser/);
  });
});

/** Tables of the public schema, with their owner (seen from any login). */
async function publicTables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ tablename: string; tableowner: string }>("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'");
  expect(new Set(rows.map((r) => r.tableowner))).toEqual(new Set(['en_akte_owner']));
  return rows.map((r) => r.tablename);
}
