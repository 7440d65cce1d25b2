import { readFileSync } from 'node:fs';
import helmet from '@fastify/helmet';
import underPressure from '@fastify/under-pressure';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { uuidv7 } from 'uuidv7';
import type { SigningKeys } from './auth/keys.js';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { errors } from './errors.js';
import healthRoutes from './modules/health/routes.js';
import { createTenantRepo, referencePatternOf } from './modules/tenants/repo.js';
import fileRoutes from './modules/files/routes.js';
import caseRoutes from './modules/cases/routes.js';
import documentRoutes from './modules/documents/routes.js';
import auditRoutes from './modules/audit/routes.js';
import clientRoutes from './modules/clients/routes.js';
import { createClientService } from './modules/clients/service.js';
import tokenRoute from './modules/clients/token-route.js';
import { AuditEventSchema } from './modules/audit/schemas.js';
import { appendAudit } from './modules/audit/writer.js';
import grantRoutes from './modules/grants/routes.js';
import { createGrantService } from './modules/grants/service.js';
import { createAuditService } from './modules/audit/service.js';
import versionRoutes from './modules/versions/routes.js';
import { createVersionService } from './modules/versions/service.js';
import { createDocumentService } from './modules/documents/service.js';
import { createCaseService } from './modules/cases/service.js';
import { createFileService } from './modules/files/service.js';
import tenantRoutes from './modules/tenants/routes.js';
import { createTenantService } from './modules/tenants/service.js';
import { createIdempotencyRepo } from './db/idempotency-repo.js';
import { createTenantTx } from './db/tenant-tx.js';
import filePlanRoutes from './modules/file-plan/routes.js';
import { createFilePlanService } from './modules/file-plan/service.js';
import authPlugin from './plugins/auth.js';
import idempotencyPlugin from './plugins/idempotency.js';
import tenantContext from './plugins/tenant-context.js';
import { schemaController } from './lib/validation.js';
import errorsPlugin, { sendProblem } from './plugins/errors.js';
import metricsPlugin from './plugins/metrics.js';
import swaggerPlugin from './plugins/swagger.js';
import type { BlobStore } from './storage/index.js';

export interface AppDeps {
  config: Config;
  db: Db;
  storage: BlobStore;
  keys: SigningKeys;
}

export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify server options: logger, limits, request ids, strict validation. */
export function serverOptions(config: Config, logger: FastifyServerOptions['logger'] = true): FastifyServerOptions {
  return {
    logger:
      logger === true
        ? {
            level: config.logLevel,
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
          }
        : logger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    // Reuse a caller's request id (a town's portal correlating its own logs), or mint a UUIDv7.
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : uuidv7();
    },
    connectionTimeout: 0,
    requestTimeout: 0,
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
      const tooLarge = (err as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW';
      const problem = tooLarge ? errors.headersTooLarge() : errors.badRequest('The HTTP request is malformed');
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

  // External plugins first.
  await app.register(errorsPlugin, { bodyLimit: config.bodyLimit });
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    // A rejected promise hands the error to our error handler (problem+json) and stops the request.
    pressureHandler: async (_request, _reply, type, value) => {
      throw errors.unavailable(`Server under pressure (${type}: ${Math.round(Number(value))}); retry shortly`);
    },
  });
  await app.register(swaggerPlugin, { publicUrl: config.publicUrl, version: VERSION });
  await app.register(metricsPlugin);
  await app.register(authPlugin, { auth: config.auth, keys });
  const tx = createTenantTx(db);
  const grants = createGrantService({ tx });
  const audit = createAuditService({ tx });
  await app.register(tenantContext, {
    db,
    grantFor: grants.activeGrantFor,
    recordGrantRead: (caller, tenant, read) =>
      tx(tenant.id, (t) =>
        appendAudit(t, tenant.id, caller, { action: 'grant.read', objectType: 'request', objectId: read.objectId, new: { route: read.route, url: read.url } }),
      ),
  });
  const clients = createClientService({ tx, db, sign: (claims) => app.tokens.sign(claims), tokenTtl: config.auth.tokenTtl });
  await app.register(tokenRoute, { service: clients });
  await app.register(idempotencyPlugin, { repo: createIdempotencyRepo(tx) });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // JSON only unless a route says otherwise (content uploads register their own parsers).
  app.removeContentTypeParser('text/plain');

  app.addHook('onClose', async () => {
    await db.$disconnect();
  });

  await app.register(healthRoutes, {
    probes: [
      { name: 'database', check: async () => void (await db.$queryRaw`SELECT 1`) },
      { name: 'storage', check: () => storage.ping() },
    ],
  });

  // Every /v1 route requires a verified bearer token.
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', v1.authenticate);
      await v1.register(tenantRoutes, { service: createTenantService({ repo: createTenantRepo(db) }) });
      // Everything under a tenant: the caller must belong to it; POSTs honour Idempotency-Key.
      await v1.register(
        async (scoped) => {
          scoped.addHook('preHandler', scoped.resolveTenant);
          scoped.addHook('preHandler', scoped.checkIdempotency);
          // Shared by the audit and support-grant routes.
          scoped.addSchema(AuditEventSchema);
          await scoped.register(filePlanRoutes, { service: createFilePlanService({ tx }) });
          await scoped.register(fileRoutes, { service: createFileService({ tx, referencePattern: referencePatternOf }) });
          await scoped.register(caseRoutes, { service: createCaseService({ tx }) });
          await scoped.register(documentRoutes, { service: createDocumentService({ tx }) });
          await scoped.register(auditRoutes, { service: audit });
          await scoped.register(grantRoutes, { service: grants, audit });
          await scoped.register(clientRoutes, { service: clients });
          await scoped.register(versionRoutes, {
            service: createVersionService({ tx, storage, maxBytes: config.uploads.maxBytes }),
            maxBytes: config.uploads.maxBytes,
          });
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
