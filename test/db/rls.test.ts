import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_LOGIN, APP_ROLE, createDb, type Db } from '../../src/db/client.js';
import { assertSafeApiLogin, UnsafeLoginError } from '../../src/db/logins.js';
import { createTenantTx } from '../../src/db/tenant-tx.js';

let owner: pg.Client;
let app: Db;
let witten: string;
let hattingen: string;

beforeAll(async () => {
  owner = new pg.Client({ connectionString: inject('ownerUrl') });
  await owner.connect();
  app = createDb(inject('databaseUrl'), 4);
  const ids = await owner.query<{ slug: string; id: string }>(`SELECT slug, id FROM tenant WHERE slug IN ('witten', 'hattingen')`);
  witten = ids.rows.find((r) => r.slug === 'witten')!.id;
  hattingen = ids.rows.find((r) => r.slug === 'hattingen')!.id;
});
afterAll(async () => {
  await owner.end();
  await app.$disconnect();
});

/** A file-plan unit written by the owner (who is not bound by RLS) for `tenantId`. */
async function ownerUnit(tenantId: string) {
  const id = uuidv7();
  await owner.query(
    `INSERT INTO file_plan_unit (id, tenant_id, code, title, disposal, created_by) VALUES ($1, $2, $3, 'RLS', 'A', 'rls-test')`,
    [id, tenantId, `R${id.slice(-7)}`],
  );
  return id;
}

describe('row-level security, the second wall', () => {
  it('is enabled and forced, with a policy, on every table that has a tenant_id', async () => {
    const { rows } = await owner.query<{ table: string; rls: boolean; forced: boolean; policies: string }>(`
      SELECT c.relname AS table, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
             (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::text AS policies
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r'
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      ORDER BY 1`);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const r of rows) expect({ table: r.table, rls: r.rls, forced: r.forced, hasPolicy: Number(r.policies) > 0 }).toEqual({ table: r.table, rls: true, forced: true, hasPolicy: true });
  });

  it('the API role owns no table and can bypass nothing', async () => {
    const role = await owner.query(`SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1`, [APP_ROLE]);
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = await owner.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [APP_ROLE]);
    expect(owned.rows).toEqual([]);
  });

  it("the API pool logs in as its own login, a member of that role and nothing else", async () => {
    const rows = await app.$queryRaw<{ user: string; session: string }[]>`SELECT current_user AS user, session_user AS session`;
    expect(rows[0]).toEqual({ user: API_LOGIN, session: API_LOGIN });
    const login = await owner.query(
      `SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
              array(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of
       FROM pg_roles r WHERE r.rolname = $1`,
      [API_LOGIN],
    );
    expect(login.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true, member_of: [APP_ROLE] });
    await expect(assertSafeApiLogin((sql) => app.$queryRawUnsafe(sql))).resolves.toBeUndefined();
  });

  it('the start-up check refuses the owner as the API login', async () => {
    const ownerDb = createDb(inject('ownerUrl'), 1);
    try {
      const err = await assertSafeApiLogin((sql) => ownerDb.$queryRawUnsafe(sql)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsafeLoginError);
      expect((err as Error).message).toMatch(/^DATABASE_URL logs in as postgres, which is a superuser, has BYPASSRLS, owns tables, can act as the owner of the tables\. /);
    } finally {
      await ownerDb.$disconnect();
    }
  });

  it('without the tenant setting a query sees nothing, although rows exist', async () => {
    await ownerUnit(witten);
    const total = await owner.query(`SELECT count(*)::int AS n FROM file_plan_unit`);
    expect(total.rows[0].n).toBeGreaterThan(0);
    const seen = await app.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM file_plan_unit`;
    expect(seen[0]!.n).toBe(0);
  });

  it("with the tenant setting a query sees only that tenant's rows", async () => {
    const mine = await ownerUnit(witten);
    const theirs = await ownerUnit(hattingen);
    const tx = createTenantTx(app);
    const ids = await tx(witten, (t) => t.filePlanUnit.findMany({ where: { id: { in: [mine, theirs] } }, select: { id: true } }));
    expect(ids).toEqual([{ id: mine }]);
    const all = await tx(witten, (t) => t.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM file_plan_unit WHERE tenant_id <> ${witten}::uuid`);
    expect(all[0]!.n).toBe(0);
  });

  it("refuses to write a row for another tenant (WITH CHECK), and the setting ends with the transaction", async () => {
    const tx = createTenantTx(app);
    await expect(
      tx(witten, (t) =>
        t.$executeRaw`INSERT INTO file_plan_unit (id, tenant_id, code, title, disposal, created_by)
                      VALUES (${uuidv7()}::uuid, ${hattingen}::uuid, 'X1', 'x', 'A', 'rls-test')`,
      ),
    ).rejects.toThrow(/row-level security/);
    const after = await app.$queryRaw<{ setting: string | null }[]>`SELECT current_setting('app.tenant_id', true) AS setting`;
    expect([null, '']).toContain(after[0]!.setting);
  });

  it('the API role cannot change stored versions, delete any outside a destroyed file, or change tenants but its own settings', async () => {
    const tx = createTenantTx(app);
    await expect(tx(witten, (t) => t.$executeRaw`UPDATE document_version SET filename = 'x'`)).rejects.toThrow(/permission denied/);
    // Deletes reach only versions, documents and cases under a destroyed file (records lifecycle).
    expect(await tx(witten, (t) => t.$executeRaw`DELETE FROM document_version`)).toBe(0);
    expect(await tx(witten, (t) => t.$executeRaw`DELETE FROM record_case`)).toBe(0);
    await expect(tx(witten, (t) => t.$executeRaw`DELETE FROM record_file`)).rejects.toThrow(/permission denied/);
    await expect(app.$executeRaw`UPDATE tenant SET name = 'x'`).rejects.toThrow(/permission denied/);
    // Its own settings only: another tenant's row is invisible to the update.
    expect(await tx(witten, (t) => t.$executeRaw`UPDATE tenant SET worm_mode = 'COMPLIANCE' WHERE id = ${hattingen}::uuid`)).toBe(0);
    expect(await tx(witten, (t) => t.$executeRaw`UPDATE tenant SET worm_mode = worm_mode WHERE id = ${witten}::uuid`)).toBe(1);
  });
});

