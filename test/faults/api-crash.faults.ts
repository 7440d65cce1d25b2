import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedDatabase } from '../support/database.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { testEnv } from '../support/app.js';
import { Load, slowUpload, tokenOf } from './support/load.js';
import { verifyRecovery } from './support/verify.js';

/**
 * The API process is killed (SIGKILL, no shutdown of any kind) while a 1 MiB and a 200 MiB upload
 * are half-way, under a steady load of writes and reads, then started again. Nothing acknowledged
 * is lost; what the killed uploads left (their upload records, the 200 MiB upload's multipart parts)
 * is swept.
 */
const TENANT = 'witten';
const MiB = 1024 * 1024;
let env: Record<string, string>;
let ownerUrl: string;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  const db = await isolatedDatabase('faults_crash');
  ownerUrl = db.ownerUrl;
  env = { ...db.env, S3_BUCKET_PREFIX: 'en-akte-fcrash-', WORKER_IN_PROCESS: 'false', MAX_UPLOAD_BYTES: String(300 * MiB) };
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.kill('SIGKILL')));
});

describe('SIGKILL of the API in the middle of uploads', () => {
  it('loses no acknowledged write, shows no half-written version, and its leftovers are swept', async () => {
    let api = await startServer(env);
    servers.push(api);
    const token = await tokenOf(TENANT, ['records-manager', 'clerk']);
    const load = new Load(() => api.url, TENANT, token);
    await load.setup();
    load.start();
    await load.progress(20);

    const small = await load.newDocument('1 MiB');
    const large = await load.newDocument('200 MiB');
    const url = (doc: { id: string }) => `${api.url}/v1/tenants/${TENANT}/documents/${doc.id}/versions`;
    // The small one stops after half its bytes; the large one streams on until the kill.
    const up1 = slowUpload(url(small), token, small.etag, 1 * MiB, { chunk: 64 * 1024, pauseAfter: MiB / 2 });
    const up200 = slowUpload(url(large), token, large.etag, 200 * MiB, { chunk: 1 * MiB });
    while (up1.sent() < MiB / 2 || up200.sent() < 60 * MiB) await new Promise((r) => setTimeout(r, 20));

    const pid = api.pid;
    expect(await api.kill('SIGKILL')).toBe(null);
    const [a1, a200] = await Promise.all([up1.answer, up200.answer]);
    // The process died before it could answer either.
    expect([a1.status, a200.status]).toEqual([0, 0]);
    const sentAtKill = { small: up1.sent(), large: up200.sent() };

    // Down for a moment, the load sees refused connections; then a new process on the same data.
    await new Promise((r) => setTimeout(r, 1_000));
    api = await startServer(env);
    servers.push(api);
    expect(api.pid).not.toBe(pid);
    await load.progress(20);
    const counts = await load.stop();
    expect(counts.failures['0'] ?? 0).toBeGreaterThan(0);

    // The killed uploads are not versions: their documents still have none.
    const reader = await tokenOf(TENANT, ['records-manager']);
    for (const doc of [small, large]) {
      const res = await fetch(`${api.url}/v1/tenants/${TENANT}/documents/${doc.id}/versions`, { headers: { authorization: `Bearer ${reader}` } });
      expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
    }
    const recovery = await verifyRecovery('SIGKILL mid-upload (1 MiB + 200 MiB)', load, { env: testEnv(env), ownerUrl });
    // At least the two killed uploads were left behind, and the 200 MiB one had parts in MinIO.
    expect(recovery.uploadsLeftBeforeSweep).toBeGreaterThanOrEqual(2);
    expect(recovery.incompleteMultipartBeforeSweep).toBeGreaterThanOrEqual(1);
    expect(recovery.objectsSwept).toBeGreaterThanOrEqual(2);
    console.log(`[faults] SIGKILL mid-upload: killed with ${sentAtKill.small} of ${MiB} and ${sentAtKill.large} of ${200 * MiB} bytes sent`);
  }, 240_000);
});
