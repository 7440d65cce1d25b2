import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMinio, type S3Target } from '../../test/support/minio-server.js';
import { freePort } from '../../test/support/ports.js';
import { prepareWithApiLogin, startTestPostgres, type TestDatabase } from '../../test/support/postgres.js';
import { startTogether } from '../../test/support/services.js';

export interface BenchServer {
  url: string;
  pid: number;
  s3: S3Target;
  /** `db.url` is the owner (seeding, baselines); the API connects with `apiUrl`, its own login. */
  db: TestDatabase;
  apiUrl: string;
  env: Record<string, string>;
  /** Current and peak resident set size of the API process, in bytes (from /proc). */
  rss(): { current: number; peak: number };
  stop(): Promise<void>;
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The real service (src/server.ts) in its own process, on real PostgreSQL and MinIO. */
export async function startBenchServer(extraEnv: Record<string, string> = {}, opts: { nodeArgs?: string[] } = {}): Promise<BenchServer> {
  const [db, s3] = await startTogether(() => startTestPostgres(), startMinio);
  const apiUrl = await prepareWithApiLogin(db.url);
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'en-akte-bench-')),
    DATABASE_URL: apiUrl,
    DATABASE_OWNER_URL: db.url,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    SWEEP_INTERVAL_SECONDS: '0',
    // One caller (one token) sends every request of a scenario: the default 1 200 a minute would
    // answer 429 within seconds. The count is still sent on every request (the baseline sends it too).
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...extraEnv,
  } as Record<string, string>;
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', 'src/server.ts'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // starting
    }
    if (i > 600) throw new Error('server did not become ready');
    await sleep(100);
  }
  return {
    url,
    pid: child.pid!,
    s3,
    db,
    apiUrl,
    env,
    rss: () => ({ current: procStatus(child.pid!, 'VmRSS'), peak: procStatus(child.pid!, 'VmHWM') }),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await Promise.all([s3.stop(), db.stop()]);
      await rm(env.DATA_DIR!, { recursive: true, force: true });
    },
  };
}
