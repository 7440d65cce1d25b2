import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

/** Prometheus metrics at /metrics: process defaults plus request duration by route and status. */
export default fp(
  async function metricsPlugin(app: FastifyInstance) {
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

    app.get(
      '/metrics',
      {
        logLevel: 'warn',
        schema: {
          tags: ['operations'],
          operationId: 'getMetrics',
          summary: 'Prometheus metrics',
          description: 'Prometheus text exposition format. Expose it on the internal network only.',
          produces: ['text/plain'],
          response: { 200: { description: 'Metrics in Prometheus text format', type: 'string' } },
        },
      },
      async (_request, reply) => {
        reply.type(registry.contentType);
        return registry.metrics();
      },
    );
  },
  { name: 'metrics', fastify: '5.x' },
);
