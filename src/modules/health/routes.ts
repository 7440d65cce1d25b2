import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../../errors.js';
import { publicAccess } from '../../schemas/access.js';
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
        ...publicAccess(
          'Answers 200 `{"status":"ok"}` as long as the process serves requests; it checks no dependency (that is /readyz), so an ' +
            'orchestrator restarts the process only when it hangs. Not rate-limited and not logged below warn.',
          'no token; for load balancers and orchestrators',
        ),
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
        ...publicAccess(
          'Checks every dependency (PostgreSQL, object storage) and answers 200 with each one `up`, or 503 unavailable ' +
            '(problem+json, with `checks`) when one does not answer within 2 s. Load balancers route on it. Not rate-limited.',
          'no token; for load balancers and orchestrators',
        ),
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
