import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type PgBoss from 'pg-boss';
import { loadOrCreateDataKey } from './auth/data-key.js';
import { loadOrCreateSigningKeys } from './auth/keys.js';
import type { AppDeps } from './app.js';
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

  /** Stops what bootstrap started (the embedded PostgreSQL); the app closes its own pool. */
  stop(): Promise<void>;
}

/**
 * Brings up what the app needs: PostgreSQL (external, or embedded under DATA_DIR), migrations,
 * the tenant seed and the job queues, storage with one bucket per tenant, and the keys.
 */
export async function startInfrastructure(config: Config, log: FastifyBaseLogger, opts: { worker: boolean }): Promise<Infrastructure> {
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
    const db = createDb(url, config.database.poolMax);
    const replicaDb = config.database.replicaUrl ? createDb(config.database.replicaUrl, config.database.poolMax) : undefined;
    await assertSafeApiLogin((sql) => db.$queryRawUnsafe(sql));

    const storage = createBlobStore(config.storage);
    for (const slug of await createTenantRepo(db).listSlugs()) await storage.ensureBucket(slug);
    log.info({ storage: storage.kind }, 'storage ready');

    return {
      config,
      db,
      replicaDb,
      storage,
      keys: await loadOrCreateSigningKeys(config.auth.keyFile),
      dataKey: await loadOrCreateDataKey(config.secretsKeyFile),
      jobs: createBoss(url, { max: 4, supervise: opts.worker, pollingIntervalSeconds: config.jobs.pollingIntervalSeconds }),
      databaseUrl: url,
      stop: async () => {
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
