import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_ROLE, createDb, type Db } from '../../src/db/client.js';
import { createTenantTx } from '../../src/db/tenant-tx.js';

let owner: pg.Client;
let app: Db;
let witten: string;
let hattingen: string;

beforeAll(async () => {
  owner = new pg.Client({ connectionString: inject('databaseUrl') });
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

  it('the API pool works as that role', async () => {
    const rows = await app.$queryRaw<{ current_user: string }[]>`SELECT current_user`;
    expect(rows[0]!.current_user).toBe(APP_ROLE);
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

  it('the API role cannot change or delete stored versions or read nothing but SELECT on tenants', async () => {
    const tx = createTenantTx(app);
    await expect(tx(witten, (t) => t.$executeRaw`UPDATE document_version SET filename = 'x'`)).rejects.toThrow(/permission denied/);
    await expect(tx(witten, (t) => t.$executeRaw`DELETE FROM document_version`)).rejects.toThrow(/permission denied/);
    await expect(app.$executeRaw`UPDATE tenant SET name = 'x'`).rejects.toThrow(/permission denied/);
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
