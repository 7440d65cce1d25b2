import { Readable } from 'node:stream';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type PgBoss from 'pg-boss';
import { VERSION } from '../../src/app.js';
import { jobDepsOf, jobHandlers, QUEUES } from '../../src/jobs/index.js';
import { createUploadSweeper } from '../../src/modules/records/index.js';
import { createServices } from '../../src/services.js';
import { createBlobStore, type BlobStore } from '../../src/storage/index.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { recordFactories } from '../support/records.js';

// Its own database and its own buckets: sweeping with age 0 touches no other test file's uploads.
const TENANT = 'witten';
let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let sql: pg.Client;
let storage: BlobStore;
let tenantId: string;

beforeAll(async () => {
  const db = await isolatedDatabase('sweeper');
  t = await buildTestApp({ ...db.env, S3_BUCKET_PREFIX: 'en-akte-sweep-' });
  f = recordFactories(t, TENANT);
  sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
  storage = createBlobStore(t.config.storage);
  await storage.ensureBucket(TENANT);
  tenantId = (await sql.query('SELECT id FROM tenant WHERE slug = $1', [TENANT])).rows[0].id;
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

/** The scheduled sweep job's handler, over this file's tenant only, with a given stale age. */
function sweeper(staleAfterMs: number) {
  const services = createServices({ ...t.deps, version: VERSION });
  const uploads = createUploadSweeper({ scope: services.scope, storage, staleAfterMs });
  const sweep = jobHandlers({ ...jobDepsOf(services, t.config, t.app.log), sweeper: uploads, tenants: async () => [{ id: tenantId, slug: TENANT }] })[QUEUES.sweep.name]!;
  return {
    findOrphans: uploads.findOrphans,
    sweep: async (opts: { deep?: boolean } = {}) =>
      (await sweep({ data: opts } as PgBoss.JobWithMetadata<unknown>, t.deps.jobs)) as { uploads: number; orphans: number; idempotencyKeys: number },
  };
}

async function documentWithVersion() {
  const unit = await f.unit();
  const file = (await f.clerk.post('/files', { planCode: unit.code, title: 'Sperrmüll' })).json();
  const kase = (await f.clerk.post(`/files/${file.id}/cases`, { title: 'Abholung' })).json();
  const doc = await f.clerk.post(`/cases/${kase.id}/documents`, { title: 'Antrag', kind: 'application' });
  const v = await f.clerk.post(`/documents/${doc.json().id}/versions`, Buffer.from('Antrag'), {
    'content-type': 'text/plain',
    'if-match': doc.headers.etag as string,
  });
  expect(v.statusCode).toBe(201);
  return { documentId: doc.json().id as string };
}

/** What a crash between storing the object and committing the version leaves behind. */
async function leftoverUpload(documentId: string, ageMinutes: number) {
  const id = uuidv7();
  const key = `documents/${documentId}/${id}`;
  await storage.put(TENANT, key, Readable.from([Buffer.from('half an upload')]), { contentType: 'text/plain' });
  await sql.query(
    `INSERT INTO version_upload (id, tenant_id, document_id, storage_key, created_at) VALUES ($1, $2, $3, $4, now() - make_interval(mins => $5))`,
    [id, tenantId, documentId, key, ageMinutes],
  );
  return { id, key };
}

describe('sweeper', () => {
  it('removes uploads older than the stale age, record and object, and leaves younger ones and versions alone', async () => {
    const { documentId } = await documentWithVersion();
    const old = await leftoverUpload(documentId, 120);
    const young = await leftoverUpload(documentId, 1);
    const result = await sweeper(60 * 60_000).sweep();
    expect(result.uploads).toBe(1);
    expect(await storage.head(TENANT, old.key)).toBeNull();
    expect((await sql.query('SELECT 1 FROM version_upload WHERE id = $1', [old.id])).rowCount).toBe(0);
    expect(await storage.head(TENANT, young.key)).not.toBeNull();
    expect((await sql.query('SELECT 1 FROM version_upload WHERE id = $1', [young.id])).rowCount).toBe(1);
    const content = await f.clerk.get(`/documents/${documentId}/versions/1/content`);
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe('Antrag');
  });

  it('retries failed cleanups at once, whatever their age', async () => {
    const { documentId } = await documentWithVersion();
    const failed = await leftoverUpload(documentId, 0);
    await sql.query(`UPDATE version_upload SET state = 'failed' WHERE id = $1`, [failed.id]);
    await sweeper(60 * 60_000).sweep();
    expect(await storage.head(TENANT, failed.key)).toBeNull();
  });

  it('with deep, removes objects that no version or upload references, never a version’s content', async () => {
    const { documentId } = await documentWithVersion();
    const orphanKey = `documents/${documentId}/${uuidv7()}`;
    await storage.put(TENANT, orphanKey, Readable.from([Buffer.from('orphan')]), { contentType: 'text/plain' });
    const s = sweeper(0);
    expect(await s.findOrphans({ id: tenantId, slug: TENANT })).toContain(orphanKey);
    const result = await s.sweep({ deep: true });
    expect(result.orphans).toBeGreaterThanOrEqual(1);
    expect(await storage.head(TENANT, orphanKey)).toBeNull();
    expect(await s.findOrphans({ id: tenantId, slug: TENANT })).toEqual([]);
    expect((await f.clerk.get(`/documents/${documentId}/versions/1/content`)).body).toBe('Antrag');
  });

  it('purges idempotency records older than 24 hours', async () => {
    await sql.query(
      `INSERT INTO idempotency_record (tenant_id, principal, key, fingerprint, created_at) VALUES ($1, 'sweeper-test', $2, $3, now() - interval '25 hours')`,
      [tenantId, uuidv7(), '0'.repeat(64)],
    );
    const result = await sweeper(60 * 60_000).sweep();
    expect(result.idempotencyKeys).toBeGreaterThanOrEqual(1);
    expect((await sql.query(`SELECT 1 FROM idempotency_record WHERE principal = 'sweeper-test'`)).rowCount).toBe(0);
  });
});
