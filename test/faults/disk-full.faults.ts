import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { call, Load, slowUpload, tokenOf } from './support/load.js';
import { verifyRecovery } from './support/verify.js';

/**
 * The local-disk store's file system runs full (a 24 MiB tmpfs mounted for the test, so the real
 * kernel says ENOSPC). Uploads that do not fit answer 503 problem+json (code unavailable,
 * dependency disk-full) and leave nothing: no version, no temporary file. Once there is room
 * again, uploads succeed without a restart. Where this machine may not mount a tmpfs (no
 * CAP_SYS_ADMIN, a container without mount rights), the scenario is skipped with that reason.
 */
const TENANT = 'gevelsberg';
const MiB = 1024 * 1024;
const mountPoint = mkdtempSync(path.join(os.tmpdir(), 'en-akte-faults-disk-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0777', 'tmpfs', mountPoint], { encoding: 'utf8' });
const skipReason = mounted.status === 0 ? '' : `cannot mount a tmpfs here (mount exit ${mounted.status}: ${(mounted.stderr || mounted.error?.message || '').trim()}); a disk-full test needs a small real file system`;
if (skipReason) console.log(`[faults] disk full: skipped, ${skipReason}`);

let env: Record<string, string>;
let ownerUrl: string;
let api: ServerProcess | undefined;

beforeAll(async () => {
  if (skipReason) return;
  const db = await isolatedDatabase('faults_disk');
  ownerUrl = db.ownerUrl;
  // No S3_ENDPOINT (empty unsets it): the local-disk store, on the small mount.
  env = { ...db.env, S3_ENDPOINT: '', STORAGE_DIR: mountPoint, WORKER_IN_PROCESS: 'false' };
});
afterAll(async () => {
  await api?.kill('SIGKILL');
  if (!skipReason) spawnSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const free = () => {
  const s = statfsSync(mountPoint);
  return s.bavail * s.bsize;
};
/** Temporary files of uploads in progress (the store's `.incoming` directories). */
const incoming = () => readdirSync(mountPoint).flatMap((bucket) => {
  try {
    return readdirSync(path.join(mountPoint, bucket, '.incoming'));
  } catch {
    return [];
  }
});

describe('the local store\'s disk is full', () => {
  it.skipIf(!!skipReason)('answers 503 problem+json, writes nothing half, and takes uploads again once there is room', async () => {
    api = await startServer(env);
    const base = () => api!.url;
    const token = await tokenOf(TENANT, ['records-manager', 'clerk']);
    const load = new Load(base, TENANT, token, { clients: 2, maxVersionBytes: 16 * 1024 });
    await load.setup();
    load.start();
    await load.progress(20);
    const doc = await load.newDocument('passt nicht');

    // Ballast: what other data took; leaves well under a megabyte.
    const ballast = path.join(mountPoint, 'ballast');
    writeFileSync(ballast, Buffer.alloc(Math.max(0, free() - 512 * 1024)));
    expect(free()).toBeLessThan(MiB);
    const refusals: number[] = [];
    for (let i = 0; i < 3; i++) {
      const up = slowUpload(`${base()}/v1/tenants/${TENANT}/documents/${doc.id}/versions`, token, doc.etag, 4 * MiB, { chunk: 64 * 1024 });
      const answer = await up.answer;
      refusals.push(answer.status);
      expect(answer.status).toBe(503);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 503, code: 'unavailable', dependency: 'disk-full' });
    }
    // Nothing half-written: no version, no temporary file, the space given back.
    const versions = await call(base, TENANT, token, 'GET', `/documents/${doc.id}/versions`);
    expect(versions.json<{ items: unknown[] }>().items).toEqual([]);
    // The steady load keeps writing small versions meanwhile: a file of a put still in flight is
    // gone within moments, a leftover stays. Look until the directory is empty, for at most 5 s.
    for (const until = Date.now() + 5_000; incoming().length > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    expect(incoming()).toEqual([]);
    // Metadata still works while the disk is full.
    expect((await call(base, TENANT, token, 'GET', '/files?limit=5')).status).toBe(200);

    rmSync(ballast);
    const fits = slowUpload(`${base()}/v1/tenants/${TENANT}/documents/${doc.id}/versions`, token, doc.etag, 4 * MiB, { chunk: 64 * 1024 });
    expect((await fits.answer).status).toBe(201);
    await load.progress(10);
    await load.stop();
    const recovery = await verifyRecovery('local disk full', load, { env: testEnv(env), ownerUrl });
    console.log(`[faults] local disk full: uploads of 4 MiB into < 1 MiB answered ${refusals.join(', ')}; failed answers ${JSON.stringify(recovery.failures)}`);
  }, 240_000);
});
