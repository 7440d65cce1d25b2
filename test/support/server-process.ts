import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { testEnv } from './app.js';
import { freePort } from './ports.js';

export interface ServerProcess {
  url: string;
  pid: number;
  /** stderr and stdout so far (the JSON log lines). */
  output(): string;
  /** Sends `signal` and waits until the process is gone. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * The real service, `node src/server.ts`, as its own process on the test run's PostgreSQL and
 * MinIO: what an instance behind a load balancer is. `env` adds to the test environment (an empty
 * value unsets a variable).
 */
export async function startServer(env: Record<string, string> = {}, entry = 'src/server.ts'): Promise<ServerProcess> {
  const port = await freePort();
  // An empty value unsets the variable.
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...testEnv({ PORT: String(port), LOG_LEVEL: 'info', ...env }) }).filter(([, v]) => v !== ''));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  if (entry.endsWith('server.ts')) {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${out.slice(-3000)}`);
      try {
        if ((await fetch(`${url}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (i > 600) throw new Error(`server did not become ready: ${out.slice(-3000)}`);
      await sleep(100);
    }
  } else {
    for (let i = 0; !out.includes('worker started'); i++) {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${out.slice(-3000)}`);
      if (i > 600) throw new Error(`worker did not start: ${out.slice(-3000)}`);
      await sleep(100);
    }
  }
  return {
    url,
    pid: child.pid!,
    output: () => out,
    async kill(signal) {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
