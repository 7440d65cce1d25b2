// EN-Akte benchmarks (issue #5). Starts the real service (src/server.ts) in its own process on a real
// embedded PostgreSQL and a real MinIO, a bare Fastify+pg baseline and an autocannon load generator
// in processes of their own, runs the scenarios under bench/scenarios/, and writes
// bench/results/<date>.json and .md (full runs also refresh the table in bench/README.md).
//
//   npm run bench                       full set (< 30 min on 2 cores)
//   npm run bench -- --quick            1 MiB + 64 MiB, 256 MiB RSS, 10 k files (< 3 min)
//   npm run bench -- --only=reads,cursor,search [--quick] [--reps=5] [--cpu-prof] [--no-write]
//
// --cpu-prof runs the service and the baseline under `node --cpu-prof` and prints where their CPU
// time went (bench/results/profiles/, not committed).
import { mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'minio';
import pg from 'pg';
import { startBaseline, type Baseline } from './lib/baseline.js';
import { tokenFor } from './lib/client.js';
import { loadavg, MiB, type BenchContext, type GoalRow, type ScenarioResult } from './lib/context.js';
import { startLoadGenerator, type LoadGenerator } from './lib/load.js';
import { monotonicMicros, printProfile, summarizeProfile, type ProfileSummary, type Window } from './lib/profile.js';
import { markdownTable, RESULTS_DIR, writeReport, type RunReport } from './lib/report.js';
import { createSeeder, type Seeder } from './lib/seed.js';
import { startBenchServer, type BenchServer } from './lib/server.js';
import * as cursor from './scenarios/cursor.js';
import { CONNECTIONS } from './scenarios/reads.js';
import * as reads from './scenarios/reads.js';
import * as rss from './scenarios/rss.js';
import * as search from './scenarios/search.js';
import * as streams from './scenarios/streams.js';
import * as transfer from './scenarios/transfer.js';
import * as versions from './scenarios/versions.js';

// rss first: its idle RSS is that of a fresh process, before other transfers have grown the heap.
const SCENARIOS = ['rss', 'streams', 'transfer', 'versions', 'reads', 'cursor', 'search'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
for (const a of args) {
  if (!/^--(quick|cpu-prof|no-write|only=[a-z,]+|reps=\d+)$/.test(a)) {
    console.error(`unknown argument ${a}\nusage: npm run bench -- [--quick] [--only=${SCENARIOS.join(',')}] [--reps=N] [--cpu-prof] [--no-write]`);
    process.exit(2);
  }
}
const quick = flag('quick');
const only = option('only')?.split(',') as ScenarioName[] | undefined;
for (const s of only ?? []) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);
const selected = SCENARIOS.filter((s) => !only || only.includes(s));
const reps = Number(option('reps') ?? 5);
if (reps < 5) console.warn(`--reps=${reps}: fewer than the 5 repetitions the results need; for trying things out only`);
const cpuProf = flag('cpu-prof');
const PART_SIZE = 16 * MiB;
const POOL_MAX = 10;

const started = new Date();
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string) => console.log(`[bench ${elapsed()}] ${line}`);
const stamp = started.toISOString().slice(0, 19).replace(/[:T]/g, '-');
const profileDir = path.join(RESULTS_DIR, 'profiles', stamp);
// One directory per process: Node writes one file per thread (tsx's loader hooks run on a thread of their own).
const profArgs = (who: string) => (cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, who)}`] : []);
if (cpuProf) for (const who of ['api', 'bare']) mkdirSync(path.join(profileDir, who), { recursive: true });

let server: BenchServer | undefined;
let baseline: Baseline | undefined;
let load: LoadGenerator | undefined;
let seeder: Seeder | undefined;
let stopping: Promise<void> | undefined;

function stopAll() {
  stopping ??= (async () => {
    await load?.close().catch(() => undefined);
    await baseline?.stop().catch(() => undefined);
    await seeder?.end().catch(() => undefined);
    await server?.stop().catch((err: unknown) => console.error('stopping the service:', err));
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the service, PostgreSQL and MinIO…`);
    void stopAll().finally(() => process.exit(130));
  });
}

