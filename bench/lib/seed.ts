// Large data sets for the read scenarios, written with SQL as the database owner (the bench
// server's DATABASE_URL is the superuser; the API itself connects as en_akte_app under RLS).
// Files are spread round-robin over the active towns and the district, so each tenant's rows are
// interleaved in id (UUIDv7, i.e. creation) order, as when all towns work at the same time.
import pg from 'pg';
import { encodeCursor } from '../../src/lib/cursor.js';

/** Tenants that hold seeded files: the seven active towns and the district. */
export const SEED_TENANTS = ['witten', 'hattingen', 'sprockhoevel', 'gevelsberg', 'herdecke', 'schwelm', 'wetter', 'en-kreis'];
const UNIT_CODE = 'BSEED';
const BATCH = 250_000;

export interface Seeder {
  /** Bench-seeded files now in the database. */
  count(): Promise<number>;
  /** Inserts files until `total` bench-seeded files exist (all tenants together), then VACUUM ANALYZE + CHECKPOINT. */
  growTo(total: number, log?: (line: string) => void): Promise<{ inserted: number; seconds: number }>;
  /** Seeded files of one tenant. */
  tenantCount(tenantId: string): Promise<number>;
  /** Up to `n` random ids of a tenant's seeded files. */
  sampleIds(tenantId: string, n: number): Promise<string[]>;
  /** The cursor (as the API encodes it) whose page starts after the `depth`-th file of the tenant in list order. */
  cursorAt(tenantId: string, depth: number): Promise<string>;
  end(): Promise<void>;
}

export async function createSeeder(ownerUrl: string): Promise<Seeder> {
  const db = new pg.Client({ connectionString: ownerUrl });
  await db.connect();

  const units = async () => {
    await db.query(
      `INSERT INTO file_plan_unit (id, tenant_id, code, title, disposal, retention_years, created_by)
       SELECT uuidv7(), t.id, $1, 'Bench seed', 'B', 10, 'bench' FROM tenant t WHERE t.slug = ANY($2)
       ON CONFLICT (tenant_id, code) DO NOTHING`,
      [UNIT_CODE, SEED_TENANTS],
    );
    const res = await db.query<{ tenant_id: string; unit_id: string }>(
      `SELECT u.tenant_id, u.id AS unit_id FROM file_plan_unit u JOIN tenant t ON t.id = u.tenant_id
       WHERE u.code = $1 ORDER BY array_position($2::text[], t.slug::text)`,
      [UNIT_CODE, SEED_TENANTS],
    );
    return res.rows;
  };

  const seeder: Seeder = {
    async count() {
      return Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM record_file WHERE created_by = 'bench-seed'`)).rows[0]!.n);
    },

    async growTo(total, log = () => undefined) {
      const started = performance.now();
      const have = await seeder.count();
      if (have >= total) return { inserted: 0, seconds: 0 };
      const unitRows = await units();
      const tenants = unitRows.map((u) => u.tenant_id);
      const unitIds = unitRows.map((u) => u.unit_id);
      for (let from = have + 1; from <= total; from += BATCH) {
        const to = Math.min(total, from + BATCH - 1);
        const t0 = performance.now();
        // uuidv7() is monotonic within a session, so ids follow g and tenants interleave in id order.
        await db.query(
          `INSERT INTO record_file (id, tenant_id, plan_unit_id, reference, title, description, confidentiality, lead_org_unit, metadata, created_by)
           SELECT uuidv7(), ($3::uuid[])[1 + g % $5], ($4::uuid[])[1 + g % $5],
                  'BENCH-' || lpad(g::text, 8, '0') || '/2026', 'Bench file ' || g || ' Gewerbeanmeldung',
                  CASE WHEN g % 3 = 0 THEN 'Seeded for the read benchmarks' END, '003', 'FB 32 Ordnung',
                  jsonb_build_object('n', g, 'source', 'bench'), 'bench-seed'
           FROM generate_series($1::int, $2::int) AS g`,
          [from, to, tenants, unitIds, tenants.length],
        );
        log(`seeded files ${from}…${to} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      // Hint bits, visibility map and statistics now, and the checkpoint the bulk insert owes, so
      // neither lands in the middle of a measurement.
      const t1 = performance.now();
      await db.query('VACUUM (ANALYZE) record_file');
      await db.query('CHECKPOINT');
      log(`vacuum analyze + checkpoint in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      return { inserted: total - have, seconds: (performance.now() - started) / 1000 };
    },

    async tenantCount(tenantId) {
      return Number(
        (await db.query<{ n: string }>(`SELECT count(*) AS n FROM record_file WHERE tenant_id = $1 AND created_by = 'bench-seed'`, [tenantId]))
          .rows[0]!.n,
      );
    },

    async sampleIds(tenantId, n) {
      const res = await db.query<{ id: string }>(
        `SELECT id FROM record_file WHERE tenant_id = $1 AND created_by = 'bench-seed' ORDER BY random() LIMIT $2`,
        [tenantId, n],
      );
      return res.rows.map((r) => r.id);
    },

    async cursorAt(tenantId, depth) {
      const res = await db.query<{ id: string }>(`SELECT id FROM record_file WHERE tenant_id = $1 ORDER BY id OFFSET $2 LIMIT 1`, [
        tenantId,
        depth - 1,
      ]);
      if (!res.rows[0]) throw new Error(`the tenant has fewer than ${depth} files`);
      return encodeCursor({ after: res.rows[0].id });
    },

    end: () => db.end(),
  };
  return seeder;
}
