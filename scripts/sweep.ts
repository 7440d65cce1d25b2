// Collects leftovers now, in this process: `npm run sweep` (stale uploads, expired idempotency keys,
// old events and deliveries); `npm run sweep -- --deep` also removes objects that no version
// references (a sanity check). The scheduled sweep runs in the workers (SWEEP_INTERVAL_SECONDS).
import pino from 'pino';
import type PgBoss from 'pg-boss';
import { VERSION } from '../src/app.js';
import { startInfrastructure } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { jobDepsOf, jobHandlers, QUEUES } from '../src/jobs/index.js';
import { createServices } from '../src/services.js';

const config = loadConfig();
const log = pino({ level: config.logLevel });
const infra = await startInfrastructure(config, log, { worker: false });
try {
  const services = createServices({ ...infra, version: VERSION });
  const handlers = jobHandlers(jobDepsOf(services, config, log));
  const job = { data: { deep: process.argv.includes('--deep') } } as PgBoss.JobWithMetadata<unknown>;
  console.log(JSON.stringify(await handlers[QUEUES.sweep.name]!(job, infra.jobs)));
} finally {
  await infra.db.$disconnect();
  await infra.stop();
}
