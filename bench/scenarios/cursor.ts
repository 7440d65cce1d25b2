// Keyset pagination: a page 10 000 files deep into the tenant's list (by cursor) against the first
// page, both through the API with the same 64 clients, interleaved. Runs on the data set the read
// scenario left behind (its largest size). Also reports the tenant's last page.
import type { BenchContext, GoalRow } from '../lib/context.js';
import type { Seeder } from '../lib/seed.js';
import { pairedRatios, round, summarize } from '../lib/stats.js';
import { compare, k } from './reads.js';

const DEPTH = 10_000;

export async function run(ctx: BenchContext, seeder: Seeder) {
  const base = `/v1/tenants/${ctx.tenant}`;
  const tenantFiles = await seeder.tenantCount(ctx.tenantId);
  // With --quick the tenant holds fewer than 10 000 files: go as deep as it has.
  const depth = Math.min(DEPTH, tenantFiles - 50);
  const lastDepth = tenantFiles - 50;
  const first = { name: 'first page', origin: ctx.server.url, paths: [`${base}/files?limit=50`] };
  ctx.log(`  ${ctx.tenant} holds ${tenantFiles} of ${ctx.seededFiles} seeded files; deep page after ${depth}, last after ${lastDepth}`);

  const rows: GoalRow[] = [];
  const details: Record<string, unknown> = { tenantFiles, seededFiles: ctx.seededFiles, depth, lastDepth };
  const variants = [
    { key: 'deep', after: depth, goal: true, title: `page ${depth} files deep` },
    { key: 'last', after: lastDepth, goal: false, title: `last page (${lastDepth} deep)` },
  ];
  // With --quick the deep page may already be the last one.
  for (const v of variants.filter((x, i) => i === 0 || x.after !== variants[0]!.after)) {
    const deep = {
      name: `after ${v.after}`,
      origin: ctx.server.url,
      paths: [`${base}/files?limit=50&cursor=${await seeder.cursorAt(ctx.tenantId, v.after)}`],
    };
    const r = await compare(ctx, `list ${v.key}`, deep, first);
    details[v.key] = r;
    const p99 = summarize(pairedRatios(r.a.map((x) => x.p99), r.b.map((x) => x.p99)));
    const rps = summarize(pairedRatios(r.a.map((x) => x.rps), r.b.map((x) => x.rps)));
    rows.push({
      scenario: `list: ${v.title} vs first page, ${k(ctx.seededFiles)} files`,
      measure: 'p99 deep page ÷ p99 first page',
      goal: v.goal ? '≤ 1.2' : 'report',
      value: p99,
      pass: v.goal ? p99.median <= 1.2 : null,
      note:
        `p99 ${round(summarize(r.a.map((x) => x.p99)).median, 0)} vs ${round(summarize(r.b.map((x) => x.p99)).median, 0)} ms; ` +
        `req/s deep ÷ first ${round(rps.median)}`,
    });
  }
  return { rows, details };
}