describe("no way around row-level security from the API's connection", () => {
  /** One connection of the API login, as the pool would hand it out. */
  async function session<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: inject('databaseUrl') });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
  const refused = (c: pg.Client, sql: string) => c.query(sql).then(() => 'allowed', (e: Error) => e.message);

  it('RESET ROLE leaves it the API login: still no rows without the tenant setting', async () => {
    await ownerUnit(witten);
    await session(async (c) => {
      await c.query('RESET ROLE');
      expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(API_LOGIN);
      expect((await c.query('SELECT count(*)::int AS n FROM file_plan_unit')).rows[0].n).toBe(0);
      await c.query('SET ROLE NONE');
      expect((await c.query('SELECT count(*)::int AS n FROM audit_event')).rows[0].n).toBe(0);
    });
  });

  it('SET ROLE to the owner, ALTER TABLE … DISABLE ROW LEVEL SECURITY, TRUNCATE, DROP and UPDATE of audit rows all fail', async () => {
    const tableOwner = (await owner.query(`SELECT pg_get_userbyid(relowner) AS o FROM pg_class WHERE oid = 'public.audit_event'::regclass`)).rows[0].o as string;
    await session(async (c) => {
      expect(await refused(c, `SET ROLE "${tableOwner}"`)).toBe(`permission denied to set role "${tableOwner}"`);
      expect(await refused(c, 'SET SESSION AUTHORIZATION postgres')).toBe('permission denied to set session authorization "postgres"');
      expect(await refused(c, 'ALTER TABLE record_file DISABLE ROW LEVEL SECURITY')).toBe('must be owner of table record_file');
      expect(await refused(c, 'ALTER TABLE audit_event NO FORCE ROW LEVEL SECURITY')).toBe('must be owner of table audit_event');
      expect(await refused(c, 'DROP POLICY tenant_isolation ON record_file')).toBe('must be owner of relation record_file');
      expect(await refused(c, 'TRUNCATE audit_event')).toBe('permission denied for table audit_event');
      expect(await refused(c, 'TRUNCATE record_file')).toBe('permission denied for table record_file');
      expect(await refused(c, 'DROP TABLE audit_event')).toBe('must be owner of table audit_event');
      expect(await refused(c, 'DROP SCHEMA public CASCADE')).toBe('must be owner of schema public');
      expect(await refused(c, 'CREATE TABLE escape (x int)')).toBe('permission denied for schema public');
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [witten]);
      expect(await refused(c, `UPDATE audit_event SET action = 'forged'`)).toBe('permission denied for table audit_event');
      await c.query('ROLLBACK');
      expect(await refused(c, `GRANT ${APP_ROLE} TO ${API_LOGIN}`)).toMatch(/^permission denied to grant role|must have admin option on role/);
      expect(await refused(c, `ALTER ROLE ${API_LOGIN} BYPASSRLS`)).toMatch(/^permission denied to alter role/);
    });
  });
});

describe('driver adapter regression (prisma/prisma#30374)', () => {
  it('after a database error inside a transaction, later queries on the same pool get their own results', async () => {
    const tx = createTenantTx(app);
    const unit = await ownerUnit(witten);
    const code = (await owner.query(`SELECT code FROM file_plan_unit WHERE id = $1`, [unit])).rows[0].code;
    for (let round = 0; round < 3; round++) {
      await expect(
        tx(witten, (t) =>
          t.$executeRaw`INSERT INTO file_plan_unit (id, tenant_id, code, title, disposal, created_by)
                        VALUES (${uuidv7()}::uuid, ${witten}::uuid, ${code}, 'dup', 'A', 'rls-test')`,
        ),
      ).rejects.toThrow();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => app.$queryRaw<{ n: number }[]>`SELECT ${i}::int AS n`.then((r) => r[0]!.n)),
      );
      expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i));
      const inTx = await Promise.all(
        Array.from({ length: 10 }, (_, i) => tx(witten, (t) => t.$queryRaw<{ n: number }[]>`SELECT ${i}::int AS n`).then((r) => r[0]!.n)),
      );
      expect(inTx).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
  });
});
