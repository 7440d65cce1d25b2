// The search benchmark's data set: files, cases, documents, versions and their extracted text,
// written with SQL as the database owner (generate_series, letters drawn from bench/lib/german.ts
// with a Zipf-like word distribution), then indexed with the service's own indexing code
// (src/modules/search: the same batches `npm run reindex` and the index job run, as en_akte_app
// under row-level security). Documents are spread round-robin over the seven towns and the
// district, ten per case, five cases per file.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { VERSION } from '../../src/app.js';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/client.js';
import { createBoss } from '../../src/jobs/index.js';
import { createServices } from '../../src/services.js';
import { createBlobStore } from '../../src/storage/index.js';
import { FIRST_NAMES, HEAD, SURNAMES, vocabulary } from './german.js';
import { SEED_TENANTS } from './seed.js';

const UNIT_CODE = 'BSEARCH';
const BATCH = 50_000;
const VOCABULARY = vocabulary(100_000);

/** Common words (most letters have them) and rare ones (a few per ten thousand letters), rotated through by the scenario. */
export const TERMS = {
  common: HEAD.slice(0, 12),
  // Ranks 8 000 to 20 000 of the tail: every 60th word.
  rare: VOCABULARY.slice(8000, 20_000).filter((_w, i) => i % 60 === 0),
};

export interface IndexSize {
  entries: number;
  tableBytes: number;
  textIndexBytes: number;
  trigramIndexBytes: number;
  totalBytes: number;
}

export interface SearchSeeder {
  /** Seeded documents now in the database. */
  count(): Promise<number>;
  /** Seeds documents until `total` exist (all tenants), indexes what is new; returns the times. */
  growTo(total: number, log?: (line: string) => void): Promise<{ inserted: number; seedSeconds: number; indexSeconds: number; indexed: number }>;
  size(): Promise<IndexSize>;
  /** How many of the tenant's entries match each term (plainto_tsquery), for the report. */
  hits(tenantId: string, terms: string[]): Promise<Record<string, number>>;
  end(): Promise<void>;
}

/** Words of a letter: `n` draws, rank r with probability about ln((r+1)/r) / ln(V). */
const words = (n: string) => `(SELECT string_agg(v.word, ' ' ORDER BY d.i)
    FROM (SELECT i, least(${VOCABULARY.length}, floor(exp(random() * ln(${VOCABULARY.length})))::int) AS r FROM generate_series(1, ${n}) i OFFSET 0) d
    JOIN bench_vocab v ON v.rank = d.r)`;

