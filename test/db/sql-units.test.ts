import { createHash } from 'node:crypto';
import pg from 'pg';
import { Prisma } from '../../src/generated/prisma/client.js';
import type { WriteQuery } from '../../src/db/read-tx.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSqlScope, type RequestContext, type Scope, type SqlScope, type SqlUnit } from '../../src/core/index.js';
import { createAuditLog } from '../../src/modules/audit/index.js';
import { etagOfRow } from '../../src/modules/records/present.js';
import { recordsRepo, versionWrites } from '../../src/modules/records/repo.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { recordFactories } from '../support/records.js';

/**
 * Adding a version runs in SQL units on node-postgres (src/core/uow.ts, createSqlScope) instead of
 * Prisma's interactive transaction. These tests hold what that must not change: all or nothing,
 * row-level security, the audit chain, and a bound on every statement.
 */
let t: TestApp;
let services: ReturnType<typeof createServices>;
let scope: Scope;
let sql: SqlScope;
let owner: pg.Client;

const contextOf = (tenant: { id: string; slug: string }, roles = ['clerk']): RequestContext => ({
  tenant,
  caller: { tenant: tenant.slug, subject: `writer@${tenant.slug}`, roles, clearance: '004' },
  grant: null,
  requestId: 'req-sql-unit',
});

