import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import underPressure from '@fastify/under-pressure';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type PgBoss from 'pg-boss';
import { uuidv7 } from 'uuidv7';
import { Counter } from 'prom-client';
import type { SigningKeys } from './auth/keys.js';
import type { Config } from './config.js';
import { poolOf, type Db } from './db/client.js';
import { errors, setProblemBase } from './errors.js';
import { schemaController } from './lib/validation.js';
import { redactCapabilityPath } from './lib/redact.js';
import { AuditEventSchema, auditRoutes } from './modules/audit/index.js';
import { clientRoutes, tokenRoute } from './modules/clients/index.js';
import { filePlanRoutes } from './modules/file-plan/index.js';
import { grantRoutes } from './modules/grants/index.js';
import { healthRoutes } from './modules/health/index.js';
import { jobRegistry } from './jobs/index.js';
import { onlineRoutes, statusRoutes } from './modules/online/index.js';
import { operationsRepo } from './modules/operations/index.js';
import { problemRoutes } from './modules/problems/index.js';
import { recordRoutes } from './modules/records/index.js';
import { searchRoutes } from './modules/search/index.js';
import { tenantRoutes } from './modules/tenants/index.js';
import { webhookRoutes } from './modules/webhooks/index.js';
import { handoverRoutes, xdomeaAussonderungRoutes, xdomeaRoutes } from './modules/xdomea/index.js';
import authPlugin from './plugins/auth.js';
import errorsPlugin, { sendProblem } from './plugins/errors.js';
import idempotencyPlugin from './plugins/idempotency.js';
import metricsPlugin from './plugins/metrics.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import swaggerPlugin from './plugins/swagger.js';
import tracingPlugin from './plugins/tracing.js';
import tenantContext from './plugins/tenant-context.js';
import { createServices } from './services.js';
import type { BlobStore } from './storage/index.js';
import { noTelemetry, type Telemetry } from './telemetry/index.js';

export interface AppDeps {
  config: Config;
  db: Db;
  /** The API login on a streaming replica (DATABASE_REPLICA_URL), for heavy reads. */
  replicaDb?: Db;
  storage: BlobStore;
  keys: SigningKeys;
  /** pg-boss (started by a worker, or not): the API writes jobs with its SQL inside units of work. */
  jobs: PgBoss;
  /** Seals stored secrets (webhook signing secrets). */
  dataKey: Buffer;
  /** The API login's URL, for what runs beside Prisma (rate-limit counters). */
  databaseUrl: string;
  /**
   * Traces (OTEL_EXPORTER_OTLP_ENDPOINT), the same that instrumented `db` and `storage`; none when
   * absent. The app shuts it down (flushing its spans) when it closes.
   */
  telemetry?: Telemetry;
}

