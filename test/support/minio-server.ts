import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

/**
 * A real MinIO server for tests and benchmarks.
 * Order: S3_ENDPOINT (an external server) → a cached `minio` binary → build one with Go.
 * MinIO stopped shipping binaries; building from source is what its own docs describe.
 */
export const MINIO_MODULE = 'github.com/minio/minio';
/** Pinned: the newest version the Go module proxy served when this was written (2026-02-12 build). */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

export interface S3Target {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** The server process this harness started (none for S3_ENDPOINT). */
  pid?: number;
  stop(): Promise<void>;
}

export const cacheDir = () => process.env.EN_AKTE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'en-akte');

function findGo(): string | null {
  for (const candidate of [process.env.GO_BINARY, 'go', '/usr/local/go/bin/go', path.join(os.homedir(), 'go', 'bin', 'go')]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** Path of a MinIO binary, building it with `go install` when none is cached. */
export function ensureMinioBinary(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  if (process.env.MINIO_BINARY) {
    if (!existsSync(process.env.MINIO_BINARY)) throw new Error(`MINIO_BINARY=${process.env.MINIO_BINARY} does not exist`);
    return process.env.MINIO_BINARY;
  }
  const binDir = path.join(cacheDir(), 'bin');
  const cached = path.join(binDir, 'minio');
  if (existsSync(cached)) return cached;
  const onPath = spawnSync('sh', ['-c', 'command -v minio'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();

  const go = findGo();
  if (!go) {
    throw new Error(
      'No MinIO server available. Provide one of: S3_ENDPOINT (+ S3_ACCESS_KEY, S3_SECRET_KEY) of a running ' +
        'S3-compatible server; MINIO_BINARY=/path/to/minio; a `minio` on PATH; or a Go toolchain (go on PATH or ' +
        `/usr/local/go/bin) so the tests can build ${MINIO_MODULE}@${MINIO_VERSION} into ${binDir}.`,
    );
  }
  mkdirSync(binDir, { recursive: true });
  log(`[minio] no cached binary: building ${MINIO_MODULE}@${MINIO_VERSION} with ${go} into ${binDir} (one-off, several minutes)…`);
  const started = Date.now();
  const result = spawnSync(go, ['install', '-v', `${MINIO_MODULE}@${MINIO_VERSION}`], {
    env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 || !existsSync(cached)) {
    throw new Error(`Building MinIO failed (go install exit ${result.status}). Set MINIO_BINARY or S3_ENDPOINT instead.`);
  }
  log(`[minio] built in ${Math.round((Date.now() - started) / 1000)} s: ${cached}`);
  return cached;
}

/** Starts MinIO on a free loopback port with a throw-away data directory (or uses S3_ENDPOINT). */
export async function startMinio(): Promise<S3Target> {
  if (process.env.S3_ENDPOINT) {
    if (!process.env.S3_ACCESS_KEY || !process.env.S3_SECRET_KEY) {
      throw new Error('S3_ENDPOINT is set: set S3_ACCESS_KEY and S3_SECRET_KEY too');
    }
    return {
      endpoint: process.env.S3_ENDPOINT,
      accessKey: process.env.S3_ACCESS_KEY,
      secretKey: process.env.S3_SECRET_KEY,
      stop: async () => undefined,
    };
  }
  const binary = ensureMinioBinary();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-minio-'));
  await mkdir(dataDir, { recursive: true });
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKey = 'en-akte-test';
  const secretKey = 'en-akte-test-secret';
  const child: ChildProcess = spawn(
    binary,
    ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    {
      env: {
        ...process.env,
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CALLHOME_ENABLE: 'off',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`MinIO exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${endpoint}/minio/health/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`MinIO did not become ready in 30 s: ${stderr}`);
    }
    await sleep(100);
  }
  return {
    endpoint,
    accessKey,
    secretKey,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