beforeAll(async () => {
  t = await buildTestApp();
  services = createServices({ ...t.deps, version: 'test' });
  scope = services.scope;
  sql = createSqlScope(t.deps.db, { audit: createAuditLog });
  owner = new pg.Client({ connectionString: inject('ownerUrl') });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

async function tenantOf(slug: string) {
  const { rows } = await owner.query<{ id: string }>('SELECT id FROM tenant WHERE slug = $1', [slug]);
  return { id: rows[0]!.id, slug };
}

const count = async (table: string, documentId: string) =>
  Number((await owner.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE document_id = $1`, [documentId])).rows[0]!.n);

describe('SQL units', () => {
  it('store a version, its count on the document, its audit event and its outbox row together, read back as Prisma reads them', async () => {
    const tenant = await tenantOf('schwelm');
    const f = recordFactories(t, 'schwelm');
    const doc = await f.document((await f.kase((await f.file()).id)).id);
    const ctx = contextOf(tenant);
    const sha256 = createHash('sha256').update('Bescheid').digest('hex');
    // The last statement travels with its values inlined as literals (simple protocol): quotes,
    // backslashes, placeholders and umlauts come back exactly, and the chain still verifies.
    const filename = `Bescheid O'Neil \\ $1 $12 E'x' ü.txt`;

    const upload = await sql(ctx, (u) => services.records.prepareUpload(u, doc.id, doc.etag));
    expect(await count('version_upload', doc.id)).toBe(1);
    const stored = await sql(ctx, (u) =>
      services.records.commitUpload(u, upload, doc.etag, { size: 8, sha256, mediaType: 'text/plain', filename, checkin: false }),
    );

    expect(stored.version).toMatchObject({ number: 1, size: 8, sha256, mediaType: 'text/plain', filename, uploadedBy: `writer@schwelm` });
    expect(await count('version_upload', doc.id)).toBe(0);
    const viaPrisma = await scope(ctx, (uow) => uow.repo(recordsRepo).version(doc.id, 1));
    expect(viaPrisma).toEqual({
      id: upload.uploadId, tenantId: tenant.id, documentId: doc.id, number: 1, storageKey: upload.key, size: 8n, sha256,
      mediaType: 'text/plain', filename, uploadedBy: 'writer@schwelm', createdAt: viaPrisma!.createdAt,
    });
    const { rows: docs } = await owner.query<{ version_count: number; row_version: number }>(
      'SELECT version_count, row_version FROM record_document WHERE id = $1', [doc.id]);
    expect(docs[0]!.version_count).toBe(1);
    expect(stored.documentEtag).toBe(etagOfRow({ id: doc.id, rowVersion: docs[0]!.row_version }));
    const { rows: events } = await owner.query<{ action: string; request_id: string; seq: string; hash: string; filename: string }>(
      `SELECT action, request_id, seq, hash, new_values->>'filename' AS filename FROM audit_event WHERE tenant_id = $1 AND object_id = $2 ORDER BY seq`,
      [tenant.id, doc.id]);
    expect(events.at(-1)).toMatchObject({ action: 'version.created', request_id: 'req-sql-unit', filename });
    const { rows: outbox } = await owner.query<{ type: string; audit_seq: string; audit_hash: string }>(
      `SELECT type, audit_seq, audit_hash FROM outbox_event WHERE tenant_id = $1 AND subject_id = $2`, [tenant.id, upload.uploadId]);
    expect(outbox).toEqual([{ type: 'version.created', audit_seq: events.at(-1)!.seq, audit_hash: events.at(-1)!.hash }]);
    const verified = await services.audit.verify(contextOf(tenant, ['auditor']));
    expect(verified).toMatchObject({ ok: true, firstBroken: null });
  });

  it('send nothing after the last statement, and commit nothing when it fails', async () => {
    const tenant = await tenantOf('schwelm');
    const f = recordFactories(t, 'schwelm');
    const doc = await f.document((await f.kase((await f.file()).id)).id);
    const ctx = contextOf(tenant);
    const insertUpload = (key: string) => Prisma.sql`INSERT INTO version_upload (id, tenant_id, document_id, storage_key)
      VALUES (gen_random_uuid(), ${tenant.id}::uuid, ${doc.id}::uuid, ${key}) RETURNING storage_key AS key`;
    // An SQL unit's repositories are handed its WriteQuery.
    const q = (u: SqlUnit) => u.repo((raw) => raw) as WriteQuery;

    // A statement after the last one is refused, and the unit rolls back.
    await expect(sql(ctx, async (u) => {
      await q(u).$queryRaw(insertUpload('first'));
      q(u).atCommit(insertUpload('last'), () => undefined);
      await q(u).$queryRaw(insertUpload('after'));
    })).rejects.toThrow("A statement after the unit's last one");
    expect(await count('version_upload', doc.id)).toBe(0);

    // A failing last statement skips the COMMIT: the statements before it are rolled back too.
    let placed: unknown[] | undefined;
    await expect(sql(ctx, async (u) => {
      await q(u).$queryRaw(insertUpload('first'));
      q(u).atCommit(Prisma.sql`SELECT ${'not a uuid'}::uuid`, (rows) => { placed = rows; });
    })).rejects.toMatchObject({ code: '22P02' });
    expect(placed).toBeUndefined();
    expect(await count('version_upload', doc.id)).toBe(0);

    // A good one commits, and its rows come back.
    await sql(ctx, async (u) => {
      await q(u).$queryRaw(insertUpload('first'));
      q(u).atCommit(insertUpload(`l'ast $1`), (rows) => { placed = rows; });
    });
    expect(placed).toEqual([{ key: `l'ast $1` }]);
    expect(await count('version_upload', doc.id)).toBe(2);
  });

  it('fail the unit, not the process, when the server ends the session between two statements', async () => {
    const tenant = await tenantOf('schwelm');
    const outcome = await sql(contextOf(tenant), async (u) => {
      const raw = u.repo((q) => q);
      const [backend] = await raw.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      await owner.query('SELECT pg_terminate_backend($1)', [backend!.pid]);
      // The termination arrives while no statement runs: an 'error' without a listener would be uncaught.
      await new Promise((r) => setTimeout(r, 200));
      return raw.$queryRaw`SELECT 1`;
    }).then(() => 'committed', (err: Error) => err.message);
    expect(outcome).toMatch(/terminat|not queryable|Connection/i);
    // The pool gives good connections after it.
    expect(await sql(contextOf(tenant), (u) => u.repo((q) => q).$queryRaw<{ n: number }[]>`SELECT 1 AS n`)).toEqual([{ n: 1 }]);
  });

  it('write nothing when the work throws: a stale If-Match leaves no upload record', async () => {
    const tenant = await tenantOf('schwelm');
    const f = recordFactories(t, 'schwelm');
    const doc = await f.document((await f.kase((await f.file()).id)).id);
    const stale = etagOfRow({ id: doc.id, rowVersion: 999 });
    await expect(sql(contextOf(tenant), (u) => services.records.prepareUpload(u, doc.id, stale))).rejects.toMatchObject({ status: 412, code: 'precondition-failed' });
    expect(await count('version_upload', doc.id)).toBe(0);
  });

  it('keep row-level security: another tenant\'s document is not found, and no row can be written for it', async () => {
    const schwelm = await tenantOf('schwelm');
    const wetter = await tenantOf('wetter');
    const f = recordFactories(t, 'wetter');
    const doc = await f.document((await f.kase((await f.file()).id)).id);
    const ctx = contextOf(schwelm);
    await expect(sql(ctx, (u) => services.records.prepareUpload(u, doc.id, doc.etag))).rejects.toMatchObject({ status: 404, code: 'not-found' });
    expect(await sql(ctx, (u) => u.repo(versionWrites).lockDocumentChain(doc.id))).toBeNull();
    await expect(
      sql(ctx, (u) => u.repo((q) => q).$queryRaw`INSERT INTO version_upload (id, tenant_id, document_id, storage_key)
        VALUES (gen_random_uuid(), ${wetter.id}::uuid, ${doc.id}::uuid, 'x') RETURNING id`),
    ).rejects.toMatchObject({ code: '42501' });
    expect(await count('version_upload', doc.id)).toBe(0);
  });

  it('bound each statement to 30 s, in the unit only, and open only for a tenant id that is a UUID', async () => {
    const tenant = await tenantOf('schwelm');
    const forged = { id: `${tenant.id}', true); DROP TABLE audit_event; --`, slug: 'schwelm' };
    await expect(sql(contextOf(forged), async () => 'opened')).rejects.toThrow('A tenant id is a UUID');
    const inside = await sql(contextOf(tenant), (u) => u.repo((q) => q).$queryRaw<{ statement_timeout: string }[]>`SHOW statement_timeout`);
    expect(inside).toEqual([{ statement_timeout: '30s' }]);
    const reads = await scope(contextOf(tenant), (uow) => uow.repo((q) => q).$queryRaw<{ statement_timeout: string }[]>`SHOW statement_timeout`);
    expect(reads[0]!.statement_timeout).not.toBe('30s');
  });
});
