import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { call, Load, tokenOf } from './support/load.js';
import { MINIO_PASSWORD, MINIO_USER, startRestartableMinio, waitHealthy, type MinioNode } from './support/processes.js';
import { verifyRecovery } from './support/verify.js';

/**
 * MinIO is stopped for 20 s under load and started again. While it is down /readyz answers 503,
 * content routes 503 problem+json with Retry-After, metadata routes keep working; afterwards the
 * same API process (no restart) serves content again and nothing acknowledged is lost.
 */
const TENANT = 'hattingen';
const DOWN_MS = 20_000;
let env: Record<string, string>;
let ownerUrl: string;
let minio: MinioNode & { destroy(): Promise<void> };
let api: ServerProcess | undefined;

beforeAll(async () => {
  const db = await isolatedDatabase('faults_minio');
  ownerUrl = db.ownerUrl;
  minio = await startRestartableMinio();
  env = { ...db.env, S3_ENDPOINT: minio.endpoint, S3_ACCESS_KEY: MINIO_USER, S3_SECRET_KEY: MINIO_PASSWORD, S3_BUCKET_PREFIX: 'en-akte-fminio-', WORKER_IN_PROCESS: 'false' };
});
afterAll(async () => {
  await api?.kill('SIGKILL');
  await minio?.destroy();
});

describe('MinIO stopped for 20 s, then started', () => {
  it('degrades to metadata only, answers 503 with Retry-After for content, and recovers without an API restart', async () => {
    api = await startServer(env);
    const base = () => api!.url;
    const token = await tokenOf(TENANT, ['records-manager', 'clerk']);
    const load = new Load(base, TENANT, token);
    await load.setup();
    load.start();
    await load.progress(20);
    const probeDoc = await load.newDocument('Sonde');
    const first = await call(base, TENANT, token, 'POST', `/documents/${probeDoc.id}/versions`, { body: randomBytes(1000), headers: { 'if-match': probeDoc.etag } });
    expect(first.status).toBe(201);

    await minio.stop('SIGTERM');
    const downSince = Date.now();
    const acksBefore = load.counts.writesAcked;
    const seen = { readyz: new Set<number>(), content: new Set<number>(), upload: new Set<number>(), list: new Set<number>(), create: new Set<number>() };
    while (Date.now() - downSince < DOWN_MS) {
      const ready = await fetch(`${base()}/readyz`, { signal: AbortSignal.timeout(10_000) });
      seen.readyz.add(ready.status);
      if (ready.status === 503) {
        expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(((await ready.json()) as { checks: Record<string, string> }).checks).toMatchObject({ storage: 'down' });
      } else await ready.body?.cancel();
      const content = await call(base, TENANT, token, 'GET', `/documents/${probeDoc.id}/versions/1/content`);
      seen.content.add(content.status);
      const upload = await call(base, TENANT, token, 'POST', `/documents/${probeDoc.id}/versions`, { body: randomBytes(1000), headers: { 'if-match': first.headers.get('document-etag')! } });
      seen.upload.add(upload.status);
      for (const res of [content, upload]) {
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.json()).toMatchObject({ status: 503, code: 'unavailable' });
      }
      seen.list.add((await call(base, TENANT, token, 'GET', '/files?limit=5')).status);
      await new Promise((r) => setTimeout(r, 500));
    }
    const acksWhileDown = load.counts.writesAcked - acksBefore;
    expect(seen.readyz).toEqual(new Set([503]));
    expect(seen.list).toEqual(new Set([200]));
    // Metadata writes (new files) went on while storage was down.
    expect(acksWhileDown).toBeGreaterThan(0);

    await minio.start();
    await waitHealthy(`${minio.endpoint}/minio/health/ready`, 60_000, 'MinIO');
    const pid = api.pid;
    await waitHealthy(`${base()}/readyz`, 30_000, 'the API (same process)');
    expect(api.pid).toBe(pid);
    const again = await call(base, TENANT, token, 'GET', `/documents/${probeDoc.id}/versions/1/content`);
    expect(again.status).toBe(200);
    const versionsBefore = load.versions.length;
    await load.progress(20);
    await load.stop();
    expect(load.versions.length).toBeGreaterThan(versionsBefore);
    const recovery = await verifyRecovery('MinIO stopped 20 s', load, { env: testEnv(env), ownerUrl });
    console.log(`[faults] MinIO stopped 20 s: ${acksWhileDown} writes acknowledged while it was down (metadata), /readyz ${[...seen.readyz]}, content ${[...seen.content]}, uploads ${[...seen.upload]}; failed answers ${JSON.stringify(recovery.failures)}`);
  }, 240_000);
});
