// Applies pending migrations and the tenant seed: to DATABASE_URL, or to the embedded cluster under DATA_DIR.
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { seedTenants } from '../src/db/seed.js';

const config = loadConfig();
const embedded = config.database.url
  ? undefined
  : await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.database.embeddedPort, persistent: true });
const url = config.database.url ?? embedded!.url;
try {
  const result = await migrate(url);
  console.log(`migrations: ${result.applied.length} applied (${result.applied.join(', ') || 'none pending'}), ${result.alreadyApplied.length} already applied`);
  const db = createDb(url, 1, { role: null });
  console.log(`seed: ${await seedTenants(db)} tenant(s) added`);
  await db.$disconnect();
} finally {
  await embedded?.stop();
}
