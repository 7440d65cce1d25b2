import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One autocannon run: `connections` clients send GETs to `paths` (round-robin) for `seconds`. */
export interface LoadJob {
  id: number;
  origin: string;
  paths: string[];
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  /** 2xx responses. */
  requests: number;
  seconds: number;
  /** 2xx responses per second. */
  rps: number;
  /** Latency percentiles of 2xx responses in ms (autocannon records whole milliseconds). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export type LoadReply = { id: number; ready?: boolean; result?: LoadResult; error?: string };

/** A forked load-generator process (bench/lib/load-worker.ts) that runs jobs one at a time. */
export interface LoadGenerator {
  run(job: Omit<LoadJob, 'id'>): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startLoadGenerator(): Promise<LoadGenerator> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./load-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  let seq = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    child.on('message', (m: LoadReply) => {
      if (m.ready) return resolve();
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.result) p.resolve(m.result);
      else p.reject(new Error(`load generator: ${m.error}`));
    });
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`load generator exited with ${code}`));
    pending.clear();
  });
  await ready;
  return {
    run(job) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...job, id } satisfies LoadJob);
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

/** Throws when a run had any failed request: a benchmark over errors measures nothing. */
export function assertClean(label: string, r: LoadResult) {
  if (r.non2xx || r.errors || r.timeouts || r.requests === 0) {
    throw new Error(`${label}: ${r.requests} ok, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`);
  }
}
