import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errors } from '../errors.js';
import { credentialsFor } from '../lib/authorization.js';
import type { Reading } from '../modules/operations/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface MetricsOptions {
  token?: string;
  onApiPort: boolean;
  /** Operational counts across tenants (webhook deliveries, outbox backlog, audit chain heads, job queues), read at scrape time. */
  readings?: () => Promise<Reading[]>;
  /** The API's database pool. */
  pool?: pg.Pool;
  /** Registries of the process to serve as well (the job worker's). */
  include?: Registry[];
}

/** Operational readings are read once per scrape (shared by its gauges): kept this long. */
const READINGS_TTL_MS = 1_000;

/** Which direction of content a request moved, by its route template: uploads of versions (also tus), downloads of content. */
function contentDirection(request: FastifyRequest, route: string): 'upload' | 'download' | null {
  if ((request.method === 'GET' || request.method === 'HEAD') && route.endsWith('/content')) return request.method === 'GET' ? 'download' : null;
  if ((request.method === 'POST' || request.method === 'PATCH' || request.method === 'PUT') && (/\/versions$|\/uploads(\/|$)|\/attachments$/.test(route))) return 'upload';
  return null;
}

function bytesMoved(direction: 'upload' | 'download', request: FastifyRequest, reply: FastifyReply): number {
  const raw = direction === 'upload' ? request.headers['content-length'] : reply.getHeader('content-length');
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Prometheus metrics: process defaults, requests by route, status and tenant, content throughput,
 * the database pool, and operational counts read at scrape time (job queues, webhook deliveries,
 * outbox backlog, audit chain heads); with the job worker's registry (`include`) also jobs run,
 * webhook attempts and audit anchors. `deploy/grafana/` charts exactly these (a test checks it).
 * They are not on the API port by default: `serveMetrics` puts them on a listener of their own
 * (METRICS_HOST, METRICS_PORT; loopback unless configured). With METRICS_PORT=0 they are on the API
 * port at /metrics instead, and only with `Authorization: Bearer <METRICS_TOKEN>`.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance, opts: MetricsOptions) {
    // One registry per app instance, so several apps in one process (tests) do not collide.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'en_akte_' });
    const duration = new Histogram({
      name: 'en_akte_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template, status and tenant ("-" before or without a tenant)',
      labelNames: ['method', 'route', 'status', 'tenant'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers: [registry],
    });
    const contentBytes = new Counter({
      name: 'en_akte_content_bytes_total',
      help: 'Bytes of content moved by successful uploads (versions, tus parts) and downloads, by direction and tenant',
      labelNames: ['direction', 'tenant'] as const,
      registers: [registry],
    });
    const { pool, readings } = opts;
    if (pool) {
      new Gauge({
        name: 'en_akte_db_pool_connections',
        help: 'Connections of the API database pool: total, idle, and waiting (requests queued for a connection)',
        labelNames: ['state'] as const,
        registers: [registry],
        collect() {
          this.set({ state: 'total' }, pool.totalCount);
          this.set({ state: 'idle' }, pool.idleCount);
          this.set({ state: 'waiting' }, pool.waitingCount);
        },
      });
    }
    if (readings) {
      let cached: { at: number; value: Promise<Reading[]> } | null = null;
      const read = () => {
        if (!cached || Date.now() - cached.at > READINGS_TTL_MS) {
          // A failed read (database down) yields no series this scrape rather than a failed scrape.
          cached = { at: Date.now(), value: readings().catch(() => []) };
        }
        return cached.value;
      };
      const gauge = (name: string, help: string, metric: Reading['metric'], labelNames: string[]) =>
        new Gauge({
          name, help, labelNames, registers: [registry],
          async collect() {
            this.reset();
            for (const r of await read()) if (r.metric === metric) this.set(r.labels, r.value);
          },
        });
      gauge('en_akte_job_queue_jobs', 'Jobs in the pg-boss queues by queue and state (created, retry, active, completed, failed, cancelled)', 'job_queue_jobs', ['queue', 'state']);
      gauge('en_akte_webhook_deliveries', 'Webhook deliveries kept (event retention) by tenant and status (pending, succeeded, failed, cancelled)', 'webhook_deliveries', ['tenant', 'status']);
      gauge('en_akte_outbox_undispatched_events', 'Events committed but not yet dispatched to their consumers, by tenant', 'outbox_undispatched', ['tenant']);
      gauge('en_akte_audit_chain_head_seq', 'Sequence number of the newest audit event per tenant', 'audit_chain_head', ['tenant']);
    }
    const scraped = opts.include?.length ? Registry.merge([registry, ...opts.include]) : registry;
    app.decorate('metrics', scraped);

    app.addHook('onResponse', async (request, reply) => {
      // The route template, never the raw URL: ids would explode the label space. The tenant only
      // once resolved (a known tenant), so unknown slugs cannot either.
      const route = request.routeOptions.url ?? 'unmatched';
      const tenant = request.ctx?.tenant.slug ?? '-';
      duration.observe({ method: request.method, route, status: String(reply.statusCode), tenant }, reply.elapsedTime / 1000);
      if (reply.statusCode >= 300) return;
      const direction = contentDirection(request, route);
      if (direction) {
        const n = bytesMoved(direction, request, reply);
        if (n > 0) contentBytes.inc({ direction, tenant }, n);
      }
    });

    if (!opts.onApiPort) return;
    const token = opts.token!;
    app.get(
      '/metrics',
      {
        logLevel: 'warn',
        schema: {
          tags: ['operations'],
          operationId: 'getMetrics',
          summary: 'Prometheus metrics (only with METRICS_PORT=0; else on the metrics listener)',
          description: 'Prometheus text exposition format. Needs `Authorization: Bearer <METRICS_TOKEN>`.',
          security: [{ metricsToken: [] }],
          produces: ['text/plain'],
          response: { 200: { description: 'Metrics in Prometheus text format', type: 'string' } },
        },
      },
      async (request, reply) => {
        const presented = credentialsFor(request.headers.authorization, 'Bearer');
        if (presented === null) throw errors.unauthenticated();
        if (!sameToken(presented, token)) throw errors.invalidToken('The metrics token is not valid');
        reply.type(scraped.contentType);
        return scraped.metrics();
      },
    );
  },
  { name: 'metrics', fastify: '5.x' },
);

/** The metrics listener of its own (not the API port): GET /metrics, nothing else. */
export async function serveMetrics(registry: Registry, host: string, port: number, token?: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    // With METRICS_TOKEN set, this listener wants it too (a container network is shared).
    const presented = credentialsFor(req.headers.authorization, 'Bearer');
    if (token && !(presented && sameToken(presented, token))) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' }).end('metrics token required\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