const results: ScenarioResult[] = [];
const windows: Record<string, Window> = {};
const loadStart = loadavg();
let failed: unknown;
try {
  log(`${quick ? 'quick' : 'full'} run: ${selected.join(', ')}; ${reps} repetitions; ${os.cpus().length} CPUs, load ${loadStart.join(' ')}`);
  server = await startBenchServer(
    {
      S3_PART_SIZE: String(PART_SIZE), DB_POOL_MAX: String(POOL_MAX), LOG_LEVEL: 'warn', MAX_UPLOAD_BYTES: String(5 * 1024 * MiB),
      // The search scenario builds its index itself and times it; the service's catch-up stays out of it.
      OUTBOX_CATCH_UP_SECONDS: '3600',
      // Clients (the bench) reach MinIO: redirects on request (?redirect=true), streamed otherwise.
      DOWNLOAD_REDIRECT: 'auto', DOWNLOAD_REDIRECT_MIN_BYTES: String(5 * 1024 * MiB),
    },
    { nodeArgs: profArgs('api') },
  );
  log(`service up at ${server.url} (pid ${server.pid}), MinIO ${server.s3.endpoint}`);
  seeder = await createSeeder(server.db.url);
  const owner = new pg.Client({ connectionString: server.db.url });
  await owner.connect();
  const tenant = 'witten';
  const tenantId = (await owner.query<{ id: string }>('SELECT id FROM tenant WHERE slug = $1', [tenant])).rows[0]!.id;
  await owner.end();
  baseline = await startBaseline(server.db.url, POOL_MAX, profArgs('bare'));
  load = await startLoadGenerator();
  const endpoint = new URL(server.s3.endpoint);
  const ctx: BenchContext = {
    quick,
    reps,
    server,
    tenant,
    tenantId,
    token: await tokenFor(server, tenant, ['clerk', 'records-manager']),
    partSize: PART_SIZE,
    minio: new Client({
      endPoint: endpoint.hostname,
      port: Number(endpoint.port),
      useSSL: false,
      accessKey: server.s3.accessKey,
      secretKey: server.s3.secretKey,
      region: 'us-east-1',
      partSize: PART_SIZE,
    }),
    bucket: `en-akte-${tenant}`,
    load,
    baseline,
    seededFiles: 0,
    log,
  };

  const runners: Record<ScenarioName, () => Promise<{ rows: GoalRow[]; details: unknown }>> = {
    streams: () => streams.run(ctx),
    transfer: () => transfer.run(ctx),
    rss: () => rss.run(ctx),
    versions: () => versions.run(ctx),
    reads: () => reads.run(ctx, seeder!),
    search: () => search.run(ctx),
    cursor: async () => {
      if (ctx.seededFiles === 0) {
        // Run alone: seed the size the read scenario would have left.
        ctx.seededFiles = quick ? 10_000 : 1_000_000;
        await seeder!.growTo(ctx.seededFiles, (l) => log(`  ${l}`));
      }
      return cursor.run(ctx, seeder!);
    },
  };
  for (const name of selected) {
    const before = loadavg();
    const s0 = performance.now();
    log(`${name}…`);
    const from = monotonicMicros();
    const out = await runners[name]();
    windows[name] = { from, to: monotonicMicros() };
    const seconds = (performance.now() - s0) / 1000;
    results.push({ name, ...out, seconds, loadavg: { before, after: loadavg() } });
    log(`${name} done in ${seconds.toFixed(0)} s`);
  }
} catch (err) {
  failed = err;
} finally {
  await stopAll();
}

// One summary per process and scenario: only the samples taken while that scenario ran.
const profiles: (ProfileSummary & { scenario: string; process: string })[] = [];
if (cpuProf) {
  for (const who of ['api', 'bare']) {
    const dir = path.join(profileDir, who);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
      for (const [scenario, w] of Object.entries(windows)) {
        const summary = { ...summarizeProfile(path.join(dir, f), 30, [w]), scenario, process: who };
        // Skip threads that only idled (the loader-hooks thread) and scenarios the process sat out.
        const busy = summary.totalMs - (summary.packages.find((x) => x.name === '(idle)')?.ms ?? 0);
        if (busy < 200) continue;
        profiles.push(summary);
        log(`${who} process during ${scenario}:`);
        printProfile(summary, log);
      }
    }
  }
}

if (failed) {
  console.error(failed);
  process.exit(1);
}

const wallSeconds = (performance.now() - t0) / 1000;
const report: RunReport & { profiles?: (ProfileSummary & { scenario: string; process: string })[] } = {
  date: started.toISOString().slice(0, 10),
  startedAt: started.toISOString(),
  mode: only ? 'partial' : quick ? 'quick' : 'full',
  wallSeconds: Math.round(wallSeconds),
  argv: args,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    loadavgStart: loadStart,
    loadavgEnd: loadavg(),
  },
  config: { reps, partSizeMiB: PART_SIZE / MiB, dbPoolMax: POOL_MAX, connections: CONNECTIONS },
  scenarios: results,
  ...(profiles.length ? { profiles } : {}),
};
console.log(`\n${markdownTable(report)}\n`);
if (!flag('no-write')) {
  const name = `${report.date}${report.mode === 'full' ? '' : `-${report.mode}`}`;
  const written = writeReport(report, name, report.mode === 'full');
  log(`wrote ${path.relative(process.cwd(), written.json)} and ${path.relative(process.cwd(), written.md)}${report.mode === 'full' ? ', refreshed bench/README.md' : ''}`);
}
log(`finished in ${Math.floor(wallSeconds / 60)} min ${Math.round(wallSeconds % 60)} s`);
process.exit(0);
