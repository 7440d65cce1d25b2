import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReadOnlyScope, type ReadOnlyScope, type RequestContext, type Scope } from '../../src/core/index.js';
import { poolOf } from '../../src/db/client.js';
import { recordsReads } from '../../src/modules/records/repo.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { recordFactories } from '../support/records.js';

/**
 * The hot reads run in read units on node-postgres (src/db/read-tx.ts) instead of Prisma's
 * interactive transaction. These tests hold what that must not change: the rows read, row-level
 * security, and that nothing can be written in one.
 */
let t: TestApp;
let scope: Scope;
let reads: ReadOnlyScope;
let owner: pg.Client;

const contextOf = (tenant: { id: string; slug: string }, clearance: RequestContext['caller']['clearance'] = '004'): RequestContext => ({
  tenant,
  caller: { tenant: tenant.slug, subject: `reader@${tenant.slug}`, roles: ['clerk'], clearance },
  grant: null,
  requestId: null,
});

beforeAll(async () => {
  t = await buildTestApp();
  scope = createServices({ ...t.deps, version: 'test' }).scope;
  reads = createReadOnlyScope(t.deps.db).primary;
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

/** A file, case and document whose every column holds a value (dates, instants, JSON, nulls aside). */
async function fullChain(slug: string) {
  const f = recordFactories(t, slug);
  const file = await f.file({ title: 'Bauantrag Ruhrstraße 7', metadata: { flurstück: 'Gemarkung Herdecke, Flur 3', n: 1.5, tags: ['ä', null] } });
  const kase = await f.kase(file.id);
  const doc = await f.document(kase.id);
  await owner.query(
    `UPDATE record_file SET confidentiality = '002', description = 'Auf Antrag', lead_org_unit = 'FB 61', disposal_code = 'A', retention_years = 10,
       retention_ends_on = '2036-12-31', retention_overridden = true, hold_reason = 'Klage', hold_reference = 'VG 1 K 2/26',
       hold_by = 'rm@herdecke', hold_at = '2026-12-02 09:30:01.123+01', disposal_state = 'offered',
       disposal_changed_at = '2026-12-02 23:59:59.999+00', archive_decision = 'A', archive_decided_by = 'archiv',
       archive_decided_at = '2026-12-03 00:00:00.001+00', archive_reference = 'LAV NRW 42', status = 'closed', closed_on = '2026-02-28'
     WHERE id = $1`,
    [file.id],
  );
  await owner.query(`UPDATE record_case SET description = 'Vorgang', status = 'closed', closed_on = '2026-01-01' WHERE id = $1`, [kase.id]);
  await owner.query(
    `UPDATE record_document SET received_on = '2026-03-01', sent_on = '2026-03-02', sender = 'Bürger', addressee = 'Stadt',
       checked_out_by = 'clerk@herdecke', checked_out_until = '2026-12-02 12:00:00.5+00' WHERE id = $1`,
    [doc.id],
  );
  return { file, kase, doc };
}

describe('read units', () => {
  it('read every column of a file, a page of files, a case and a document exactly as Prisma does', async () => {
    const tenant = await tenantOf('herdecke');
    const { file, kase, doc } = await fullChain('herdecke');
    const ctx = contextOf(tenant);
    const readAll = (unit: Parameters<Parameters<ReadOnlyScope>[1]>[0]) => {
      const r = unit.repo(recordsReads);
      return Promise.all([r.file(file.id), r.filePage({ limit: 200 }), r.case(kase.id), r.document(doc.id)]);
    };
    const viaPrisma = await scope(ctx, readAll);
    const viaPg = await reads(ctx, readAll);
    expect(viaPg).toStrictEqual(viaPrisma);
    // And the values are the ones written, with their types.
    const [row] = viaPg;
    expect(row).toMatchObject({
      retentionEndsOn: new Date('2036-12-31T00:00:00Z'),
      closedOn: new Date('2026-02-28T00:00:00Z'),
      holdAt: new Date('2026-12-02T08:30:01.123Z'),
      disposalChangedAt: new Date('2026-12-02T23:59:59.999Z'),
      archiveDecidedAt: new Date('2026-12-03T00:00:00.001Z'),
      retentionYears: 10,
      retentionOverridden: true,
      disposalState: 'offered',
      metadata: { flurstück: 'Gemarkung Herdecke, Flur 3', n: 1.5, tags: ['ä', null] },
    });
    expect(viaPg[3]).toMatchObject({ checkedOutUntil: new Date('2026-12-02T12:00:00.500Z'), receivedOn: new Date('2026-03-01T00:00:00Z') });
  });

  it('filter by instants and dates as Prisma does (parameters sent in UTC)', async () => {
    const tenant = await tenantOf('herdecke');
    const { file } = await fullChain('herdecke');
    const ctx = contextOf(tenant);
    const created = (await owner.query<{ created_at: Date }>('SELECT created_at FROM record_file WHERE id = $1', [file.id])).rows[0]!.created_at;
    const page = (unit: Parameters<Parameters<ReadOnlyScope>[1]>[0]) =>
      unit.repo(recordsReads).filePage({ createdFrom: created, createdTo: new Date(created.getTime() + 1), retentionEndsBefore: new Date('2037-01-01T00:00:00Z'), limit: 10 });
    const viaPg = await reads(ctx, page);
    expect(viaPg.map((r) => r.id)).toEqual([file.id]);
    expect(viaPg).toStrictEqual(await scope(ctx, page));
  });

  it('see nothing of another tenant, and nothing above the caller\'s clearance', async () => {
    const { file } = await fullChain('herdecke');
    const other = contextOf(await tenantOf('wetter'));
    expect(await reads(other, (u) => u.repo(recordsReads).file(file.id))).toBeNull();
    // Without the tenant filter of the repository, row-level security alone hides the row.
    const unitInWetter = await reads(other, async (u) => {
      const rows = await u.repo((q) => q).$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM record_file WHERE id = ${file.id}::uuid`;
      return rows[0]!.n;
    });
    expect(unitInWetter).toBe(0);
    const herdecke = await tenantOf('herdecke');
    expect((await reads(contextOf(herdecke), (u) => u.repo(recordsReads).file(file.id)))?.id).toBe(file.id);
    expect(await reads(contextOf(herdecke, '003'), (u) => u.repo(recordsReads).file(file.id))).toBeNull();
  });

  it('refuse every write and row lock, and leave nothing behind', async () => {
    const tenant = await tenantOf('herdecke');
    const { file } = await fullChain('herdecke');
    const ctx = contextOf(tenant);
    const before = (await owner.query<{ title: string }>('SELECT title FROM record_file WHERE id = $1', [file.id])).rows[0]!.title;
    await expect(
      reads(ctx, (u) => u.repo((q) => q).$queryRaw`UPDATE record_file SET title = 'x' WHERE id = ${file.id}::uuid RETURNING id`),
    ).rejects.toMatchObject({ code: '25006' });
    await expect(reads(ctx, (u) => u.repo(recordsReads).file(file.id, 'update'))).rejects.toMatchObject({ code: '25006' });
    expect((await owner.query<{ title: string }>('SELECT title FROM record_file WHERE id = $1', [file.id])).rows[0]!.title).toBe(before);
  });

  it('give every connection back, after failures too', async () => {
    const tenant = await tenantOf('herdecke');
    const { file } = await fullChain('herdecke');
    const ctx = contextOf(tenant);
    const pool = poolOf(t.deps.db)!;
    // Three times the pool's size of failing reads (a bad cast), then as many good ones.
    const failing = Array.from({ length: pool.options.max * 3 }, () =>
      reads(ctx, (u) => u.repo((q) => q).$queryRaw`SELECT 'not a uuid'::uuid`).then(() => 'answered', (err: { code?: string }) => err.code),
    );
    expect(new Set(await Promise.all(failing))).toEqual(new Set(['22P02']));
    const good = await Promise.all(Array.from({ length: pool.options.max * 3 }, () => reads(ctx, (u) => u.repo(recordsReads).file(file.id))));
    expect(good.every((r) => r?.id === file.id)).toBe(true);
    expect(pool.waitingCount).toBe(0);
    expect(pool.totalCount).toBeLessThanOrEqual(pool.options.max);
  });
});
