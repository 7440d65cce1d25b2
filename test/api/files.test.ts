import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { germanYearNow, problem, recordFactories, type Created } from '../support/records.js';

const TENANT = 'hattingen';
const BASE = `/v1/tenants/${TENANT}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let year: number;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  year = germanYearNow();
});
afterAll(() => t.close());

const ids = (res: { json(): { items: { id: string }[] } }) => res.json().items.map((i) => i.id);
const seq = (code: string, n: number) => `${code}-${String(n).padStart(4, '0')}/${year}`;

describe('creating files', () => {
  it('creates a file by planCode: 201 with Location, ETag and the exact representation', async () => {
    const unit = await f.unit();
    const res = await f.clerk.post('/files', {
      planCode: unit.code, title: 'Gewerbeanmeldungen Innenstadt', leadOrgUnit: 'FB 32 Ordnung', metadata: { channel: 'online' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      reference: seq(unit.code, 1),
      planUnitId: unit.id,
      planCode: unit.code,
      title: 'Gewerbeanmeldungen Innenstadt',
      description: null,
      confidentiality: '003',
      leadOrgUnit: 'FB 32 Ordnung',
      metadata: { channel: 'online' },
      status: 'open',
      closedOn: null,
      retention: null,
      hold: null,
      disposal: null,
      createdAt: body.createdAt,
      updatedAt: body.createdAt,
      createdBy: 'user@hattingen',
    });
    expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
    expect(res.headers.location).toBe(`${BASE}/files/${body.id}`);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });

  it('creates a file by planUnitId, with every optional field', async () => {
    const unit = await f.unit();
    // VS-NfD needs a clerk cleared for it.
    const res = await f.as(['clerk'], undefined, { clearance: '002' }).post('/files', {
      planUnitId: unit.id, title: 'Sperrmüll', description: 'Abholungen', confidentiality: '002', leadOrgUnit: null, metadata: {},
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      reference: seq(unit.code, 1), planUnitId: unit.id, planCode: unit.code, title: 'Sperrmüll', description: 'Abholungen',
      confidentiality: '002', leadOrgUnit: null, metadata: {}, status: 'open', closedOn: null,
    });
  });

  it('needs exactly one of planCode and planUnitId (400 validation-failed)', async () => {
    const unit = await f.unit();
    const expected = problem('validation-failed', 'Give either planUnitId or planCode', `${BASE}/files`, {
      errors: [{ path: 'body', message: 'needs exactly one of planUnitId, planCode' }],
    });
    const neither = await f.clerk.post('/files', { title: 'ohne Einheit' });
    expect(neither.statusCode).toBe(400);
    expect(neither.json()).toEqual(expected);
    const both = await f.clerk.post('/files', { planCode: unit.code, planUnitId: unit.id, title: 'doppelt' });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toEqual(expected);
  });

  it('answers 422 for an unknown unit: unknown code, unknown id, and a unit of another tenant', async () => {
    const expected = problem('unprocessable', 'The file-plan unit does not exist', `${BASE}/files`);
    const byCode = await f.clerk.post('/files', { planCode: f.uniqueCode(), title: 'x' });
    expect(byCode.statusCode).toBe(422);
    expect(byCode.json()).toEqual(expected);
    const byId = await f.clerk.post('/files', { planUnitId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c10', title: 'x' });
    expect(byId.statusCode).toBe(422);
    expect(byId.json()).toEqual(expected);
    const wittenUnit = await recordFactories(t, 'witten').unit();
    const foreign = await f.clerk.post('/files', { planUnitId: wittenUnit.id, title: 'x' });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json()).toEqual(expected);
  });

  it('refuses a retired unit with 409 unit-retired', async () => {
    const unit = await f.unit();
    await f.retire(unit.id);
    const res = await f.clerk.post('/files', { planCode: unit.code, title: 'zu spät' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(problem('unit-retired', `File-plan unit ${unit.code} is retired`, `${BASE}/files`));
  });

  it('numbers references per unit: 0001, 0002, and another unit starts at 0001 again', async () => {
    const a = await f.unit();
    const b = await f.unit();
    expect((await f.file({ planCode: a.code })).reference).toBe(seq(a.code, 1));
    expect((await f.file({ planUnitId: a.id })).reference).toBe(seq(a.code, 2));
    expect((await f.file({ planCode: b.code })).reference).toBe(seq(b.code, 1));
    expect((await f.file({ planCode: a.code })).reference).toBe(seq(a.code, 3));
  });

  it('rejects unknown properties and invalid values with 400 validation-failed', async () => {
    const unit = await f.unit();
    const unknown = await f.clerk.post('/files', { planCode: unit.code, title: 'x', colour: 'red' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'validation-failed', errors: [{ path: 'body', message: "unknown property 'colour'" }] });
    const badConfidentiality = await f.clerk.post('/files', { planCode: unit.code, title: 'x', confidentiality: '006' });
    expect(badConfidentiality.statusCode).toBe(400);
    expect(badConfidentiality.json().code).toBe('validation-failed');
    const emptyTitle = await f.clerk.post('/files', { planCode: unit.code, title: '' });
    expect(emptyTitle.statusCode).toBe(400);
    expect(emptyTitle.json().code).toBe('validation-failed');
    const list = await f.clerk.get(`/files?planUnitId=${unit.id}`);
    expect(list.json()).toEqual({ items: [], next: null });
  });
});

describe('concurrent file creation', () => {
  it('gives 20 concurrent creations under one unit the 20 distinct references 0001..0020', async () => {
    const unit = await f.unit();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => f.clerk.post('/files', { planCode: unit.code, title: `Parallel ${i}` })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const references = responses.map((r) => r.json().reference as string).sort();
    expect(references).toEqual(Array.from({ length: 20 }, (_, i) => seq(unit.code, i + 1)));
    const list = await f.clerk.get(`/files?planUnitId=${unit.id}&limit=50`);
    expect(list.json().items).toHaveLength(20);
    expect(new Set(ids(list))).toEqual(new Set(responses.map((r) => r.json().id)));
  });
});

describe('reading a file', () => {
  it('answers the file with the ETag of its last change', async () => {
    const file = await f.file({ title: 'Lesen' });
    const res = await f.clerk.get(`/files/${file.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(file.body);
    expect(res.headers.etag).toBe(file.etag);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it("answers another tenant's file with the same 404 as an unknown id", async () => {
    const file = await f.file({ title: 'Hattinger Akte' });
    const witten = recordFactories(t, 'witten').clerk;
    const foreign = await witten.get(`/files/${file.id}`);
    const unknownId = '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c99';
    const unknown = await witten.get(`/files/${unknownId}`);
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(foreign.json()).toEqual(problem('not-found', 'No such file', `/v1/tenants/witten/files/${file.id}`));
    expect(unknown.json()).toEqual(problem('not-found', 'No such file', `/v1/tenants/witten/files/${unknownId}`));
    expect(foreign.headers.etag).toBeUndefined();
  });

  it("answers another tenant's path with the same 404 as an unknown tenant", async () => {
    const file = await f.file({ title: 'Hattinger Akte' });
    const wittenToken = await t.tokenFor('witten', ['clerk']);
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${wittenToken}` } });
    const foreign = await get(`${BASE}/files/${file.id}`);
    const unknown = await get(`/v1/tenants/nirgendwo/files/${file.id}`);
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(foreign.json()).toEqual(problem('not-found', 'No such tenant', `${BASE}/files/${file.id}`));
    expect(unknown.json()).toEqual(problem('not-found', 'No such tenant', `/v1/tenants/nirgendwo/files/${file.id}`));
  });
});

describe('listing files', () => {
  it('filters by planUnitId and status', async () => {
    const unit = await f.unit();
    const open = await f.file({ planCode: unit.code, title: 'offen' });
    const closed = await f.file({ planCode: unit.code, title: 'geschlossen' });
    expect((await f.closeFile(closed.id)).statusCode).toBe(200);
    const other = await f.file({ title: 'andere Einheit' });

    const all = await f.clerk.get(`/files?planUnitId=${unit.id}`);
    expect(all.statusCode).toBe(200);
    expect(ids(all)).toEqual([open.id, closed.id]);
    expect(all.json().next).toBeNull();
    expect(ids(await f.clerk.get(`/files?planUnitId=${unit.id}&status=open`))).toEqual([open.id]);
    expect(ids(await f.clerk.get(`/files?planUnitId=${unit.id}&status=closed`))).toEqual([closed.id]);
    expect(ids(await f.clerk.get(`/files?planUnitId=${other.body.planUnitId}`))).toEqual([other.id]);
    const item = (await f.clerk.get(`/files?planUnitId=${unit.id}&status=open`)).json().items[0];
    expect(item).toEqual(open.body);
  });

  it('filters by referencePrefix and by titlePrefix (case-sensitive)', async () => {
    const unit = await f.unit();
    const files = [];
    for (const title of ['Gewerbe Bäckerei', 'Gewerbe Café', 'gewerbe klein', 'Sperrmüll']) files.push(await f.file({ planCode: unit.code, title }));
    for (let i = 0; i < 8; i++) files.push(await f.file({ planCode: unit.code, title: `Füllakte ${i}` }));
    // References 0001..0012: the prefix "…-001" matches 0010, 0011, 0012 only.
    const byRef = await f.clerk.get(`/files?referencePrefix=${encodeURIComponent(`${unit.code}-001`)}`);
    expect(byRef.statusCode).toBe(200);
    expect(byRef.json().items.map((i: { reference: string }) => i.reference)).toEqual([seq(unit.code, 10), seq(unit.code, 11), seq(unit.code, 12)]);
    const exact = await f.clerk.get(`/files?referencePrefix=${encodeURIComponent(seq(unit.code, 2))}`);
    expect(ids(exact)).toEqual([files[1]!.id]);

    const byTitle = await f.clerk.get(`/files?planUnitId=${unit.id}&titlePrefix=${encodeURIComponent('Gewerbe')}`);
    expect(ids(byTitle)).toEqual([files[0]!.id, files[1]!.id]);
    const lower = await f.clerk.get(`/files?planUnitId=${unit.id}&titlePrefix=${encodeURIComponent('gewerbe')}`);
    expect(ids(lower)).toEqual([files[2]!.id]);
  });

  it('treats % in titlePrefix as a literal character, not a wildcard', async () => {
    const unit = await f.unit();
    const percent = await f.file({ planCode: unit.code, title: '50% Ermäßigung' });
    await f.file({ planCode: unit.code, title: '500 Euro' });
    const res = await f.clerk.get(`/files?planUnitId=${unit.id}&titlePrefix=${encodeURIComponent('50%')}`);
    expect(res.statusCode).toBe(200);
    expect(ids(res)).toEqual([percent.id]);
  });

  it('treats _ in titlePrefix as a literal character, not a wildcard', async () => {
    const unit = await f.unit();
    const underscore = await f.file({ planCode: unit.code, title: 'A_1 Antrag' });
    await f.file({ planCode: unit.code, title: 'AB1 Antrag' });
    const res = await f.clerk.get(`/files?planUnitId=${unit.id}&titlePrefix=${encodeURIComponent('A_')}`);
    expect(res.statusCode).toBe(200);
    expect(ids(res)).toEqual([underscore.id]);
  });

  it('filters by createdFrom (inclusive) and createdTo (exclusive)', async () => {
    const unit = await f.unit();
    const files: Created[] = [];
    for (let i = 0; i < 5; i++) files.push(await f.file({ planCode: unit.code, title: `Zeit ${i}` }));
    const at = (i: number) => files[i]!.body.createdAt as string;
    const from = at(1);
    const to = at(3);
    const expected = files.filter((x) => (x.body.createdAt as string) >= from && (x.body.createdAt as string) < to).map((x) => x.id);
    expect(expected).toContain(files[1]!.id);
    expect(expected).not.toContain(files[3]!.id);
    const res = await f.clerk.get(`/files?planUnitId=${unit.id}&createdFrom=${from}&createdTo=${to}`);
    expect(res.statusCode).toBe(200);
    expect(ids(res)).toEqual(expected);
    expect(ids(await f.clerk.get(`/files?planUnitId=${unit.id}&createdFrom=${at(4)}`))).toEqual(
      files.filter((x) => (x.body.createdAt as string) >= at(4)).map((x) => x.id),
    );
    expect(ids(await f.clerk.get(`/files?planUnitId=${unit.id}&createdTo=${at(0)}`))).toEqual([]);
    const bad = await f.clerk.get(`/files?createdFrom=yesterday`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation-failed');
  });

  it('pages 7 files with limit=3: each exactly once, in creation order', async () => {
    const unit = await f.unit();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await f.file({ planCode: unit.code, title: `Seite ${i}` })).id);
    const seen: string[] = [];
    const sizes: number[] = [];
    let url = `/files?planUnitId=${unit.id}&limit=3`;
    for (;;) {
      const page = await f.clerk.get(url);
      expect(page.statusCode).toBe(200);
      seen.push(...ids(page));
      sizes.push(page.json().items.length);
      const next = page.json().next as string | null;
      if (next === null) break;
      expect(next).toMatch(/^[A-Za-z0-9_-]+$/);
      url = `/files?planUnitId=${unit.id}&limit=3&cursor=${next}`;
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(created);
  });

  it('keeps pages stable when a file is created between page 1 and page 2', async () => {
    const unit = await f.unit();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await f.file({ planCode: unit.code, title: `Stabil ${i}` })).id);
    const first = await f.clerk.get(`/files?planUnitId=${unit.id}&limit=3`);
    const late = await f.file({ planCode: unit.code, title: 'Nachzügler' });
    const seen = ids(first);
    let next = first.json().next as string | null;
    while (next !== null) {
      const page = await f.clerk.get(`/files?planUnitId=${unit.id}&limit=3&cursor=${next}`);
      seen.push(...ids(page));
      next = page.json().next;
    }
    expect(seen).toEqual([...created, late.id]);
  });

  it('rejects a malformed cursor and an out-of-range limit (400)', async () => {
    const cursor = await f.clerk.get(`/files?cursor=${Buffer.from('not json').toString('base64url')}`);
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json()).toEqual(problem('bad-request', 'The cursor is not valid; use the `next` value of a previous page', `${BASE}/files`));
    const limit = await f.clerk.get('/files?limit=201');
    expect(limit.statusCode).toBe(400);
    expect(limit.json().code).toBe('validation-failed');
  });
});

describe('changing a file', () => {
  it('needs If-Match: 428 without, 412 when stale, 200 with the current ETag', async () => {
    const file = await f.file({ title: 'Alt' });
    const url = `/files/${file.id}`;
    const missing = await f.clerk.patch(url, { title: 'Neu' });
    expect(missing.statusCode).toBe(428);
    expect(missing.json()).toEqual(problem('precondition-required', 'Send If-Match with the ETag you read', `${BASE}${url}`));

    const ok = await f.clerk.patch(url, { title: 'Neu' }, { 'if-match': file.etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ...file.body, title: 'Neu', updatedAt: ok.json().updatedAt });
    expect(ok.headers.etag).not.toBe(file.etag);
    expect((await f.clerk.get(url)).headers.etag).toBe(ok.headers.etag);

    const stale = await f.clerk.patch(url, { title: 'Zu spät' }, { 'if-match': file.etag });
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toEqual(
      problem('precondition-failed', 'If-Match does not match the current ETag; read the object again', `${BASE}${url}`),
    );
    expect((await f.clerk.get(url)).json().title).toBe('Neu');
  });

  it('replaces metadata as a whole, keeps fields not sent and clears fields sent as null', async () => {
    const file = await f.file({ title: 'Meta', description: 'Beschreibung', leadOrgUnit: 'FB 32', metadata: { a: 1, b: { c: 2 } } });
    const res = await f.clerk.patch(`/files/${file.id}`, { metadata: { d: 'neu' }, description: null }, { 'if-match': file.etag });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...file.body, metadata: { d: 'neu' }, description: null, updatedAt: res.json().updatedAt });
    expect((await f.clerk.get(`/files/${file.id}`)).json()).toEqual(res.json());
  });

  it('accepts metadata of exactly 16 KiB and refuses one byte more with 400', async () => {
    const file = await f.file({ title: 'Groß' });
    const meta = (bytes: number) => ({ x: 'a'.repeat(bytes - '{"x":""}'.length) });
    expect(Buffer.byteLength(JSON.stringify(meta(16 * 1024)))).toBe(16384);
    const ok = await f.clerk.patch(`/files/${file.id}`, { metadata: meta(16384) }, { 'if-match': file.etag });
    expect(ok.statusCode).toBe(200);
    const tooBig = await f.clerk.patch(`/files/${file.id}`, { metadata: meta(16385) }, { 'if-match': ok.headers.etag as string });
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json()).toEqual(
      problem('validation-failed', 'metadata is 16385 bytes; at most 16384 are allowed', `${BASE}/files/${file.id}`, {
        errors: [{ path: 'body/metadata', message: 'must be at most 16384 bytes serialised' }],
      }),
    );
    const onCreate = await f.clerk.post('/files', { planCode: file.body.planCode, title: 'Groß', metadata: meta(20000) });
    expect(onCreate.statusCode).toBe(400);
    expect(onCreate.json().detail).toBe('metadata is 20000 bytes; at most 16384 are allowed');
  });

  it('rejects unknown properties and an empty change with 400', async () => {
    const file = await f.file();
    const unknown = await f.clerk.patch(`/files/${file.id}`, { title: 'x', status: 'closed' }, { 'if-match': file.etag });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual(
      problem('validation-failed', "body unknown property 'status'", `${BASE}/files/${file.id}`, {
        errors: [{ path: 'body', message: "unknown property 'status'" }],
      }),
    );
    const empty = await f.clerk.patch(`/files/${file.id}`, {}, { 'if-match': file.etag });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('validation-failed');
    expect((await f.clerk.get(`/files/${file.id}`)).headers.etag).toBe(file.etag);
  });
});

describe('closing and reopening files', () => {
  it('refuses to close a file with open cases: 409 open-cases', async () => {
    const file = await f.file();
    await f.kase(file.id);
    await f.kase(file.id);
    const res = await f.closeFile(file.id, { closedOn: '2026-11-20' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(
      problem('open-cases', '2 case(s) of this file are still open; close them first or send closeOpenCases: true', `${BASE}/files/${file.id}/close`, {
        openCases: 2,
      }),
    );
    expect((await f.clerk.get(`/files/${file.id}`)).json().status).toBe('open');
  });

  it('closes the file and its open cases on the same closedOn with closeOpenCases', async () => {
    const file = await f.file();
    const c1 = await f.kase(file.id);
    const c2 = await f.kase(file.id);
    const res = await f.closeFile(file.id, { closedOn: '2026-11-20', closeOpenCases: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ...file.body, status: 'closed', closedOn: '2026-11-20', updatedAt: res.json().updatedAt,
      // zdA fixes the retention from the plan unit (10 years, B): to the end of 2036.
      retention: { disposalCode: 'B', retentionYears: 10, endsOn: '2036-12-31', overridden: false },
    });
    for (const c of [c1, c2]) {
      const read = await f.clerk.get(`/cases/${c.id}`);
      expect(read.json()).toMatchObject({ status: 'closed', closedOn: '2026-11-20' });
      expect(read.headers.etag).not.toBe(c.etag);
    }
  });

  it('closes a file without cases on today (default) and needs If-Match', async () => {
    const file = await f.file();
    const missing = await f.clerk.post(`/files/${file.id}/close`, {});
    expect(missing.statusCode).toBe(428);
    const res = await f.clerk.post(`/files/${file.id}/close`, {}, { 'if-match': file.etag });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('closed');
    expect(res.json().closedOn).toBe(new Date().toISOString().slice(0, 10));
  });

  it('refuses a closedOn in the future with 400', async () => {
    const file = await f.file();
    const res = await f.closeFile(file.id, { closedOn: '2099-01-01' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      problem('validation-failed', 'closedOn lies in the future', `${BASE}/files/${file.id}/close`, {
        errors: [{ path: 'body/closedOn', message: 'must not be after today' }],
      }),
    );
    expect((await f.clerk.get(`/files/${file.id}`)).json().status).toBe('open');
  });

  it('makes a closed file read-only: PATCH, new cases and closing again answer 409 object-closed', async () => {
    const file = await f.file();
    const closed = await f.closeFile(file.id, { closedOn: '2026-11-20' });
    const etag = closed.headers.etag as string;
    const objectClosed = (path: string) => problem('object-closed', 'The file is closed; reopen it first', `${BASE}${path}`);
    const patch = await f.clerk.patch(`/files/${file.id}`, { title: 'geändert' }, { 'if-match': etag });
    expect(patch.statusCode).toBe(409);
    expect(patch.json()).toEqual(objectClosed(`/files/${file.id}`));
    const kase = await f.clerk.post(`/files/${file.id}/cases`, { title: 'neuer Vorgang' });
    expect(kase.statusCode).toBe(409);
    expect(kase.json()).toEqual(objectClosed(`/files/${file.id}/cases`));
    const again = await f.clerk.post(`/files/${file.id}/close`, {}, { 'if-match': etag });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual(objectClosed(`/files/${file.id}/close`));
    expect((await f.clerk.get(`/files/${file.id}`)).headers.etag).toBe(etag);
  });

  it('reopens only by a records manager with a reason; the file is open again, its cases stay closed', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    const closed = await f.closeFile(file.id, { closedOn: '2026-11-20', closeOpenCases: true });
    const etag = closed.headers.etag as string;
    const url = `/files/${file.id}/reopen`;

    const byClerk = await f.clerk.post(url, { reason: 'Widerspruch eingegangen' }, { 'if-match': etag });
    expect(byClerk.statusCode).toBe(403);
    expect(byClerk.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager', `${BASE}${url}`));
    const noReason = await f.manager.post(url, {}, { 'if-match': etag });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().code).toBe('validation-failed');
    const noIfMatch = await f.manager.post(url, { reason: 'Widerspruch eingegangen' });
    expect(noIfMatch.statusCode).toBe(428);

    const ok = await f.manager.post(url, { reason: 'Widerspruch eingegangen' }, { 'if-match': etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ...file.body, status: 'open', closedOn: null, updatedAt: ok.json().updatedAt });
    expect((await f.clerk.get(`/cases/${c.id}`)).json()).toMatchObject({ status: 'closed', closedOn: '2026-11-20' });

    const twice = await f.manager.post(url, { reason: 'noch einmal' }, { 'if-match': ok.headers.etag as string });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toEqual(problem('conflict', 'The file is not closed', `${BASE}${url}`));
    const patch = await f.clerk.patch(`/files/${file.id}`, { title: 'wieder offen' }, { 'if-match': ok.headers.etag as string });
    expect(patch.statusCode).toBe(200);
  });
});

describe('roles on files', () => {
  it('lets a reader read and list files but not create one (403 forbidden)', async () => {
    const unit = await f.unit();
    const file = await f.file({ planCode: unit.code });
    const reader = f.as(['reader']);
    const read = await reader.get(`/files/${file.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(file.body);
    expect(ids(await reader.get(`/files?planUnitId=${unit.id}`))).toEqual([file.id]);
    const create = await reader.post('/files', { planCode: unit.code, title: 'nicht erlaubt' });
    expect(create.statusCode).toBe(403);
    expect(create.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager, clerk', `${BASE}/files`));
    const patch = await reader.patch(`/files/${file.id}`, { title: 'nicht erlaubt' }, { 'if-match': file.etag });
    expect(patch.statusCode).toBe(403);
  });

  it('lets an auditor read file metadata', async () => {
    const file = await f.file();
    const res = await f.as(['auditor']).get(`/files/${file.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(file.body);
    expect(res.headers.etag).toBe(file.etag);
  });

  it('answers 403 to a token of the tenant without roles, and to a tenant admin (no records role)', async () => {
    const file = await f.file();
    const none = await f.as([]).get(`/files/${file.id}`);
    expect(none.statusCode).toBe(403);
    expect(none.json()).toEqual(
      problem('forbidden', 'This needs one of the roles: records-manager, clerk, reader, auditor', `${BASE}/files/${file.id}`),
    );
    expect((await f.as(['tenant-admin']).get(`/files/${file.id}`)).statusCode).toBe(403);
  });
});
