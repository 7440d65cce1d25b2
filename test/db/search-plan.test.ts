import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP_ROLE } from '../../src/db/client.js';
import { PLANNER } from '../../src/modules/search/repo.js';

/**
 * Under row-level security, PostgreSQL uses a qualifier in an index scan only when it is LEAKPROOF.
 * The search migration declares the text match operators so: a search for a word is answered by
 * the GIN index on (tenant_id, tsv), never by reading every entry of the tenant.
 */
let owner: pg.Client;
let tenantId: string;
beforeAll(async () => {
  owner = new pg.Client({ connectionString: inject('ownerUrl') });
  await owner.connect();
  tenantId = (await owner.query<{ id: string }>(`SELECT id FROM tenant WHERE slug = 'schwelm'`)).rows[0]!.id;
});
afterAll(() => owner.end());

describe('search under row-level security', () => {
  it('the match operators are LEAKPROOF', async () => {
    const { rows } = await owner.query<{ proname: string; proleakproof: boolean }>(
      `SELECT proname, proleakproof FROM pg_proc WHERE proname IN ('ts_match_vq', 'word_similarity_op', 'word_similarity_commutator_op') ORDER BY proname`,
    );
    expect(rows).toEqual([
      { proname: 'ts_match_vq', proleakproof: true },
      { proname: 'word_similarity_commutator_op', proleakproof: true },
      { proname: 'word_similarity_op', proleakproof: true },
    ]);
  });

  it('a word is looked up in the GIN index together with the tenant, as the API role', async () => {
    await owner.query('BEGIN');
    try {
      // A tenant with 5 000 entries (undone at the end), one of which has the word.
      const unit = (await owner.query<{ id: string }>(
        `INSERT INTO file_plan_unit (id, tenant_id, code, title, disposal, created_by) VALUES (gen_random_uuid(), $1, 'PLAN' || md5(random()::text), 'x', 'A', 'test') RETURNING id`,
        [tenantId],
      )).rows[0]!.id;
      await owner.query(
        `INSERT INTO search_entry (id, tenant_id, object_type, file_id, plan_unit_id, reference, title, confidentiality, status, object_date, fuzzy, tsv)
         SELECT gen_random_uuid(), $1, 'file', gen_random_uuid(), $2, 'P-' || g, 'x', '003', 'open', current_date, 'P-' || g,
                to_tsvector('en_akte_german', CASE WHEN g = 1 THEN 'Quartiersgarage' ELSE 'Antrag ' || md5(g::text) END)
         FROM generate_series(1, 5000) g`,
        [tenantId, unit],
      );
      // As after autovacuum: the GIN pending list merged, statistics fresh.
      await owner.query(`SELECT gin_clean_pending_list('search_entry_tsv_idx')`);
      await owner.query('ANALYZE search_entry');
      await owner.query(`SET LOCAL ROLE ${APP_ROLE}`);
      // 5 000 rows are few enough to read them all; the question is which index answers.
      await owner.query('SET LOCAL enable_seqscan = off');
      await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      const { rows } = await owner.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM search_entry e WHERE e.tenant_id = '${tenantId}' AND e.tsv @@ '''quartiersgarag'''::tsquery`,
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Cond: \(\(tenant_id = '[0-9a-f-]+'::uuid\) AND \(tsv @@ '''quartiersgarag'''::tsquery\)\)/);
    } finally {
      await owner.query('ROLLBACK');
    }
  });
});

describe('search plans when tenants lie apart in the table', () => {
  it("a broad word is counted through the tenant's indexes, never by reading other tenants' rows first", async () => {
    const other = (await owner.query<{ id: string }>(`SELECT id FROM tenant WHERE slug = 'wetter'`)).rows[0]!.id;
    await owner.query('BEGIN');
    try {
      // 20 000 entries of another tenant first in the table, then 20 000 of this one; all have the word.
      const units: Record<string, string> = {};
      for (const t of [other, tenantId]) {
        units[t] = (await owner.query<{ id: string }>(
          `INSERT INTO file_plan_unit (id, tenant_id, code, title, disposal, created_by) VALUES (gen_random_uuid(), $1, 'PLAN' || md5(random()::text), 'x', 'A', 'test') RETURNING id`,
          [t],
        )).rows[0]!.id;
      }
      for (const [t, n] of [[other, 20_000], [tenantId, 20_000]] as const) {
        await owner.query(
          `INSERT INTO search_entry (id, tenant_id, object_type, file_id, plan_unit_id, reference, title, confidentiality, status, object_date, fuzzy, tsv)
           SELECT gen_random_uuid(), $1, 'file', gen_random_uuid(), $2, 'P-' || g, 'x', '003', 'open', current_date, 'P-' || g,
                  to_tsvector('en_akte_german', 'Gebühr ' || md5(g::text))
           FROM generate_series(1, $3::int) g`,
          [t, units[t], n],
        );
      }
      await owner.query(`SELECT gin_clean_pending_list('search_entry_tsv_idx')`);
      await owner.query('ANALYZE search_entry');
      await owner.query(`SET LOCAL ROLE ${APP_ROLE}`);
      await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      // The count of a search (repo.countUpTo) as the API sends it.
      const count = `EXPLAIN SELECT count(*)::int AS n FROM (SELECT 1 FROM search_entry e WHERE e.tenant_id = '${tenantId}'
                     AND e.tsv @@ '''gebuhr'''::tsquery AND e.confidentiality = ANY('{003}'::bpchar[]) LIMIT 1001) m`;
      const plan = async () => (await owner.query<{ 'QUERY PLAN': string }>(count)).rows.map((r) => r['QUERY PLAN']).join('\n');
      // The trap: left to itself, the planner reads the table from its start.
      expect(await plan()).toMatch(/Seq Scan on search_entry/);
      for (const [name, value] of Object.entries(PLANNER)) await owner.query(`SELECT set_config($1, $2, true)`, [name, value]);
      const mine = await plan();
      expect(mine).not.toMatch(/Seq Scan/);
      expect(mine).toMatch(/Index Cond: .*tenant_id = '[0-9a-f-]+'::uuid/);
    } finally {
      await owner.query('ROLLBACK');
    }
  });
});
