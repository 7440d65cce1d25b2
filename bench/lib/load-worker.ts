// The load generator: autocannon in its own process (forked by bench/lib/load.ts), so that neither
// the service nor the orchestrator shares an event loop with the client side of the measurement.
// Receives LoadJob messages over IPC and answers each with a LoadResult.
import autocannon from 'autocannon';
import type { LoadJob, LoadReply, LoadResult } from './load.js';

function run(job: LoadJob): Promise<LoadResult> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.origin,
        connections: job.connections,
        duration: job.seconds,
        headers: job.headers,
        timeout: 20,
        // Each request takes the next path of the list, so reads spread over many rows.
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              req.path = job.paths[next++ % job.paths.length]!;
              return req;
            },
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const ok = r['2xx'];
        resolve({
          requests: ok,
          seconds: r.duration,
          rps: ok / r.duration,
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count ?? 0])),
        });
      },
    );
  });
}

process.on('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send!({ id: job.id, result } satisfies LoadReply),
    (err: unknown) => process.send!({ id: job.id, error: String((err as Error)?.stack ?? err) } satisfies LoadReply),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ id: 0, ready: true } satisfies LoadReply);
