import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../../errors.js';
import { problemResponses } from '../../schemas/common.js';

export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

const Status = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });
const Ready = Type.Object(
  {
    status: Type.Literal('ready'),
    checks: Type.Record(Type.String({ maxLength: 40 }), Type.Literal('up'), { description: 'Each dependency and its state' }),
  },
  { additionalProperties: false },
);

const withTimeout = (p: Promise<void>, ms: number) =>
  Promise.race([p, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);

/** /healthz: the process answers. /readyz: PostgreSQL and storage answer too (load balancers route on it). */
export default async function healthRoutes(app: FastifyInstance, opts: { probes: ReadinessProbe[] }) {
  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      schema: {
        tags: ['operations'],
        operationId: 'getHealth',
        summary: 'Liveness: the process is up',
        response: { 200: Status },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        summary: 'Readiness: PostgreSQL and object storage are reachable',
        description: '503 with the failing checks (problem+json) when a dependency does not answer within 2 s.',
        response: { 200: Ready, ...problemResponses(503) },
      },
    },
    async (request) => {
      const results = await Promise.all(
        opts.probes.map(async (probe) => {
          try {
            await withTimeout(probe.check(), 2_000);
            return [probe.name, 'up'] as const;
          } catch (err) {
            request.log.warn({ err, dependency: probe.name }, 'readiness check failed');
            return [probe.name, 'down'] as const;
          }
        }),
      );
      const checks = Object.fromEntries(results);
      const down = results.filter(([, state]) => state === 'down').map(([name]) => name);
      if (down.length > 0) {
        throw errors.unavailable(`Not ready: ${down.join(', ')} unreachable`, { checks });
      }
      return { status: 'ready' as const, checks: checks as Record<string, 'up'> };
    },
  );
}
