import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { errors } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Prometheus metrics: process defaults plus request duration by route and status. They are not on
 * the API port by default: `serveMetrics` puts them on a listener of their own (METRICS_HOST,
 * METRICS_PORT; loopback unless configured). With METRICS_PORT=0 they are on the API port at
 * /metrics instead, and only with `Authorization: Bearer <METRICS_TOKEN>`.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance, opts: { token?: string; onApiPort: boolean }) {
    // One registry per app instance, so several apps in one process (tests) do not collide.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'en_akte_' });
    const duration = new Histogram({
      name: 'en_akte_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers: [registry],
    });
    app.decorate('metrics', registry);

    app.addHook('onResponse', async (request, reply) => {
      // The route template, never the raw URL: ids would explode the label space.
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
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
        const header = request.headers.authorization ?? '';
        const m = /^Bearer (.+)$/i.exec(header);
        if (!m) throw errors.unauthenticated();
        if (!sameToken(m[1]!, token)) throw errors.invalidToken('The metrics token is not valid');
        reply.type(registry.contentType);
        return registry.metrics();
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
    const presented = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
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
