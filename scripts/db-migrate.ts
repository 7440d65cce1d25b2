// Prepares the database as its owner: migrations, the tenant seed and the job queues. On
// DATABASE_OWNER_URL, or on the embedded cluster under DATA_DIR (which also gets its API login).
import path from 'node:path';
import { prepareDatabase } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { API_LOGIN } from '../src/db/client.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { ensureApiLogin } from '../src/db/logins.js';

const config = loadConfig();
const embedded = config.database.ownerUrl
  ? undefined
  : await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.database.embeddedPort, persistent: true });
const ownerUrl = config.database.ownerUrl ?? embedded!.url;
try {
  const result = await prepareDatabase(ownerUrl);
  if (embedded) await ensureApiLogin(ownerUrl, API_LOGIN, embedded.apiPassword);
  console.log(`migrations: ${result.applied.length} applied (${result.applied.join(', ') || 'none pending'}), ${result.alreadyApplied.length} already applied`);
  for (const warning of result.warnings) console.warn(`warning: ${warning}`);
  console.log(`seed: ${result.seeded} tenant(s) added; job queues installed`);
} finally {
  await embedded?.stop();
}
