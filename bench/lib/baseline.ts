import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Baseline {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/lib/baseline-server.ts (bare Fastify + pg, same SQL as the API) in its own process. */
export function startBaseline(databaseUrl: string, poolMax: number, nodeArgs: string[] = []): Promise<Baseline> {
  return startChild('baseline-server.ts', { DATABASE_URL: databaseUrl, DB_POOL_MAX: String(poolMax), PORT: '0' }, nodeArgs);
}

/** Starts bench/lib/pipe-proxy-server.ts: a bare Node.js proxy in front of `upstream` (MinIO). */
export function startPipeProxy(upstream: string): Promise<Baseline> {
  return startChild('pipe-proxy-server.ts', { UPSTREAM: upstream }, []);
}

/** A bench helper server in its own process; resolves once it prints `listening <port>`. */
function startChild(script: string, env: Record<string, string>, nodeArgs: string[]): Promise<Baseline> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(new URL(`./${script}`, import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${m[1]}`,
        pid: child.pid!,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
