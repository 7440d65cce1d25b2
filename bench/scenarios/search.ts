// Search (issue #12): GET …/search through the API against the same search run directly, on a
// letters corpus seeded with SQL (bench/lib/search-seed.ts) at 100 k and 1 M documents (quick:
// 10 k). Terms rotate: every request takes the next of 12 common words ("Stadt", "Antrag",
// "Bescheid": most letters have them) or of 200 rare ones (a few per ten thousand letters).
//
// "Directly" is the search service itself (query parsing, the same SQL statements in the same
// transaction with the same settings, highlighting) on a bare node-postgres pool of the API role:
// no HTTP, no token, no Fastify, no Prisma. One client, requests one after another, API and
// direct interleaved request by request, so both see the same machine.
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { inScope, type RepoFactory, type RequestContext, type Scope, type UnitOfWork } from '../../src/core/index.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { createSearch } from '../../src/modules/search/index.js';
import type { BenchContext, GoalRow } from '../lib/context.js';
import { createSearchSeeder, TERMS, type IndexSize } from '../lib/search-seed.js';
import { pairedRatios, round, summarize, unpairedRatio } from '../lib/stats.js';

// DATE columns as the API reads them (UTC midnight), not as local midnight.
pg.types.setTypeParser(1082, (s: string) => new Date(`${s}T00:00:00.000Z`));

const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
};

/** The search service on a bare pg pool: each search one transaction, as the unit of work opens it. */
function directSearch(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c role=en_akte_app' });
  const scope: Scope = async <T>(ctx: RequestContext, work: (uow: UnitOfWork) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [ctx.tenant.id]);
      const run = async (strings: TemplateStringsArray, values: unknown[]) => {
        const q = Prisma.sql(strings, ...(values as Prisma.Sql[]));
        return client.query(q.text, q.values as unknown[]);
      };
      const tx = {
        $queryRaw: async (strings: TemplateStringsArray, ...values: unknown[]) => (await run(strings, values)).rows,
        $executeRaw: async (strings: TemplateStringsArray, ...values: unknown[]) => (await run(strings, values)).rowCount ?? 0,
      };
      const repos = new Map<unknown, unknown>();
      const uow = {
        ctx,
        tenant: ctx.tenant,
        repo<R>(factory: RepoFactory<R>): R {
          if (!repos.has(factory)) repos.set(factory, factory(tx as never, ctx.tenant.id, ctx));
          return repos.get(factory) as R;
        },
      } as unknown as UnitOfWork;
      const out = await work(uow);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  const config = loadConfig({ DATABASE_URL: url, DATABASE_OWNER_URL: url });
  const service = createSearch({ scope, storage: null as never, extract: null as never, settings: config.search });
  return { search: inScope(scope, { search: service.search }).search, end: () => pool.end() };
}

interface Sample {
  api: number[];
  direct: number[];
  /** Hits of the first page and the order the API answered with, per request (a sanity check). */
  orders: Record<string, number>;
}

