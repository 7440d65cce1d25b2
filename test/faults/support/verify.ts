import * as Minio from 'minio';
import pg from 'pg';
import { expect } from 'vitest';
import { VERSION } from '../../../src/app.js';
import { createUploadSweeper } from '../../../src/modules/records/index.js';
import { createServices } from '../../../src/services.js';
import { buildTestApp } from '../../support/app.js';
import { call, sha256, tokenOf, type Load } from './load.js';

export interface Recovery {
  scenario: string;
  writesAcknowledged: number;
  writesFound: number;
  versionsChecked: number;
  uploadsLeftBeforeSweep: number;
  incompleteMultipartBeforeSweep: number;
  objectsSwept: number;
  failures: Record<string, number>;
  auditEvents: number;
}

/**
 * Multipart uploads MinIO still holds for these keys (parts of a process that died). MinIO lists
 * multipart uploads of one object name only, not of a prefix: so per key of an unfinished upload.
 */
async function incompleteUploads(env: Record<string, string>, bucket: string, keys: string[]): Promise<number> {
  if (!env.S3_ENDPOINT) return 0;
  const url = new URL(env.S3_ENDPOINT);
  const client = new Minio.Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: env.S3_ACCESS_KEY!, secretKey: env.S3_SECRET_KEY! });
  let n = 0;
  for (const key of keys) {
    for await (const item of client.listIncompleteUploads(bucket, key, false) as AsyncIterable<{ key: string }>) if (item.key === key) n++;
  }
  return n;
}

/**
 * After recovery: every acknowledged write is there (files by id, versions by content hash), no
 * version row points at a missing or different object (nothing half-written is visible), the
 * leftovers of interrupted uploads are swept (records, objects and multipart parts), no
 * idempotent retry made a second file, and the tenant's audit chain verifies.
 */
export async function verifyRecovery(scenario: string, load: Load, opts: { env: Record<string, string>; ownerUrl: string }): Promise<Recovery> {
  const { tenant } = load;
  const reader = await tokenOf(tenant, ['records-manager', 'auditor']);
  let found = 0;
  for (const file of load.files.values()) {
    const res = await call(load.base, tenant, reader, 'GET', `/files/${file.id}`);
    if (res.status === 200 && res.json<{ title: string }>().title === file.title) found++;
  }
  for (const v of load.versions) {
    const res = await call(load.base, tenant, reader, 'GET', `/documents/${v.documentId}/versions/${v.number}/content`);
    if (res.status === 200 && sha256(res.body) === v.sha256 && res.body.length === v.size) found++;
  }
  const acknowledged = load.files.size + load.versions.length;

  const sql = new pg.Client({ connectionString: opts.ownerUrl });
  await sql.connect();
  const t = await buildTestApp(opts.env);
  try {
    const { rows: [tenantRow] } = await sql.query<{ id: string }>('SELECT id FROM tenant WHERE slug = $1', [tenant]);
    const tenantRef = { id: tenantRow!.id, slug: tenant };

    // Nothing half-written: every version the database shows has its whole object, with its hash.
    const { rows: versions } = await sql.query<{ storage_key: string; size: string; sha256: string; number: number; document_id: string }>(
      'SELECT storage_key, size, sha256, number, document_id FROM document_version WHERE tenant_id = $1',
      [tenantRef.id],
    );
    for (const v of versions) {
      const head = await t.deps.storage.head(tenant, v.storage_key);
      expect(head?.size, `object of version ${v.document_id}/${v.number}`).toBe(Number(v.size));
    }
    // Version numbers have no gaps.
    const { rows: gaps } = await sql.query(
      `SELECT document_id FROM document_version WHERE tenant_id = $1 GROUP BY document_id HAVING max(number) <> count(*)`,
      [tenantRef.id],
    );
    expect(gaps).toEqual([]);

    // Idempotent retries: exactly one file per acknowledged key, at most one per unacknowledged one.
    const { rows: titles } = await sql.query<{ title: string; n: string }>(
      'SELECT title, count(*) AS n FROM record_file WHERE tenant_id = $1 AND title = ANY($2) GROUP BY title',
      [tenantRef.id, load.titles],
    );
    const perTitle = new Map(titles.map((r) => [r.title, Number(r.n)]));
    for (const f of load.files.values()) expect(perTitle.get(f.title), `files titled ${f.title}`).toBe(1);
    for (const u of load.unresolved) expect(perTitle.get(u.title) ?? 0, `files titled ${u.title}`).toBeLessThanOrEqual(1);

    // Leftovers: the records of uploads that never committed, and their parts, swept.
    const leftKeys = (await sql.query<{ storage_key: string }>('SELECT storage_key FROM version_upload WHERE tenant_id = $1', [tenantRef.id])).rows.map((r) => r.storage_key);
    const uploadsBefore = leftKeys.length;
    const bucket = `${opts.env.S3_BUCKET_PREFIX ?? 'en-akte-'}${tenant}`;
    const multipartBefore = await incompleteUploads(opts.env, bucket, leftKeys);
    const services = createServices({ ...t.deps, version: VERSION });
    const sweeper = createUploadSweeper({ scope: services.scope, storage: t.deps.storage, staleAfterMs: 0 });
    const swept = await sweeper.sweepTenant(tenantRef, { deep: true });
    expect(Number((await sql.query('SELECT count(*) FROM version_upload WHERE tenant_id = $1', [tenantRef.id])).rows[0].count)).toBe(0);
    expect(await incompleteUploads(opts.env, bucket, leftKeys)).toBe(0);
    // Deep: no object is left that no version references.
    expect(await sweeper.findOrphans(tenantRef, Date.now() + 1000)).toEqual([]);

    const audit = await call(load.base, tenant, reader, 'GET', '/audit/verify');
    expect(audit.status).toBe(200);
    const verified = audit.json<{ ok: boolean; events: number; firstBroken: unknown }>();
    expect(verified).toMatchObject({ ok: true, firstBroken: null });

    const recovery: Recovery = {
      scenario,
      writesAcknowledged: acknowledged,
      writesFound: found,
      versionsChecked: versions.length,
      uploadsLeftBeforeSweep: uploadsBefore,
      incompleteMultipartBeforeSweep: multipartBefore,
      objectsSwept: swept.uploads + swept.orphans,
      failures: load.counts.failures,
      auditEvents: verified.events,
    };
    console.log(`[faults] ${scenario}: writes acknowledged ${acknowledged}, writes found ${found}, objects swept ${recovery.objectsSwept} ` +
      `(uploads left ${uploadsBefore}, multipart parts ${multipartBefore}, orphans ${swept.orphans}), versions checked ${versions.length}, ` +
      `reads ${load.counts.readsOk}/${load.counts.reads}, failed answers ${JSON.stringify(load.counts.failures)}, audit events verified ${verified.events}`);
    expect(load.counts.unexpected, load.counts.unexpected.join('\n')).toEqual([]);
    expect(found).toBe(acknowledged);
    return recovery;
  } finally {
    await t.close();
    await sql.end();
  }
}
