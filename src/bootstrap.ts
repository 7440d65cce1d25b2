import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type PgBoss from 'pg-boss';
import { loadOrCreateDataKey } from './auth/data-key.js';
import { loadSharedSigningKeys } from './auth/keys.js';
import { VERSION, type AppDeps } from './app.js';
import type { Config } from './config.js';
import { API_LOGIN, createDb } from './db/client.js';
import { assertSafeApiLogin, ensureApiLogin } from './db/logins.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { migrate, type MigrateResult } from './db/migrate.js';
import { seedTenants } from './db/seed.js';
import { ALL_QUEUES, createBoss, installJobs } from './jobs/index.js';
import { seedOnlineServices } from './modules/online/index.js';
import { createTenantRepo } from './modules/tenants/index.js';
import { createBlobStore } from './storage/index.js';
import { createTelemetry, type Telemetry } from './telemetry/index.js';

/**
 * Everything the owner does to a database before the API may use it: migrations, the tenant seed
 * (reference data the API role can only read) and pg-boss's schema and queues. Idempotent, and safe
 * when several instances start at once.
 */
export async function prepareDatabase(ownerUrl: string): Promise<MigrateResult & { seeded: number }> {
  const migrated = await migrate(ownerUrl);
  const owner = createDb(ownerUrl, 1);
  let seeded: number;
  try {
    seeded = await seedTenants(owner);
    await seedOnlineServices(owner);
  } finally {
    await owner.$disconnect();
  }
  await installJobs(ownerUrl, ALL_QUEUES);
  return { ...migrated, seeded };
}

