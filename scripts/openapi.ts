// Generates openapi/openapi.json from the route schemas (`npm run openapi`), or with --check fails
// when the committed file differs from what the routes produce (CI).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.js';
import { loadOrCreateSigningKeys } from '../src/auth/keys.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { createBoss } from '../src/jobs/index.js';
import { createBlobStore } from '../src/storage/index.js';

const target = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));

/** The spec the routes describe. Nothing is connected: the pool and the store are lazy. */
export async function generateSpec(): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'en-akte-openapi-'));
  try {
    const config = loadConfig({
      PUBLIC_URL: 'https://en-akte.example.org',
      DATA_DIR: tmp,
      DATABASE_URL: 'postgresql://openapi@127.0.0.1:1/none',
      DATABASE_OWNER_URL: 'postgresql://openapi@127.0.0.1:1/none',
      LOG_LEVEL: 'silent',
    });
    const app = await buildApp(
      {
        config,
        db: createDb(config.database.url!, 1),
        storage: createBlobStore(config.storage),
        keys: await loadOrCreateSigningKeys(config.auth.keyFile),
        jobs: createBoss(config.database.url!, { max: 1, supervise: false, pollingIntervalSeconds: 2 }),
        dataKey: randomBytes(32),
        databaseUrl: config.database.url!,
      },
      false,
    );
    const spec = app.swagger();
    await app.close();
    return `${JSON.stringify(spec, null, 2)}\n`;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const spec = await generateSpec();
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== spec) {
      console.error('openapi/openapi.json is out of date with the routes: run `npm run openapi` and commit the result.');
      process.exit(1);
    }
    console.log('openapi/openapi.json is up to date');
  } else {
    await writeFile(target, spec);
    console.log(`wrote ${path.relative(process.cwd(), target)}`);
  }
}
