import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { loadOrCreateSigningKeys } from './auth/keys.js';
import type { AppDeps } from './app.js';
import type { Config } from './config.js';
import { createDb } from './db/client.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { seedTenants } from './db/seed.js';
import { createIdempotencyRepo } from './db/idempotency-repo.js';
import { createTenantTx } from './db/tenant-tx.js';
import { createTenantRepo } from './modules/tenants/repo.js';
import { createSweeper } from './modules/versions/sweeper.js';
import { createBlobStore } from './storage/index.js';

/** Reference data is written by the owner: the API role may only read the tenant directory. */
async function seedWithOwner(url: string): Promise<number> {
  const owner = createDb(url, 1, { role: null });
  try {
    return await seedTenants(owner);
  } finally {
    await owner.$disconnect();
  }
}

export interface Infrastructure extends AppDeps {
  /** Stops what bootstrap started (the embedded PostgreSQL); the app closes its own pool. */
  stop(): Promise<void>;
}

/**
 * Brings up what the app needs: PostgreSQL (external, or embedded under DATA_DIR), migrations and
 * the tenant seed, storage with one bucket per tenant, and the signing keys.
 */
export async function startInfrastructure(config: Config, log: FastifyBaseLogger): Promise<Infrastructure> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.database.url;
  if (!url) {
    log.info({ dir: path.join(config.dataDir, 'postgres'), port: config.database.embeddedPort }, 'starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({
      dir: path.join(config.dataDir, 'postgres'),
      port: config.database.embeddedPort,
      persistent: true,
      onLog: (line) => line && log.debug({ postgres: line }),
    });
    url = embedded.url;
  }
  try {
    const migrated = await migrate(url);
    if (migrated.applied.length) log.info({ applied: migrated.applied }, 'migrations applied');
    const added = await seedWithOwner(url);
    const db = createDb(url, config.database.poolMax);
    if (added) log.info({ added }, 'seeded tenants');

    const storage = createBlobStore(config.storage);
    for (const slug of await createTenantRepo(db).listSlugs()) await storage.ensureBucket(slug);
    log.info({ storage: storage.kind }, 'storage ready');

    const keys = await loadOrCreateSigningKeys(config.auth.keyFile);
    return {
      config,
      db,
      storage,
      keys,
      stop: async () => {
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

/** The sweeper over this infrastructure (server.ts runs it periodically, `npm run sweep` once). */
export function sweeperFor(infra: Infrastructure, log: FastifyBaseLogger) {
  const tx = createTenantTx(infra.db);
  return createSweeper({
    tx,
    storage: infra.storage,
    idempotency: createIdempotencyRepo(tx),
    tenants: () => createTenantRepo(infra.db).listRefs(),
    staleAfterMs: infra.config.uploads.staleAfterSeconds * 1000,
    log,
  });
}
