import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import enAkte, { serverOptions } from './app.js';
import { startInfrastructure, sweeperFor } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';


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
const infra = await startInfrastructure(config, app.log);
await app.register(enAkte, infra);

// Background sweeper: leftovers of failed uploads and expired idempotency keys (safe on every instance).
const sweeper = sweeperFor(infra, app.log);
let sweeping: Promise<unknown> = Promise.resolve();
const sweepTimer =
  config.uploads.sweepIntervalSeconds > 0
    ? setInterval(() => {
        sweeping = sweeper.sweep().catch((err: unknown) => app.log.error({ err }, 'sweep failed'));
      }, config.uploads.sweepIntervalSeconds * 1000)
    : undefined;
sweepTimer?.unref();
app.addHook('onClose', async () => {
  clearInterval(sweepTimer);
  await sweeping;
});

let closing: Promise<void> | undefined;
let closingSince = 0;

/** In-flight requests finish (new ones get 503), then the pool closes and the embedded PostgreSQL stops. */
function shutdown(reason: string, code: number) {
  closingSince = Date.now();
  app.log.info({ reason }, 'shutting down');
  const timer = setTimeout(() => {
    app.log.error(`still closing after ${config.shutdownGraceMs} ms, exiting`);
    process.exit(1);
  }, config.shutdownGraceMs);
  timer.unref();
  closing = app
    .close()
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
