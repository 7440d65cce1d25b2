// Collects leftovers now: `npm run sweep` (stale uploads, expired idempotency keys),
// `npm run sweep -- --deep` also removes objects that no version references (a sanity check).
import pino from 'pino';
import { startInfrastructure, sweeperFor } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
const log = pino({ level: config.logLevel });
const infra = await startInfrastructure(config, log);
try {
  const sweeper = sweeperFor(infra, log);
  console.log(JSON.stringify(await sweeper.sweep({ deep: process.argv.includes('--deep') })));
} finally {
  await infra.db.$disconnect();
  await infra.stop();
}