export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify server options: logger, limits, request ids, strict validation. */
export function serverOptions(config: Config, logger: FastifyServerOptions['logger'] = true): FastifyServerOptions {
  // Node's own HTTP server options (Fastify passes `http` to http.createServer): header timeout,
  // checked every second rather than every 30 s.
  const http = { headersTimeout: config.limits.headersTimeoutMs, connectionsCheckingInterval: 1_000 };
  return {
    ...({ http } as object),
    logger:
      logger === true
        ? {
            level: config.logLevel,
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
            // A citizen's status token is a capability in the path: never in the logs.
            serializers: {
              req: (req: { method: string; url: string; hostname?: string; ip?: string }) => ({
                method: req.method,
                url: redactCapabilityPath(req.url),
                hostname: req.hostname,
                remoteAddress: req.ip,
              }),
            },
          }
        : logger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    // Start-up (keys, the seed's catalogue, the first connections) may take longer than Fastify's
    // 10 s on a loaded machine; readiness is what /readyz reports, not a plugin timer.
    pluginTimeout: 60_000,
    // Reuse a caller's request id (a town's portal correlating its own logs), or mint a UUIDv7.
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : uuidv7();
    },
    // Slowloris and friends: headers within HEADERS_TIMEOUT_MS, the whole request within
    // REQUEST_TIMEOUT_MS, and no connection idle for longer than CONNECTION_IDLE_TIMEOUT_MS.
    connectionTimeout: config.limits.connectionIdleTimeoutMs,
    requestTimeout: config.limits.requestTimeoutMs,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    schemaController,
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 200 },
    frameworkErrors: (error, request, reply) => {
      request.log.info({ code: error.code }, 'framework error');
      return sendProblem(reply, errors.badRequest(error.message));
    },
    clientErrorHandler: (err, socket) => {
      // Errors before a request exists (oversized headers, garbage on the wire): answer problem+json.
      if (!socket.writable) return;
      const code = (err as NodeJS.ErrnoException).code;
      const problem =
        code === 'HPE_HEADER_OVERFLOW'
          ? errors.headersTooLarge()
          : code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? errors.requestTimeout()
            : errors.badRequest('The HTTP request is malformed');
      const body = JSON.stringify({ type: problem.type, title: problem.title, status: problem.status, detail: problem.message, code: problem.code });
      socket.end(
        `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  };
}

/**
 * The EN-Akte application as a Fastify plugin. Everything it talks to arrives in `deps`, so tests
 * and the OpenAPI generator build the same app that `server.ts` runs.
 */
async function enAkte(app: FastifyInstance, deps: AppDeps) {
  const { config, db, storage, keys } = deps;
  const services = createServices({ ...deps, version: VERSION });
  const telemetry = deps.telemetry ?? noTelemetry;
  // Problem types are `<PUBLIC_URL>/problems/<code>`, served by problemRoutes below.
  setProblemBase(config.publicUrl);

  // The request's span first, so that everything the request does below is its child.
  if (telemetry.enabled) await app.register(tracingPlugin, { telemetry });
  // External plugins first.
  await app.register(errorsPlugin, { bodyLimit: config.bodyLimit });
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  // No origin may call the API from a browser unless CORS_ORIGINS names it.
  await app.register(cors, {
    origin: config.corsOrigins.length ? config.corsOrigins : false,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key', 'content-digest', 'content-disposition', 'range', 'if-range', 'x-request-id'],
    exposedHeaders: ['etag', 'location', 'document-etag', 'x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'content-range', 'content-digest', 'repr-digest'],
    maxAge: 600,
  });
  // One hook for what every request needs first: its id on the answer (set here, so that every
  // answer carries it, errors included, without an onSend hook per request) and the header and
  // query limits.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.raw.rawHeaders.length / 2 > config.limits.maxHeaders) {
      throw errors.headersTooLarge(`A request may carry at most ${config.limits.maxHeaders} header fields`);
    }
    const q = request.url.indexOf('?');
    if (q >= 0 && request.url.slice(q + 1).split('&').length > config.limits.maxQueryParameters) {
      throw errors.badRequest(`A request may carry at most ${config.limits.maxQueryParameters} query parameters`);
    }
  });
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    // A rejected promise hands the error to our error handler (problem+json) and stops the request.
    pressureHandler: async (_request, _reply, type, value) => {
      throw errors.unavailable(`Server under pressure (${type}: ${Math.round(Number(value))}); retry shortly`);
    },
  });
  await app.register(swaggerPlugin, { publicUrl: config.publicUrl, version: VERSION });
  const operations = operationsRepo(db);
  await app.register(metricsPlugin, {
    onApiPort: config.metrics.port === 0,
    token: config.metrics.token,
    pool: poolOf(db),
    readings: operations.readings,
    include: [jobRegistry],
  });
  await app.register(authPlugin, { auth: config.auth, keys });
  await app.register(rateLimitPlugin, { databaseUrl: deps.databaseUrl, ...config.rateLimits });
  await app.register(tenantContext, {
    resolveTenant: services.tenants.resolve,
    isActive: services.tenants.isActive,
    grantFor: services.grantsApi.activeGrantFor,
    recordGrantRead: (ctx, read) =>
      services.scope(ctx, async (uow) => {
        await uow.audit.append({ action: 'grant.read', objectType: 'request', objectId: read.objectId, new: { route: read.route, url: read.url } });
      }),
  });
  const clients = services.clients((claims) => app.tokens.sign(claims));
  await app.register(tokenRoute, { service: clients, limit: app.limitTokenRequest });
  await app.register(idempotencyPlugin, { scope: services.scope });

  // JSON only unless a route says otherwise (content uploads register their own parsers).
  app.removeContentTypeParser('text/plain');
  // An empty body with Content-Type: application/json is no body: operations whose body is optional
  // (a check-out, a retire) take their defaults; a required body still fails its schema (400).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, String(body), done));

  app.addHook('onClose', async () => {
    await db.$disconnect();
    await deps.replicaDb?.$disconnect();
    await keys.close();
    // Last: the spans of everything above are exported before the process goes.
    await telemetry.shutdown();
  });
  const router = services.readRouter;
  if (router) {
    new Counter({
      name: 'en_akte_db_reads_total',
      help: 'Heavy reads (audit, search, file lists) by the server that answered: replica, or primary (the caller wrote lately, or the replica failed: fallback counts those)',
      labelNames: ['server'] as const,
      registers: [app.metrics],
      collect() {
        this.reset();
        for (const server of ['replica', 'primary', 'fallback'] as const) this.inc({ server }, router.counts[server]);
      },
    });
  }

  await app.register(healthRoutes, {
    probes: [
      { name: 'database', check: async () => void (await db.$queryRaw`SELECT 1`) },
      { name: 'storage', check: () => storage.ping() },
    ],
  });

  // The error catalogue, where the problem types point: public, like the contract.
  await app.register(problemRoutes);

  // The citizen's status lookup: no token of ours (a status token, or the citizen IdP's).
  await app.register(statusRoutes, { prefix: '/v1', status: services.status, limit: app.limitStatusLookup });

  // Every /v1 route requires a verified bearer token.
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', v1.authenticate);
      v1.addHook('onRequest', v1.requireActiveTenant);
      v1.addHook('onRequest', v1.limitCaller);
      await v1.register(tenantRoutes, { service: services.tenantService });
      // Everything under a tenant: the caller must belong to it; POSTs honour Idempotency-Key.
      await v1.register(
        async (scoped) => {
          scoped.addHook('preHandler', scoped.resolveTenant);
          scoped.addHook('preHandler', scoped.checkIdempotency);
          // Shared by the audit and support-grant routes.
          scoped.addSchema(AuditEventSchema);
          await scoped.register(filePlanRoutes, { service: services.filePlanApi });
          // The version routes take every body as a stream, in a context of their own.
          await scoped.register(recordRoutes, { records: services.recordsApi, workflows: services.workflows, maxBytes: config.uploads.maxBytes });
          await scoped.register(searchRoutes, { service: services.searchApi });
          await scoped.register(auditRoutes, { service: services.audit });
          await scoped.register(grantRoutes, { service: services.grantsApi, audit: services.audit });
          await scoped.register(clientRoutes, { service: clients });
          await scoped.register(onlineRoutes, { service: services.onlineApi, intake: services.intake, reportPayment: services.reportPayment, maxBytes: config.uploads.maxBytes });
          await scoped.register(webhookRoutes, { service: services.webhooks, maxPerTenant: config.webhooks.maxPerTenant });
          await scoped.register(xdomeaRoutes, { plan: services.xdomeaPlanApi, abgabe: services.xdomeaAbgabe });
          await scoped.register(handoverRoutes, { handover: services.xdomeaHandover });
          await scoped.register(xdomeaAussonderungRoutes, { aussonderung: services.xdomeaAussonderung });
        },
        { prefix: '/tenants/:tenant' },
      );
    },
    { prefix: '/v1' },
  );
}

// Not encapsulated, so that the root instance sees its decorators (swagger(), tokens, metrics).
const enAktePlugin = fp(enAkte, { name: 'en-akte', fastify: '5.x' });
export default enAktePlugin;

/** Builds a ready Fastify instance around `enAkte`. */
export async function buildApp(deps: AppDeps, logger: FastifyServerOptions['logger'] = true) {
  const app = Fastify(serverOptions(deps.config, logger)).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(enAktePlugin, deps);
  await app.ready();
  return app;
}
