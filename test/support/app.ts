import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { inject } from 'vitest';
import { buildApp, VERSION, type AppDeps } from '../../src/app.js';
import { loadOrCreateDataKey } from '../../src/auth/data-key.js';
import { loadSharedSigningKeys } from '../../src/auth/keys.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDb } from '../../src/db/client.js';
import { createBoss, startJobs, type Worker } from '../../src/jobs/index.js';
import { createServices } from '../../src/services.js';
import { createBlobStore } from '../../src/storage/index.js';
import { createTelemetry } from '../../src/telemetry/index.js';

export const TEST_ISSUER = 'http://en-akte.test';
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';

/** The environment of a test app: the run's real PostgreSQL and MinIO, a throw-away data dir. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const s3 = inject('s3');
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PUBLIC_URL: TEST_ISSUER,
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'en-akte-test-')),
    DATABASE_URL: inject('databaseUrl'),
    DATABASE_OWNER_URL: inject('ownerUrl'),
    AUTH_KEY_FILE: inject('keys').signing,
    SECRETS_KEY_FILE: inject('keys').data,
    DB_POOL_MAX: '5',
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_PART_SIZE: String(5 * 1024 * 1024),
    // Test files share two busy cores; load shedding is tested on its own (http-basics).
    MAX_EVENT_LOOP_DELAY_MS: '0',
    SWEEP_INTERVAL_SECONDS: '0',
    // Tests send bursts from one token; the limits are tested on their own (rate-limits.test.ts).
    RATE_LIMIT_PER_MINUTE: '1000000',
    TOKEN_RATE_LIMIT_PER_MINUTE: '10000',
    TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000',
    JOB_POLL_INTERVAL_SECONDS: '0.5',
    // /metrics on the API port (tokened), so that test processes never compete for the metrics port.
    METRICS_PORT: '0',
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  /** What the app was built from (the same database, storage, keys and job queue). */
  deps: AppDeps;
  /**
   * Starts a job worker over the same deps, as `npm start` does in-process: schedules, the outbox
   * listener, webhook delivery. Stopped by close().
   */
  startWorker(): Promise<Worker>;
  /** A real token of the service's own key for `tenant` with `roles` (and more claims, e.g. clearance). */
  tokenFor(tenant: string, roles?: string[], sub?: string, claims?: Record<string, unknown>): Promise<string>;
  /** app.inject with a fresh token of that tenant and roles. */
  injectAs(tenant: string, roles: string[], opts: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Builds the real app (routes, plugins, auth) against the run's PostgreSQL and MinIO. */
export async function buildTestApp(overrides: Record<string, string> = {}, opts: { keysDatabaseUrl?: string } = {}): Promise<TestApp> {
  // An empty value unsets a variable (as for startServer), e.g. S3_ENDPOINT: '' for the local store.
  const config = loadConfig(Object.fromEntries(Object.entries(testEnv(overrides)).filter(([, v]) => v !== '')));
  const dataKey = await loadOrCreateDataKey(config.secretsKeyFile);
  // Traces only with OTEL_EXPORTER_OTLP_ENDPOINT in `overrides` (test/api/traces.test.ts), as in bootstrap.
  const telemetry = await createTelemetry(config.telemetry, VERSION);
  const deps: AppDeps = {
    config,
    db: createDb(config.database.url!, config.database.poolMax, telemetry),
    replicaDb: config.database.replicaUrl ? createDb(config.database.replicaUrl, config.database.poolMax, telemetry) : undefined,
    storage: createBlobStore(config.storage, telemetry),
    // The keys come from the database (`keysDatabaseUrl`: another one than the app's, for an app
    // whose database went away after it started).
    keys: await loadSharedSigningKeys({ databaseUrl: opts.keysDatabaseUrl ?? config.database.url!, dataKey, importFile: config.auth.keyFile }),
    jobs: createBoss(config.database.url!, { max: 3, supervise: true, pollingIntervalSeconds: config.jobs.pollingIntervalSeconds }),
    dataKey,
    databaseUrl: config.database.url!,
    telemetry,
  };
  const app = await buildApp(deps, process.env.TEST_LOG_LEVEL ? { level: process.env.TEST_LOG_LEVEL } : false);
  let worker: Worker | undefined;
  const tokenFor = (tenant: string, roles: string[] = [], sub = `user@${tenant}`, claims: Record<string, unknown> = {}) =>
    app.tokens.sign({ sub, tenant, roles, ...claims });
  return {
    app,
    config,
    deps,
    async startWorker() {
      worker ??= await startJobs({
        boss: deps.jobs,
        services: createServices({ ...deps, version: VERSION }),
        config,
        databaseUrl: config.database.url!,
        log: app.log,
      });
      return worker;
    },
    tokenFor,
    async injectAs(tenant, roles, opts) {
      const token = await tokenFor(tenant, roles);
      return app.inject({ ...opts, headers: { authorization: `Bearer ${token}`, ...opts.headers } });
    },
    async close() {
      await worker?.stop();
      await app.close();
    },
  };
}
