// Collects leftovers now, in this process: `npm run sweep` (stale uploads, expired idempotency keys,
// old events and deliveries); `npm run sweep -- --deep` also removes objects that no version
// references (a sanity check). The scheduled sweep runs in the workers (SWEEP_INTERVAL_SECONDS).
// The same as `en-akte sweep` (src/maintenance.ts).
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { runSweep } from '../src/maintenance.js';

const config = loadConfig();
console.log(JSON.stringify(await runSweep(config, pino({ level: config.logLevel }), { deep: process.argv.includes('--deep') })));
