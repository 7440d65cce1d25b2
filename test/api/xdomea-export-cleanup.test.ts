import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type PgBoss from 'pg-boss';
import { VERSION } from '../../src/app.js';
import { jobDepsOf, jobHandlers, QUEUES } from '../../src/jobs/index.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * XDOMEA export results do not outlive their purpose: the sweep deletes a container
 * XDOMEA_EXPORT_RETENTION_HOURS after its export finished (→ expired, GET …/content 410
 * export-gone), and fails exports a crashed worker left queued or running (older than twice the
 * job's expiry), removing what they wrote. Own database and buckets, no worker: the jobs run
 * here, from the data pg-boss holds, so no scheduled sweep races the assertions.
 */
const TOWN = 'sprockhoevel';
const BASE = `/v1/tenants/${TOWN}`;
let t: TestApp;
let owner: pg.Client;
let services: ReturnType<typeof createServices>;
let tenantId: string;
let handlers: ReturnType<typeof jobHandlers>;

beforeAll(async () => {
  const db = await isolatedDatabase('xdomea_export_cleanup');
  t = await buildTestApp({ ...db.env, S3_BUCKET_PREFIX: 'en-akte-xdclean-', XDOMEA_EXPORT_RETENTION_HOURS: '48' });
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  services = createServices({ ...t.deps, version: VERSION });
  tenantId = (await owner.query('SELECT id FROM tenant WHERE slug = $1', [TOWN])).rows[0].id;
  handlers = jobHandlers({ ...jobDepsOf(services, t.config, t.app.log), tenants: async () => [{ id: tenantId, slug: TOWN }] });
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

const asClerk = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  t.injectAs(TOWN, ['clerk'], { method, url: `${BASE}${url}`, ...(payload ? { payload: payload as string } : {}) });
const sweep = async () => (await handlers[QUEUES.sweep.name]!({ data: {} } as PgBoss.JobWithMetadata<unknown>, t.deps.jobs)) as Record<string, number>;
const row = async (id: string) =>
  (await owner.query('SELECT state, result_key, error FROM xdomea_export WHERE id = $1', [id])).rows[0] as { state: string; result_key: string | null; error: string | null };
async function objectsOf(id: string) {
  const keys: string[] = [];
  for await (const i of services.storage.list(TOWN, `xdomea/exports/${id}/`)) keys.push(i.key);
  return keys;
}

/** A 0401 export of a new file with one version, its job run from the data pg-boss holds. */
async function doneExport() {
  const f = recordFactories(t, TOWN);
  const unit = await f.unit({ title: 'Gewerbeangelegenheiten' });
  const file = await f.file({ planCode: unit.code, title: 'Gewerbeanmeldung Schmidt' });
  const kase = await f.kase(file.id, { title: 'Anmeldung' });
  const doc = await f.document(kase.id, { title: 'Anmeldung' });
  expect((await f.upload(f.clerk, doc.id, Buffer.from('%PDF-1.7 Anmeldung'), doc.etag, { 'content-type': 'application/pdf' })).statusCode).toBe(201);
  const res = await asClerk('POST', '/xdomea/exports', { message: '0401', fileIds: [file.id] });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json().id as string;
  const job = (await owner.query(`SELECT data FROM pgboss.job WHERE name = 'xdomea.export' AND data->>'exportId' = $1`, [id])).rows;
  expect(job).toHaveLength(1);
  const out = await handlers[QUEUES.xdomeaExport.name]!({ data: job[0].data } as PgBoss.JobWithMetadata<unknown>, t.deps.jobs);
  expect(out).toMatchObject({ exportId: id, entries: 2 });
  const status = (await asClerk('GET', `/xdomea/exports/${id}`)).json();
  expect(status.state).toBe('done');
  return { id, fileId: file.id, filename: status.filename as string };
}

describe('XDOMEA export cleanup by the sweep', () => {
  it('a container older than XDOMEA_EXPORT_RETENTION_HOURS is deleted and its export expired (410 export-gone); a younger one stays', async () => {
    const old = await doneExport();
    const young = await doneExport();
    expect(await objectsOf(old.id)).toEqual([`xdomea/exports/${old.id}/${old.filename}`]);
    await owner.query(`UPDATE xdomea_export SET finished_at = now() - interval '49 hours' WHERE id = $1`, [old.id]);
    await owner.query(`UPDATE xdomea_export SET finished_at = now() - interval '47 hours' WHERE id = $1`, [young.id]);

    const result = await sweep();
    expect(result).toMatchObject({ exportsExpired: 1, exportsFailed: 0 });
    expect(await row(old.id)).toEqual({ state: 'expired', result_key: null, error: null });
    expect(await objectsOf(old.id)).toEqual([]);
    expect((await asClerk('GET', `/xdomea/exports/${old.id}`)).json()).toMatchObject({ id: old.id, state: 'expired' });
    const gone = await asClerk('GET', `/xdomea/exports/${old.id}/content`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toEqual(problem('export-gone',
      'The container was deleted 48 hours after the export finished (XDOMEA_EXPORT_RETENTION_HOURS); request a new export', `${BASE}/xdomea/exports/${old.id}/content`, { state: 'expired' }));

    expect((await row(young.id)).state).toBe('done');
    const content = await asClerk('GET', `/xdomea/exports/${young.id}/content`);
    expect(content.statusCode).toBe(200);
    expect(content.headers['content-type']).toBe('application/zip');

    // Idempotent: nothing more to do.
    expect(await sweep()).toMatchObject({ exportsExpired: 0, exportsFailed: 0 });
  });

  it('an export a crashed worker left running or queued (older than twice the job expiry) fails with a reason and loses its partial container; a young running one stays', async () => {
    const f = recordFactories(t, TOWN);
    const unit = await f.unit({ title: 'Ordnungsangelegenheiten' });
    const file = await f.file({ planCode: unit.code, title: 'Sondernutzung Marktplatz' });
    const insert = async (state: string, ageHours: number) =>
      (await owner.query(
        `INSERT INTO xdomea_export (id, tenant_id, message_code, xdomea_version, process_id, file_ids, state, filename, created_by, created_at, started_at)
         VALUES (uuidv7(), $1, '0401', '3.0.0', uuidv7(), ARRAY[$2]::uuid[], $3, 'partial.zip', 'user@${TOWN}', now() - make_interval(hours => $4), now() - make_interval(hours => $4))
         RETURNING id`,
        [tenantId, file.id, state, ageHours],
      )).rows[0].id as string;
    const crashed = await insert('running', 13);
    const neverRan = await insert('queued', 13);
    const young = await insert('running', 11);
    for (const id of [crashed, young]) {
      await services.storage.put(TOWN, `xdomea/exports/${id}/partial.zip`, Readable.from([Buffer.from('PK half a container')]), { contentType: 'application/zip' });
    }

    const result = await sweep();
    expect(result).toMatchObject({ exportsExpired: 0, exportsFailed: 2 });
    expect(await row(crashed)).toEqual({ state: 'failed', result_key: null, error: "The export was running longer than 12 hours (twice its job's expiry): its worker stopped; request a new export" });
    expect(await row(neverRan)).toEqual({ state: 'failed', result_key: null, error: "The export was queued longer than 12 hours (twice its job's expiry): its worker stopped; request a new export" });
    expect(await objectsOf(crashed)).toEqual([]);
    expect(await row(young)).toEqual({ state: 'running', result_key: null, error: null });
    expect(await objectsOf(young)).toEqual([`xdomea/exports/${young}/partial.zip`]);

    const status = await asClerk('GET', `/xdomea/exports/${crashed}`);
    expect(status.json()).toMatchObject({ state: 'failed', error: "The export was running longer than 12 hours (twice its job's expiry): its worker stopped; request a new export" });
    const content = await asClerk('GET', `/xdomea/exports/${crashed}/content`);
    expect(content.statusCode).toBe(409);
    const audit = (await t.injectAs(TOWN, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${crashed}` })).json();
    expect(audit.items.filter((e: { action: string }) => e.action === 'xdomea.export-failed').map((e: { newValues: unknown }) => e.newValues))
      .toEqual([{ messageType: '0401', processId: expect.any(String), was: 'running', error: "The export was running longer than 12 hours (twice its job's expiry): its worker stopped; request a new export" }]);
    expect(await sweep()).toMatchObject({ exportsExpired: 0, exportsFailed: 0 });
  });
});