export async function run(ctx: BenchContext) {
  const seeder = await createSearchSeeder(ctx.server.db.url);
  const direct = directSearch(ctx.server.db.url);
  const scales = ctx.quick ? [10_000] : [100_000, 1_000_000];
  const perRep = ctx.quick ? 20 : 60;
  const tenant = { id: ctx.tenantId, slug: ctx.tenant };
  const callerCtx: RequestContext = { tenant, caller: { tenant: ctx.tenant, subject: 'bench', roles: ['clerk'] }, grant: null, requestId: null };
  const headers = { authorization: `Bearer ${ctx.token}` };
  const rows: GoalRow[] = [];
  const details: Record<string, unknown>[] = [];
  const measured: Record<number, Record<'rare' | 'common', Sample & { perRep: number[][] }>> = {};

  async function timeApi(query: Record<string, string>) {
    const t0 = performance.now();
    const res = await fetch(`${ctx.server.url}/v1/tenants/${ctx.tenant}/search?${new URLSearchParams(query)}`, { headers });
    const body = (await res.json()) as { order: string; items: unknown[] };
    if (res.status !== 200) throw new Error(`search ${JSON.stringify(query)}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, order: body.order, hits: body.items.length };
  }
  async function timeDirect(query: Record<string, string>) {
    const t0 = performance.now();
    await direct.search(callerCtx, { q: query.q!, limit: Number(query.limit), ...(query.facets ? { facets: query.facets } : {}) });
    return performance.now() - t0;
  }

  /** `perRep` requests per repetition, terms rotating, API and direct alternating which goes first. */
  async function measure(kind: 'rare' | 'common', extra: Record<string, string> = {}, apiOnly = false): Promise<{ reps: Sample[] }> {
    const terms = TERMS[kind];
    const reps: Sample[] = [];
    let n = 0;
    // Warm-up: one pass over a few terms.
    for (const q of terms.slice(0, 5)) {
      await timeApi({ q, limit: '20', ...extra });
      if (!apiOnly) await timeDirect({ q, limit: '20', ...extra });
    }
    for (let rep = 0; rep < ctx.reps; rep++) {
      const s: Sample = { api: [], direct: [], orders: {} };
      for (let i = 0; i < perRep; i++) {
        const query = { q: terms[n++ % terms.length]!, limit: '20', ...extra };
        const apiFirst = (rep + i) % 2 === 0;
        if (apiFirst || apiOnly) {
          const a = await timeApi(query);
          s.api.push(a.ms);
          s.orders[a.order] = (s.orders[a.order] ?? 0) + 1;
          if (!apiOnly) s.direct.push(await timeDirect(query));
        } else {
          s.direct.push(await timeDirect(query));
          const a = await timeApi(query);
          s.api.push(a.ms);
          s.orders[a.order] = (s.orders[a.order] ?? 0) + 1;
        }
      }
      reps.push(s);
      ctx.log(
        `  search ${kind}${extra.facets ? ' +facets' : ''} rep ${rep + 1}/${ctx.reps}: API p95 ${round(p95(s.api), 1)} ms` +
          (apiOnly ? '' : ` | direct p95 ${round(p95(s.direct), 1)} ms`) + ` (orders ${JSON.stringify(s.orders)})`,
      );
    }
    return { reps };
  }

  const k = (x: number) => (x >= 1_000_000 ? `${x / 1_000_000} M` : `${x / 1000} k`);
  const mib = (b: number) => `${round(b / 1024 / 1024, 0)} MiB`;
  const med = (xs: number[]) => round(summarize(xs).median, 1);

  try {
    for (const docs of scales) {
      const grown = await seeder.growTo(docs, (l) => ctx.log(`  ${l}`));
      const size: IndexSize = await seeder.size();
      const hits = await seeder.hits(ctx.tenantId, [...TERMS.common.slice(0, 3), ...TERMS.rare.slice(0, 3)]);
      ctx.log(`  ${k(docs)} documents: ${size.entries} entries, ${mib(size.totalBytes)}; hits in ${ctx.tenant}: ${JSON.stringify(hits)}`);
      const rare = await measure('rare');
      const common = await measure('common');
      const facets = await measure('common', { facets: 'type,year' }, true);
      measured[docs] = { rare: merge(rare.reps), common: merge(common.reps) };
      details.push({ documents: docs, grown, size, hits, rare: rare.reps, common: common.reps, facets: facets.reps });

      for (const [kind, m] of [['rare', rare], ['common', common]] as const) {
        const ratio = summarize(pairedRatios(m.reps.map((r) => p95(r.api)), m.reps.map((r) => p95(r.direct))));
        rows.push({
          scenario: `search, ${kind} terms, ${k(docs)} documents`,
          measure: 'p95 API ÷ p95 same search on bare pg',
          goal: '≤ 1.2',
          value: ratio,
          pass: ratio.median <= 1.2,
          note: `API p95 ${med(m.reps.map((r) => p95(r.api)))} ms, direct ${med(m.reps.map((r) => p95(r.direct)))} ms; ${perRep} requests per rep; order ${JSON.stringify(merge(m.reps).orders)}`,
        });
      }
      const cr = summarize(pairedRatios(common.reps.map((r) => p95(r.api)), rare.reps.map((r) => p95(r.api))));
      const goal = docs === scales.at(-1);
      rows.push({
        scenario: `search, common ÷ rare terms, ${k(docs)} documents`,
        measure: 'API p95 common ÷ API p95 rare',
        goal: goal ? '≤ 3' : 'report',
        value: cr,
        pass: goal ? cr.median <= 3 : null,
        note: `common p95 ${med(common.reps.map((r) => p95(r.api)))} ms (e.g. "${TERMS.common[1]}": ${hits[TERMS.common[1]!]} hits), rare ${med(rare.reps.map((r) => p95(r.api)))} ms (e.g. "${TERMS.rare[0]}": ${hits[TERMS.rare[0]!]})`,
      });
      rows.push({
        scenario: `search with facets type,year, common terms, ${k(docs)} documents`,
        measure: 'API p95 (ms): counts every match',
        goal: 'report',
        value: summarize(facets.reps.map((r) => p95(r.api))),
        unit: 'ms',
        pass: null,
        note: `p95 ÷ p95 without facets ${round(summarize(pairedRatios(facets.reps.map((r) => p95(r.api)), common.reps.map((r) => p95(r.api)))).median)}`,
      });
      rows.push({
        scenario: `search index at ${k(docs)} documents`,
        measure: 'build time (s) of what the step added',
        goal: 'report',
        value: { median: grown.indexSeconds, min: grown.indexSeconds, max: grown.indexSeconds, n: 1 },
        unit: 's',
        pass: null,
        note:
          `${grown.indexed} objects indexed (${round(grown.indexed / Math.max(grown.indexSeconds, 0.001), 0)}/s) after ${round(grown.seedSeconds, 0)} s of seeding; ` +
          `${size.entries} entries: table ${mib(size.tableBytes)}, GIN text ${mib(size.textIndexBytes)}, trigram ${mib(size.trigramIndexBytes)}, total ${mib(size.totalBytes)}`,
      });
    }
    if (scales.length > 1) {
      const [small, large] = [scales[0]!, scales.at(-1)!];
      for (const kind of ['rare', 'common'] as const) {
        const ratio = unpairedRatio(measuredP95(measured[large]![kind]), measuredP95(measured[small]![kind]));
        rows.push({
          scenario: `search, ${kind} terms: ${k(large)} vs ${k(small)} documents`,
          measure: `API p95 @${k(large)} ÷ @${k(small)}`,
          goal: '≤ 1.5',
          value: ratio,
          pass: ratio.median <= 1.5,
          note: `p95 ${med(measuredP95(measured[large]![kind]))} vs ${med(measuredP95(measured[small]![kind]))} ms`,
        });
      }
    }
  } finally {
    await direct.end();
    await seeder.end();
  }
  return { rows, details };

  function merge(reps: Sample[]): Sample & { perRep: number[][] } {
    const orders: Record<string, number> = {};
    for (const r of reps) for (const [o, c] of Object.entries(r.orders)) orders[o] = (orders[o] ?? 0) + c;
    return { api: reps.flatMap((r) => r.api), direct: reps.flatMap((r) => r.direct), orders, perRep: reps.map((r) => r.api) };
  }
  function measuredP95(s: Sample & { perRep?: number[][] }): number[] {
    return (s.perRep ?? [s.api]).map(p95);
  }
}