/** The URL of `url`'s database with another login. */
export function withLogin(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

export interface Infrastructure extends AppDeps {
  jobs: PgBoss;
  /** Traces, or `noTelemetry`; the app shuts it down when it closes (a worker alone: its stop). */
  telemetry: Telemetry;

  /** Stops what bootstrap started (the embedded PostgreSQL); the app closes its own pool. */
  stop(): Promise<void>;
}

/**
 * Brings up what the app needs: PostgreSQL (external, or embedded under DATA_DIR), migrations,
 * the tenant seed and the job queues, storage with one bucket per tenant, and the keys.
 */
export async function startInfrastructure(config: Config, log: FastifyBaseLogger, opts: { worker: boolean }): Promise<Infrastructure> {
  // Traces (OTEL_EXPORTER_OTLP_ENDPOINT): the pool and the store below are instrumented with it.
  const telemetry = await createTelemetry(config.telemetry, VERSION);
  if (telemetry.enabled) log.info({ endpoint: withoutUserinfo(config.telemetry.endpoint), serviceName: config.telemetry.serviceName }, 'exporting traces');
  let embedded: EmbeddedDatabase | undefined;
  let url = config.database.url;
  let ownerUrl = config.database.ownerUrl;
  if (!url || !ownerUrl) {
    log.info({ dir: path.join(config.dataDir, 'postgres'), port: config.database.embeddedPort }, 'starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({
      dir: path.join(config.dataDir, 'postgres'),
      port: config.database.embeddedPort,
      runtimeDir: config.database.embeddedRuntimeDir,
      persistent: true,
      onLog: (line) => line && log.debug({ postgres: line }),
    });
    ownerUrl = embedded.url;
    url = withLogin(embedded.url, API_LOGIN, embedded.apiPassword);
  }
  try {
    const prepared = await prepareDatabase(ownerUrl);
    // The embedded default has both logins; an external database gets its API login from its DBA.
    if (embedded) await ensureApiLogin(ownerUrl, API_LOGIN, embedded.apiPassword);
    if (prepared.applied.length) log.info({ applied: prepared.applied }, 'migrations applied');
    for (const warning of prepared.warnings) log.warn({ migration: true }, warning);
    if (prepared.seeded) log.info({ added: prepared.seeded }, 'seeded tenants');
    const db = createDb(url, config.database.poolMax, telemetry);
    const replicaDb = config.database.replicaUrl ? createDb(config.database.replicaUrl, config.database.poolMax, telemetry) : undefined;
    await assertSafeApiLogin((sql) => db.$queryRawUnsafe(sql));

    const storage = createBlobStore(config.storage, telemetry);
    for (const slug of await createTenantRepo(db).listSlugs()) await storage.ensureBucket(slug);
    log.info({ storage: storage.kind }, 'storage ready');

    const dataKey = await loadOrCreateDataKey(config.secretsKeyFile);
    return {
      config,
      db,
      replicaDb,
      storage,
      // Shared by every instance through PostgreSQL; an old key file is imported once.
      keys: await loadSharedSigningKeys({ databaseUrl: url, dataKey, importFile: config.auth.keyFile }),
      dataKey,
      jobs: createBoss(url, { max: 4, supervise: opts.worker, pollingIntervalSeconds: config.jobs.pollingIntervalSeconds }),
      databaseUrl: url,
      telemetry,
      stop: async () => {
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    await telemetry.shutdown();
    throw err;
  }
}

/** A database URL as a person may read it: without its password. */
export function describeDatabase(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString();
}

/** No DATABASE_URL, and no embedded PostgreSQL under DATA_DIR (and none may be made there). */
export class NoEmbeddedDatabaseError extends Error {
  constructor(readonly dataDir: string, readonly secretFile: string) {
    super(`There is no embedded PostgreSQL under ${dataDir} (no ${secretFile})`);
    this.name = 'NoEmbeddedDatabaseError';
  }
}

/**
 * The database of a running deployment, for a script (`npm run token`, `npm run keys:rotate`): the
 * configured one, or the embedded server under DATA_DIR (its passwords are kept beside it). When
 * the embedded server is not running, it is started for the script (migrations, seed, keys) and
 * stopped again by `close`. With `create: false` nothing is made: a DATA_DIR without an embedded
 * PostgreSQL is a NoEmbeddedDatabaseError, a missing data key a NoDataKeyError.
 */
export async function databaseForScript(
  config: Config,
  log: FastifyBaseLogger,
  opts: { create?: boolean } = {},
): Promise<{ url: string; ownerUrl?: string; dataKey: Buffer; close(): Promise<void> }> {
  const create = opts.create !== false;
  const secretFile = `${path.join(config.dataDir, 'postgres')}.secret.json`;
  if (!config.database.url && !create && !existsSync(secretFile)) throw new NoEmbeddedDatabaseError(config.dataDir, secretFile);
  const dataKey = await loadOrCreateDataKey(config.secretsKeyFile, { create });
  if (config.database.url) return { url: config.database.url, ownerUrl: config.database.ownerUrl, dataKey, close: async () => undefined };
  const { readFile } = await import('node:fs/promises');
  const secrets = await readFile(secretFile, 'utf8').then((t) => JSON.parse(t) as { password: string; apiPassword: string }).catch(() => null);
  if (secrets) {
    const base = `postgresql://127.0.0.1:${config.database.embeddedPort}/en_akte`;
    const url = withLogin(base, API_LOGIN, secrets.apiPassword);
    const pg = (await import('pg')).default;
    const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
    const running = await probe.connect().then(() => true, () => false);
    await probe.end().catch(() => undefined);
    if (running) return { url, ownerUrl: withLogin(base, 'postgres', secrets.password), dataKey, close: async () => undefined };
  }
  const infra = await startInfrastructure(config, log, { worker: false });
  return {
    url: infra.databaseUrl,
    dataKey,
    async close() {
      await infra.keys.close();
      await infra.db.$disconnect();
      await infra.replicaDb?.$disconnect();
      await infra.telemetry.shutdown();
      await infra.stop();
    },
  };
}

/** A URL for the log: user name and password removed (an OTLP endpoint may carry them). */
function withoutUserinfo(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
