// Maintenance that runs in-process against the database and storage of a deployment (DATABASE_URL,
// S3_*, DATA_DIR, … as the service reads them), not through the API: the sweep, the search reindex
// and the rotation of the token-signing key. Shared by the npm scripts (scripts/sweep.ts,
// scripts/reindex.ts, scripts/keys-rotate.ts) and the admin CLI (`en-akte sweep|reindex|keys rotate`).
import type { FastifyBaseLogger } from 'fastify';
import type PgBoss from 'pg-boss';
import { VERSION } from './app.js';
import { loadSharedSigningKeys, rotateSharedSigningKeys } from './auth/keys.js';
import { databaseForScript, startInfrastructure } from './bootstrap.js';
import type { Config } from './config.js';
import { jobDepsOf, jobHandlers, QUEUES } from './jobs/index.js';
import { createServices } from './services.js';

/**
 * The sweep, now: stale uploads, expired idempotency keys, old events and deliveries; `deep` also
 * removes objects no version references. Answers what the sweep job reports.
 */
export async function runSweep(config: Config, log: FastifyBaseLogger, opts: { deep: boolean }): Promise<unknown> {
  const infra = await startInfrastructure(config, log, { worker: false });
  try {
    const services = createServices({ ...infra, version: VERSION });
    const handlers = jobHandlers(jobDepsOf(services, config, log));
    const job = { data: { deep: opts.deep } } as PgBoss.JobWithMetadata<unknown>;
    return await handlers[QUEUES.sweep.name]!(job, infra.jobs);
  } finally {
    await infra.db.$disconnect();
    await infra.stop();
    // Spans of this run (OTEL_EXPORTER_OTLP_ENDPOINT) are sent before the process ends.
    await infra.telemetry.shutdown();
  }
}

export interface ReindexResult {
  tenant: string;
  indexed: number;
  extractionsQueued: number;
  seconds: number;
  [more: string]: unknown;
}

/** Thrown when the tenant to reindex does not exist. */
export class NoSuchTenantError extends Error {
  override readonly name = 'NoSuchTenantError';
}

/**
 * Rebuilds the search index of one tenant (`tenant`) or of all: every file, case and document
 * indexed again from the records and the stored texts; versions without a text record are queued
 * for extraction (the workers run it). `onTenant` hears of each tenant as it is done.
 */
export async function runReindex(
  config: Config,
  log: FastifyBaseLogger,
  opts: { tenant?: string; onStart?: (tenants: number) => void; onTenant?: (result: ReindexResult) => void },
): Promise<ReindexResult[]> {
  const infra = await startInfrastructure(config, log, { worker: false });
  try {
    const services = createServices({ ...infra, version: VERSION });
    const all = await services.tenants.all();
    const tenants = opts.tenant ? all.filter((t) => t.slug === opts.tenant) : all;
    if (tenants.length === 0) throw new NoSuchTenantError(`No tenant ${opts.tenant}`);
    opts.onStart?.(tenants.length);
    const results: ReindexResult[] = [];
    for (const tenant of tenants) {
      const started = performance.now();
      const out = await services.search.reindexTenant(tenant);
      const queued = await services.search.catchUp(tenant, { all: true });
      const result: ReindexResult = { tenant: tenant.slug, ...out, extractionsQueued: queued.extract, seconds: Math.round((performance.now() - started) / 100) / 10 };
      results.push(result);
      opts.onTenant?.(result);
    }
    return results;
  } finally {
    await infra.db.$disconnect();
    await infra.stop();
    // Spans of this run (OTEL_EXPORTER_OTLP_ENDPOINT) are sent before the process ends.
    await infra.telemetry.shutdown();
  }
}

/**
 * A new signing key in the table every instance shares (signing_key). Each instance signs with it
 * from its next reload (at most 30 s; a token of the new key makes an instance reload at once);
 * tokens of the previous keys verify until they expire. With the owner login keys beyond the
 * newest three are deleted.
 */
export async function rotateSigningKey(config: Config, log: FastifyBaseLogger): Promise<{ kid: string; retained: number }> {
  const database = await databaseForScript(config, log);
  try {
    // The first use imports an old key file (AUTH_KEY_FILE) or makes a key, as an instance's start does.
    await (await loadSharedSigningKeys({ databaseUrl: database.url, dataKey: database.dataKey, importFile: config.auth.keyFile })).close();
    const { kid, retained } = await rotateSharedSigningKeys({ databaseUrl: database.url, ownerUrl: database.ownerUrl, dataKey: database.dataKey });
    return { kid, retained };
  } finally {
    await database.close();
  }
}