export async function createSearchSeeder(ownerUrl: string): Promise<SearchSeeder> {
  const db = new pg.Client({ connectionString: ownerUrl });
  await db.connect();
  await db.query(`CREATE TABLE IF NOT EXISTS bench_vocab (rank int PRIMARY KEY, word text NOT NULL)`);
  if (Number((await db.query(`SELECT count(*) AS n FROM bench_vocab`)).rows[0].n) === 0) {
    await db.query(`INSERT INTO bench_vocab SELECT n, w FROM unnest($1::text[]) WITH ORDINALITY AS t(w, n)`, [VOCABULARY]);
  }
  await db.query(
    `INSERT INTO file_plan_unit (id, tenant_id, code, title, disposal, retention_years, created_by)
     SELECT uuidv7(), t.id, $1, 'Bench search', 'B', 10, 'bench' FROM tenant t WHERE t.slug = ANY($2)
     ON CONFLICT (tenant_id, code) DO NOTHING`,
    [UNIT_CODE, SEED_TENANTS],
  );
  const units = (
    await db.query<{ tenant_id: string; unit_id: string; slug: string }>(
      `SELECT u.tenant_id, u.id AS unit_id, t.slug FROM file_plan_unit u JOIN tenant t ON t.id = u.tenant_id
       WHERE u.code = $1 ORDER BY array_position($2::text[], t.slug::text)`,
      [UNIT_CODE, SEED_TENANTS],
    )
  ).rows;
  const tenants = units.map((u) => u.tenant_id);
  const unitIds = units.map((u) => u.unit_id);
  const T = tenants.length;

  // The service's own indexing, on a pool of the API role.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'en-akte-bench-index-'));
  const config = loadConfig({ DATABASE_URL: ownerUrl, DATABASE_OWNER_URL: ownerUrl, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const appDb = createDb(ownerUrl, 2);
  const services = createServices({
    config,
    db: appDb,
    storage: createBlobStore(config.storage),
    jobs: createBoss(ownerUrl, { max: 1, supervise: false, pollingIntervalSeconds: 60 }),
    dataKey: Buffer.alloc(32),
    keys: await loadOrCreateSigningKeys(path.join(dataDir, 'signing-key.json')),
    version: VERSION,
  });

  const seeder: SearchSeeder = {
    async count() {
      return Number((await db.query(`SELECT count(*) AS n FROM record_document WHERE created_by = 'bench-search'`)).rows[0].n);
    },

    async growTo(total, log = () => undefined) {
      // Resumable: seeding skips what exists, indexing picks up whatever is not indexed yet.
      const have = await seeder.count();
      const t0 = performance.now();
      for (let from = have; from < total; from += BATCH) {
        const to = Math.min(total, from + BATCH);
        const t1 = performance.now();
        const p = [from, to, tenants, unitIds, T];
        // Files (5 cases each) and cases (10 documents each) of this range's documents, per tenant.
        await db.query(
          `INSERT INTO record_file (id, tenant_id, plan_unit_id, reference, title, description, confidentiality, metadata, created_by, created_at)
           SELECT md5('sf' || k)::uuid, ($3::uuid[])[1 + k % $5], ($4::uuid[])[1 + k % $5], 'SUCH-' || lpad(k::text, 8, '0') || '/2026',
                  ${words('2 + (k % 3)')}, ${words('8 + (k % 9)')}, '003', jsonb_build_object('vorgangsnummer', 'VN-' || k), 'bench-search',
                  timestamptz '2015-01-01' + (random() * 4000) * interval '1 day'
           FROM generate_series(($1::int / (50 * $5)) * $5, (($2::int - 1) / (50 * $5)) * $5 + $5 - 1) k
           ON CONFLICT (id) DO NOTHING`,
          p,
        );
        await db.query(
          `INSERT INTO record_case (id, tenant_id, file_id, reference, title, created_by, created_at)
           SELECT md5('sc' || c)::uuid, ($3::uuid[])[1 + c % $5], md5('sf' || ((c / $5) / 5 * $5 + c % $5))::uuid,
                  'SUCH-' || lpad(((c / $5) / 5 * $5 + c % $5)::text, 8, '0') || '/2026-' || lpad(((c / $5) % 5 + 1)::text, 3, '0'),
                  ${words('3 + (c % 3)')}, 'bench-search', timestamptz '2015-01-01' + (random() * 4000) * interval '1 day'
           FROM generate_series(($1::int / (10 * $5)) * $5, (($2::int - 1) / (10 * $5)) * $5 + $5 - 1) c
           WHERE ($4::uuid[]) IS NOT NULL
           ON CONFLICT (id) DO NOTHING`,
          p,
        );
        await db.query(
          `INSERT INTO record_document (id, tenant_id, case_id, title, kind, received_on, sender, addressee, created_by, version_count)
           SELECT md5('sd' || g)::uuid, ($3::uuid[])[1 + g % $5], md5('sc' || ((g / (10 * $5)) * $5 + g % $5))::uuid,
                  ${words('3 + (g % 3)')}, (ARRAY['letter', 'scan', 'note', 'form', 'email'])[1 + g % 5],
                  date '2015-01-01' + (random() * 4000)::int,
                  ($6::text[])[1 + (g * 7) % array_length($6::text[], 1)] || ' ' || ($7::text[])[1 + (g * 13) % array_length($7::text[], 1)],
                  'Stadtverwaltung', 'bench-search', 1
           FROM generate_series($1::int, $2::int - 1) g WHERE ($4::uuid[]) IS NOT NULL`,
          [...p, FIRST_NAMES, SURNAMES],
        );
        await db.query(
          `INSERT INTO document_version (id, tenant_id, document_id, number, storage_key, size, sha256, media_type, filename, uploaded_by)
           SELECT md5('sv' || g)::uuid, ($3::uuid[])[1 + g % $5], md5('sd' || g)::uuid, 1, 'bench/' || g, 2000, repeat('0', 64),
                  'text/plain', 'brief.txt', 'bench-search'
           FROM generate_series($1::int, $2::int - 1) g WHERE ($4::uuid[]) IS NOT NULL`,
          p,
        );
        // The letter: 60 to 120 words.
        await db.query(
          `INSERT INTO version_text (version_id, tenant_id, document_id, state, content, chars, extractor, extracted_at)
           SELECT md5('sv' || g)::uuid, ($3::uuid[])[1 + g % $5], md5('sd' || g)::uuid, 'extracted', x.t, length(x.t), 'bench', now()
           FROM generate_series($1::int, $2::int - 1) g, LATERAL (SELECT ${words('60 + (g % 61)')} AS t) x WHERE ($4::uuid[]) IS NOT NULL`,
          p,
        );
        log(`seeded documents ${from}…${to - 1} in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      }
      // Statistics of the fresh rows, as autovacuum would have them before long: the indexing
      // statements join them by id.
      if (have < total) await db.query('ANALYZE record_file, record_case, record_document, document_version, version_text');
      const seedSeconds = (performance.now() - t0) / 1000;
      // Index what is new with the service's indexing batches, tenant by tenant.
      const t2 = performance.now();
      await db.query(
        `INSERT INTO search_pending (object_id, tenant_id, object_type)
         SELECT id, tenant_id, 'file' FROM record_file f WHERE created_by = 'bench-search' AND NOT EXISTS (SELECT 1 FROM search_entry e WHERE e.id = f.id)
         UNION ALL SELECT id, tenant_id, 'case' FROM record_case c WHERE created_by = 'bench-search' AND NOT EXISTS (SELECT 1 FROM search_entry e WHERE e.id = c.id)
         UNION ALL SELECT id, tenant_id, 'document' FROM record_document d WHERE created_by = 'bench-search' AND NOT EXISTS (SELECT 1 FROM search_entry e WHERE e.id = d.id)
         ON CONFLICT DO NOTHING`,
      );
      let indexed = 0;
      for (const u of units) {
        const t3 = performance.now();
        const n = await services.search.indexPending({ id: u.tenant_id, slug: u.slug });
        indexed += n;
        log(`indexed ${n} objects of ${u.slug} in ${((performance.now() - t3) / 1000).toFixed(1)} s`);
      }
      const indexSeconds = (performance.now() - t2) / 1000;
      const t4 = performance.now();
      await db.query('VACUUM (ANALYZE) search_entry');
      await db.query('VACUUM (ANALYZE) version_text');
      await db.query('CHECKPOINT');
      log(`vacuum analyze + checkpoint in ${((performance.now() - t4) / 1000).toFixed(1)} s`);
      return { inserted: Math.max(0, total - have), seedSeconds, indexSeconds, indexed };
    },

    async size() {
      const r = (
        await db.query<{ entries: string; table: string; tsv: string; trgm: string; total: string }>(
          `SELECT (SELECT count(*) FROM search_entry) AS entries, pg_table_size('search_entry') AS table,
                  pg_relation_size('search_entry_tsv_idx') AS tsv, pg_relation_size('search_entry_fuzzy_idx') AS trgm,
                  pg_total_relation_size('search_entry') AS total`,
        )
      ).rows[0]!;
      return { entries: Number(r.entries), tableBytes: Number(r.table), textIndexBytes: Number(r.tsv), trigramIndexBytes: Number(r.trgm), totalBytes: Number(r.total) };
    },

    async hits(tenantId, terms) {
      const out: Record<string, number> = {};
      for (const term of terms) {
        out[term] = Number(
          (await db.query(`SELECT count(*) AS n FROM search_entry WHERE tenant_id = $1 AND tsv @@ plainto_tsquery('en_akte_german', $2)`, [tenantId, term])).rows[0].n,
        );
      }
      return out;
    },

    async end() {
      await appDb.$disconnect();
      await db.end();
    },
  };
  return seeder;
}
