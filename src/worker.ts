import pino from 'pino';
import { VERSION } from './app.js';
import { startInfrastructure } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { UnsafeLoginError } from './db/logins.js';
import { outageOf } from './lib/unavailable.js';
import { jobRegistry, startJobs } from './jobs/index.js';
import { serveMetrics } from './plugins/metrics.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createServices } from './services.js';

/**
 * `npm run worker`: the job worker alone (sweeper, event dispatch, webhook delivery, grant expiry),
 * beside API-only instances (WORKER_IN_PROCESS=false). Any number may run; schedules still run once.
 */
/** A misconfiguration an operator fixes: say what, without a stack trace. */
function refuseToStart(err: unknown): never {
  if (err instanceof UnsafeLoginError || err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const log = pino({ level: config.logLevel, base: { component: 'worker' } });
const infra = await startInfrastructure(config, log, { worker: true }).catch(refuseToStart);
const worker = await startJobs({ boss: infra.jobs, services: createServices({ ...infra, version: VERSION }), config, databaseUrl: infra.databaseUrl, log });
// Its own metrics (jobs run, webhook attempts, audit anchors, process) on the metrics listener when
// METRICS_PORT is set; beside an API on the same host, give each process a port of its own.
const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'en_akte_' });
const metricsServer = config.metrics.port > 0 ? await serveMetrics(Registry.merge([registry, jobRegistry]), config.metrics.host, config.metrics.port, config.metrics.token) : undefined;
log.info({ metricsPort: metricsServer ? config.metrics.port : null }, 'worker started');

// pg-boss (10.x) completes and fails jobs without awaiting it: while PostgreSQL restarts those calls
// reject unhandled, which would end the process. The jobs expire and run again; anything else is a bug.
process.on('unhandledRejection', (err) => {
  if (outageOf(err)) return log.warn({ err, outage: outageOf(err) }, 'unhandled rejection during a dependency outage (ignored)');
  log.fatal({ err }, 'unhandled rejection');
  process.exit(1);
});

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'stopping worker');
    const timer = setTimeout(() => process.exit(1), config.shutdownGraceMs);
    timer.unref();
    metricsServer?.close();
    worker
      .stop()
      .then(() => infra.db.$disconnect())
      .then(() => infra.telemetry.shutdown())
      .then(() => infra.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          process.exit(1);
        },
      );
  });
}
