import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/db/embedded.js';
import { ensureMinioBinary } from '../../support/minio-server.js';
import { freePort } from '../../support/ports.js';
import { prepareWithApiLogin } from '../../support/postgres.js';

/**
 * Real PostgreSQL and MinIO processes that a fault scenario may stop and start again on the same
 * port and the same data: what an operator's restart (or a crash) of the dependency is.
 */

export interface RestartablePostgres {
  ownerUrl: string;
  /** The API's own login (owns nothing; row-level security applies). */
  apiUrl: string;
  port: number;
  /** Fast shutdown (SIGINT: open transactions are rolled back, sessions terminated with 57P01). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'en-akte-faults-pg-'));
  await chmod(root, 0o755);
  const port = await freePort();
  const opts = { dir: path.join(root, 'cluster'), port, persistent: true };
  let db: EmbeddedDatabase | undefined = await startEmbeddedPostgres(opts);
  const ownerUrl = db.url;
  const clusterDir = db.clusterDir;
  let apiUrl: string;
  try {
    apiUrl = await prepareWithApiLogin(ownerUrl);
  } catch (err) {
    await db.stop();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return {
    ownerUrl,
    apiUrl,
    port,
    async stop() {
      await db?.stop();
      db = undefined;
    },
    async start() {
      db ??= await startEmbeddedPostgres(opts);
    },
    async destroy() {
      await db?.stop().catch(() => undefined);
      db = undefined;
      await rm(root, { recursive: true, force: true });
      if (!clusterDir.startsWith(root)) await rm(clusterDir, { recursive: true, force: true });
    },
  };
}

export const MINIO_USER = 'en-akte-faults';
export const MINIO_PASSWORD = 'en-akte-faults-secret';

export interface MinioNode {
  endpoint: string;
  port: number;
  /** Whether its process is running. */
  running(): boolean;
  start(): Promise<void>;
  /** SIGTERM (MinIO's own stop), or SIGKILL for a crash; waits until the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * One MinIO server process. `volumes` is what follows `minio server`: one directory (a single
 * drive), or the endpoint list of a distributed pool (`http://127.0.0.1:{p1...p4}/dir{1...4}`
 * style, every node given the same list). `ready` waits for this node's health (for a pool: the
 * cluster's write quorum).
 */
export function minioNode(opts: { port: number; volumes: string[]; env?: Record<string, string>; onLog?: (line: string) => void }): MinioNode {
  const binary = ensureMinioBinary();
  let child: ChildProcess | undefined;
  let stderr = '';
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const node: MinioNode = {
    endpoint,
    port: opts.port,
    running: () => !!child && child.exitCode === null && child.signalCode === null,
    async start() {
      if (node.running()) return;
      const consolePort = await freePort();
      child = spawn(binary, ['server', ...opts.volumes, '--address', `127.0.0.1:${opts.port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
        env: {
          ...process.env,
          MINIO_ROOT_USER: MINIO_USER,
          MINIO_ROOT_PASSWORD: MINIO_PASSWORD,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
          MINIO_CALLHOME_ENABLE: 'off',
          ...opts.env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
        opts.onLog?.(d.toString());
      });
    },
    async stop(signal = 'SIGTERM') {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill(signal);
      await Promise.race([exited, sleep(10_000).then(() => c.kill('SIGKILL'))]);
      await exited;
    },
  };
  Object.defineProperty(node, 'stderr', { get: () => stderr });
  return node;
}

/** Waits until `url` answers 200 (MinIO's /minio/health/ready or /minio/health/cluster). */
export async function waitHealthy(url: string, timeoutMs = 60_000, what = url): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become healthy in ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** A single-drive MinIO in its own directory: start, stop, start again with the same data. */
export async function startRestartableMinio(): Promise<MinioNode & { destroy(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-faults-minio-'));
  await mkdir(dir, { recursive: true });
  const node = minioNode({ port: await freePort(), volumes: [dir] });
  await node.start();
  await waitHealthy(`${node.endpoint}/minio/health/ready`, 30_000, 'MinIO');
  return Object.assign(node, {
    async destroy() {
      await node.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  });
}
