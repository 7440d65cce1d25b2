import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobLockedError } from '../../src/storage/index.js';
import { buildTestApp, testEnv, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { freePort } from '../support/ports.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { call, Load, sha256, tokenOf } from './support/load.js';
import { MINIO_PASSWORD, MINIO_USER, minioNode, waitHealthy, type MinioNode } from './support/processes.js';
import { verifyRecovery } from './support/verify.js';

/**
 * MinIO's own distributed mode: four server processes of the same binary on loopback, one
 * erasure-coded pool of four drives (default parity EC:2, so writes need three drives, reads two).
 * One node is killed (SIGKILL) under load: uploads and downloads go on, and an object under
 * COMPLIANCE retention still refuses deletion.
 *
 * Two settings make a one-machine pool possible: MINIO_CI_CD=on lets MinIO use drives on the root
 * file system (it refuses them in distributed mode otherwise), and inside a container (`/.dockerenv`,
 * as on these build machines) MinIO will not resolve 127.0.0.1 endpoints ("resolves to localhost
 * in a containerized deployment") unless `_MINIO_SERVER_LOCAL` names the node's own endpoint
 * (an internal switch of MinIO's endpoint resolution, cmd/endpoint.go). Neither is needed for
 * a real deployment on separate hosts with their own drives.
 */
const TENANT = 'herdecke';
const container = existsSync('/.dockerenv') || existsSync('/run/.containerenv');
let root: string;
const nodes: MinioNode[] = [];
let api: ServerProcess | undefined;
let t: TestApp | undefined;
let env: Record<string, string>;
let ownerUrl: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'en-akte-faults-pool-'));
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const volumes = ports.map((p, i) => `http://127.0.0.1:${p}${path.join(root, `drive${i + 1}`)}`);
  for (let i = 0; i < 4; i++) await mkdir(path.join(root, `drive${i + 1}`), { recursive: true });
  for (const port of ports) {
    nodes.push(minioNode({ port, volumes, env: { MINIO_CI_CD: 'on', ...(container ? { _MINIO_SERVER_LOCAL: `127.0.0.1:${port}` } : {}) } }));
  }
  await Promise.all(nodes.map((n) => n.start()));
  // The pool is up when a node reports the cluster's write quorum.
  await waitHealthy(`${nodes[0]!.endpoint}/minio/health/cluster`, 90_000, 'the four-node MinIO pool');
  const db = await isolatedDatabase('faults_pool');
  ownerUrl = db.ownerUrl;
  env = { ...db.env, S3_ENDPOINT: nodes[0]!.endpoint, S3_ACCESS_KEY: MINIO_USER, S3_SECRET_KEY: MINIO_PASSWORD, S3_BUCKET_PREFIX: 'en-akte-fpool-', WORKER_IN_PROCESS: 'false' };
});
afterAll(async () => {
  await api?.kill('SIGKILL');
  await t?.close();
  await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
  if (root) await rm(root, { recursive: true, force: true });
});

describe('four MinIO processes in one erasure-coded pool', () => {
  it('keeps uploads, downloads and object lock going while one of the four is killed', async () => {
    api = await startServer(env);
    const base = () => api!.url;
    const token = await tokenOf(TENANT, ['records-manager', 'clerk']);
    const load = new Load(base, TENANT, token);
    await load.setup();
    load.start();
    await load.progress(15);

    // A locked object, written while all four are up.
    t = await buildTestApp(env);
    const storage = t.deps.storage;
    await storage.ensureBucket(TENANT);
    const lockedKey = `faults/locked/${randomBytes(8).toString('hex')}`;
    await storage.put(TENANT, lockedKey, Readable.from([Buffer.from('unveränderlich')]), { contentType: 'text/plain', retention: { mode: 'COMPLIANCE', until: new Date(Date.now() + 86_400_000) } });

    // Node 4 dies (the API talks to node 1; in production a load balancer spreads over all four).
    await nodes[3]!.stop('SIGKILL');
    expect(nodes[3]!.running()).toBe(false);
    const versionsBefore = load.versions.length;
    await load.progress(20);
    expect(load.versions.length).toBeGreaterThan(versionsBefore);

    // A 20 MiB upload (multipart, 5 MiB parts) and its download, with one node of four gone.
    const doc = await load.newDocument('drei von vier');
    const big = randomBytes(20 * 1024 * 1024);
    const up = await call(base, TENANT, token, 'POST', `/documents/${doc.id}/versions`, { body: big, headers: { 'if-match': doc.etag } });
    expect(up.status, up.body.toString()).toBe(201);
    const down = await call(base, TENANT, token, 'GET', `/documents/${doc.id}/versions/1/content`);
    expect(down.status).toBe(200);
    expect(sha256(down.body)).toBe(sha256(big));

    // Object lock holds on the degraded pool: COMPLIANCE gives way to nothing.
    await expect(storage.delete(TENANT, lockedKey, { bypassGovernance: true })).rejects.toBeInstanceOf(BlobLockedError);
    expect((await storage.protection(TENANT, lockedKey))?.retention?.mode).toBe('COMPLIANCE');

    await load.stop();
    const recovery = await verifyRecovery('distributed MinIO, one of four nodes killed', load, { env: testEnv(env), ownerUrl });
    console.log(`[faults] distributed MinIO: ${load.versions.length - versionsBefore} versions acknowledged after the kill (plus a 20 MiB upload and download), lock held; failed answers ${JSON.stringify(recovery.failures)}`);
  }, 300_000);
});
