import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import enAkte, { serverOptions, VERSION } from './app.js';
import { startInfrastructure } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { UnsafeLoginError } from './db/logins.js';
import { outageOf } from './lib/unavailable.js';
import { startJobs, type Worker } from './jobs/index.js';
import { serveMetrics } from './plugins/metrics.js';
import { createServices } from './services.js';

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

const app = Fastify(serverOptions(config)).withTypeProvider<TypeBoxTypeProvider>();
const infra = await startInfrastructure(config, app.log, { worker: config.jobs.inProcess }).catch(refuseToStart);
await app.register(enAkte, infra);

// The embedded default runs the worker in the same process; API-only instances set WORKER_IN_PROCESS=false.
let worker: Worker | undefined;
if (config.jobs.inProcess) {
  worker = await startJobs({
    boss: infra.jobs,
    services: createServices({ ...infra, version: VERSION }),
    config,
    databaseUrl: infra.databaseUrl,
    log: app.log.child({ component: 'worker' }),
  });
}

// Metrics on a listener of their own (loopback by default), not on the API port.
const metricsServer = config.metrics.port > 0 ? await serveMetrics(app.metrics, config.metrics.host, config.metrics.port, config.metrics.token) : undefined;
app.addHook('onClose', async () => {
  await new Promise((resolve) => (metricsServer ? metricsServer.close(resolve) : resolve(undefined)));
});

let closing: Promise<void> | undefined;
let closingSince = 0;

/** Running jobs and in-flight requests finish (new requests get 503), then the pool closes and the embedded PostgreSQL stops. */
function shutdown(reason: string, code: number) {
  closingSince = Date.now();
  app.log.info({ reason }, 'shutting down');
  const timer = setTimeout(() => {
    app.log.error(`still closing after ${config.shutdownGraceMs} ms, exiting`);
    process.exit(1);
  }, config.shutdownGraceMs);
  timer.unref();
  closing = (worker?.stop() ?? Promise.resolve())
    .then(() => app.close())
    .then(() => infra.stop())
    .then(
      () => process.exit(code),
      (err: unknown) => {
        app.log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!closing) return shutdown(signal, 0);
    // One Ctrl-C reaches us twice (from the terminal and forwarded by npm): only a later press forces exit.
    if (Date.now() - closingSince > 1_000) {
      app.log.warn(`second ${signal}, exiting without waiting`);
      process.exit(130);
    }
  });
}
process.on('uncaughtException', (err) => {
  app.log.fatal({ err }, 'uncaught exception');
  if (!closing) shutdown('uncaughtException', 1);
});
process.on('unhandledRejection', (err) => {
  // pg-boss (10.x) completes and fails jobs without awaiting it: while PostgreSQL restarts, those
  // calls reject unhandled. A dependency outage is no reason to die (test/faults): the jobs expire
  // and run again, and the pool reconnects.
  if (outageOf(err)) {
    app.log.warn({ err, outage: outageOf(err) }, 'unhandled rejection during a dependency outage (ignored)');
    return;
  }
  app.log.fatal({ err }, 'unhandled rejection');
  if (!closing) shutdown('unhandledRejection', 1);
});

try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  app.log.error({ err }, 'could not listen');
  await infra.stop();
  process.exit(1);
}
