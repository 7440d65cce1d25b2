import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, 'witten');
});
afterAll(() => t.close());

describe('file plan units', () => {
  it('creates a unit with 201, Location and ETag, and reads it back', async () => {
    const code = f.uniqueCode();
    const res = await f.manager.post('/file-plan/units', {
      code, title: 'Ordnungsangelegenheiten', retentionYears: null, disposal: 'A', validFrom: '2026-01-01',
    });
    expect(res.statusCode).toBe(201);
    const unit = res.json();
    expect(unit).toEqual({
      id: unit.id, code, parentCode: null, title: 'Ordnungsangelegenheiten', description: null, retentionYears: null,
      disposal: 'A', validFrom: '2026-01-01', validUntil: null, retired: false, retiredAt: null,
      createdAt: unit.createdAt, updatedAt: unit.updatedAt,
    });
    expect(res.headers.location).toBe(`/v1/tenants/witten/file-plan/units/${unit.id}`);
    const read = await f.clerk.get(`/file-plan/units/${unit.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(unit);
    expect(read.headers.etag).toBe(res.headers.etag);
  });

  it('nests units by code and shows the plan as a tree', async () => {
    const root = await f.unit();
    await f.unit({ code: `${root.code}.10` });
    await f.unit({ code: `${root.code}.10.05`, title: 'Gewerbeanmeldungen' });
    await f.unit({ code: `${root.code}.20` });
    const res = await f.clerk.get('/file-plan');
    expect(res.statusCode).toBe(200);
    const node = res.json().units.find((u: { code: string }) => u.code === root.code);
    expect(node.children.map((c: { code: string }) => c.code)).toEqual([`${root.code}.10`, `${root.code}.20`]);
    expect(node.children[0].children[0]).toMatchObject({ code: `${root.code}.10.05`, parentCode: `${root.code}.10`, children: [] });
  });

  it('refuses a child whose parent does not exist (422 parent-missing) and an existing code (409 unit-exists)', async () => {
    const orphan = `${f.uniqueCode()}.10`;
    const missing = await f.manager.post('/file-plan/units', { code: orphan, title: 'x', retentionYears: 5, disposal: 'V' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'parent-missing', unit: orphan, parent: orphan.split('.')[0] });
    const u = await f.unit();
    const dup = await f.manager.post('/file-plan/units', { code: u.code, title: 'again', retentionYears: 5, disposal: 'V' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'unit-exists', detail: `Unit ${u.code} already exists`, codes: [u.code] });
  });

  it('validates the body: unknown properties, bad codes, bad disposal, validity order', async () => {
    const bad = [
      [{ code: 'A1', title: 'x', retentionYears: 1, disposal: 'B', colour: 'red' }, "body unknown property 'colour'"],
      [{ code: '32..10', title: 'x', retentionYears: 1, disposal: 'B' }, 'body/code must match pattern'],
      [{ code: 'B1', title: 'x', retentionYears: 1, disposal: 'X' }, 'body/disposal'],
      [{ code: 'C1', title: 'x', retentionYears: 1, disposal: 'A', validFrom: '2026-05-01', validUntil: '2026-01-01' }, 'validUntil is before validFrom'],
    ] as const;
    for (const [body, detail] of bad) {
      const res = await f.manager.post('/file-plan/units', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code).toBe('validation-failed');
      expect(res.json().detail).toContain(detail);
    }
  });

  it('answers 400, not 500, for NUL characters that PostgreSQL cannot store, and creates nothing', async () => {
    const code = f.uniqueCode();
    const res = await f.manager.post('/file-plan/units', { code, title: 'a\u0000b', retentionYears: 1, disposal: 'B' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'bad-request', detail: 'Text must not contain NUL characters (U+0000)' });
    const unit = await f.unit();
    const inMetadata = await f.clerk.post('/files', { planCode: unit.code, title: 'x', metadata: { note: 'a\u0000b' } });
    expect(inMetadata.statusCode).toBe(400);
    expect((await f.clerk.get(`/files?planUnitId=${unit.id}`)).json()).toEqual({ items: [], next: null });
    const query = await f.clerk.get('/files?titlePrefix=a%00b');
    expect(query.statusCode).toBe(400);
    expect((await f.clerk.get(`/file-plan/units?parentCode=${code}`)).json()).toEqual({ items: [], next: null });
  });

  it('lets only records managers and tenant admins change the plan (403 for a clerk)', async () => {
    const res = await f.clerk.post('/file-plan/units', { code: f.uniqueCode(), title: 'x', retentionYears: 1, disposal: 'B' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'forbidden', detail: 'This needs one of the roles: tenant-admin, records-manager' });
  });

  it('updates with If-Match: 428 without, 412 when stale, 200 with the current ETag', async () => {
    const created = await f.manager.post('/file-plan/units', { code: f.uniqueCode(), title: 'Alt', retentionYears: 5, disposal: 'B' });
    const { id } = created.json();
    const etag = created.headers.etag as string;
    expect((await f.manager.patch(`/file-plan/units/${id}`, { title: 'Neu' })).statusCode).toBe(428);
    const ok = await f.manager.patch(`/file-plan/units/${id}`, { title: 'Neu', retentionYears: 30 }, { 'if-match': etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ title: 'Neu', retentionYears: 30 });
    expect(ok.headers.etag).not.toBe(etag);
    const stale = await f.manager.patch(`/file-plan/units/${id}`, { title: 'Zu spät' }, { 'if-match': etag });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('precondition-failed');
  });

  it('retires a unit: it stays readable, takes no children, and retiring twice is 409', async () => {
    const created = await f.manager.post('/file-plan/units', { code: f.uniqueCode(), title: 'Alt', retentionYears: 5, disposal: 'B' });
    const { id, code } = created.json();
    const retired = await f.manager.post(`/file-plan/units/${id}/retire`, undefined, { 'if-match': created.headers.etag as string });
    expect(retired.statusCode).toBe(200);
    expect(retired.json()).toMatchObject({ retired: true });
    const child = await f.manager.post('/file-plan/units', { code: `${code}.1`, title: 'x', retentionYears: 1, disposal: 'B' });
    expect(child.statusCode).toBe(409);
    expect(child.json().code).toBe('unit-retired');
    const again = await f.manager.post(`/file-plan/units/${id}/retire`, undefined, { 'if-match': retired.headers.etag as string });
    expect(again.statusCode).toBe(409);
    const list = await f.clerk.get(`/file-plan/units?retired=true&limit=200`);
    expect(list.json().items.map((u: { id: string }) => u.id)).toContain(id);
  });
});

describe('file plan import', () => {
  it('imports hundreds of units in one go, parents in any order', async () => {
    const root = f.uniqueCode();
    const units: { code: string; title: string; retentionYears: number | null; disposal: string }[] = [
      { code: root, title: 'Wurzel', retentionYears: null, disposal: 'A' },
    ];
    for (let i = 1; i <= 20; i++) {
      units.push({ code: `${root}.${i}`, title: `Gruppe ${i}`, retentionYears: 10, disposal: 'B' });
      for (let j = 1; j <= 15; j++) units.push({ code: `${root}.${i}.${j}`, title: `Einheit ${i}.${j}`, retentionYears: 5, disposal: 'V' });
    }
    const res = await f.manager.post('/file-plan/import', { units: units.reverse() });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ created: 321 });
    const children = await f.clerk.get(`/file-plan/units?parentCode=${root}.7&limit=50`);
    expect(children.json().items).toHaveLength(15);
  });

  it('is all or nothing: one orphan rejects the whole import', async () => {
    const root = f.uniqueCode();
    const res = await f.manager.post('/file-plan/import', {
      units: [
        { code: root, title: 'Wurzel', retentionYears: null, disposal: 'A' },
        { code: `${root}.1`, title: 'ok', retentionYears: 1, disposal: 'A' },
        { code: `${root}.9.1`, title: 'orphan', retentionYears: 1, disposal: 'A' },
      ],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'parent-missing', detail: `Unit ${root}.9.1: parent ${root}.9 is neither in the import nor in the plan`, unit: `${root}.9.1`, parent: `${root}.9`,
    });
    const list = await f.clerk.get(`/file-plan/units?parentCode=${root}`);
    expect(list.json().items).toEqual([]);
  });

  it('refuses an import naming a code the plan has already with 409 unit-exists, and imports nothing', async () => {
    const existing = await f.unit();
    const fresh = f.uniqueCode();
    const res = await f.manager.post('/file-plan/import', {
      units: [
        { code: fresh, title: 'neu', retentionYears: 1, disposal: 'A' },
        { code: existing.code, title: 'schon da', retentionYears: 1, disposal: 'A' },
      ],
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(
      problem('unit-exists', `Units already exist: ${existing.code}`, '/v1/tenants/witten/file-plan/import', { codes: [existing.code] }),
    );
    // The other unit of the import was not created: its code is free.
    const after = await f.manager.post('/file-plan/units', { code: fresh, title: 'neu', retentionYears: 1, disposal: 'A' });
    expect(after.statusCode, after.body).toBe(201);
  });

  it('rejects duplicate codes within an import with 422 duplicate-codes', async () => {
    const code = f.uniqueCode();
    const res = await f.manager.post('/file-plan/import', {
      units: [
        { code, title: 'a', retentionYears: 1, disposal: 'A' },
        { code, title: 'b', retentionYears: 1, disposal: 'A' },
      ],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'duplicate-codes', detail: `Codes appear twice in the import: ${code}`, codes: [code] });
  });
});
