import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories, type Caller } from '../support/records.js';

const TENANT = 'hattingen';
const BASE = `/v1/tenants/${TENANT}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let alice: Caller;
let bob: Caller;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  alice = f.as(['clerk'], 'alice');
  bob = f.as(['clerk'], 'bob');
});
afterAll(() => t.close());

const ids = (res: { json(): { items: { id: string }[] } }) => res.json().items.map((i) => i.id);

/** Follows `next` until the last page; returns the ids in order and the page sizes. */
async function allPages(url: string, by: Caller = f.clerk) {
  const seen: string[] = [];
  const sizes: number[] = [];
  let next: string | null = null;
  do {
    const page = await by.get(next === null ? url : `${url}&cursor=${next}`);
    expect(page.statusCode).toBe(200);
    seen.push(...ids(page));
    sizes.push(page.json().items.length);
    next = page.json().next;
  } while (next !== null);
  return { seen, sizes };
}

/** A document in a fresh open file and case. */
async function freshDocument(fields: Record<string, unknown> = {}) {
  const file = await f.file();
  const c = await f.kase(file.id);
  return { file, case: c, doc: await f.document(c.id, fields) };
}

describe('cases', () => {
  it('opens cases numbered after the file reference: -001, -002, with Location and ETag', async () => {
    const file = await f.file();
    const res = await f.clerk.post(`/files/${file.id}/cases`, {
      title: 'Gewerbeanmeldung Bäckerei Yılmaz', description: 'online eingegangen', metadata: { portalCaseId: 'HAT-2026-00017' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      fileId: file.id,
      reference: `${file.reference}-001`,
      title: 'Gewerbeanmeldung Bäckerei Yılmaz',
      description: 'online eingegangen',
      metadata: { portalCaseId: 'HAT-2026-00017' },
      status: 'open',
      closedOn: null,
      createdAt: body.createdAt,
      updatedAt: body.createdAt,
      createdBy: 'user@hattingen',
    });
    expect(res.headers.location).toBe(`${BASE}/cases/${body.id}`);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect((await f.kase(file.id)).reference).toBe(`${file.reference}-002`);
    const read = await f.clerk.get(`/cases/${body.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
    expect(read.headers.etag).toBe(res.headers.etag);
  });

  it('numbers cases per file: another file starts at -001 again', async () => {
    const a = await f.file();
    const b = await f.file();
    expect((await f.kase(a.id)).reference).toBe(`${a.reference}-001`);
    expect((await f.kase(b.id)).reference).toBe(`${b.reference}-001`);
    expect((await f.kase(a.id)).reference).toBe(`${a.reference}-002`);
  });

  it('answers 404 for a case in an unknown file', async () => {
    const unknown = '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c99';
    const res = await f.clerk.post(`/files/${unknown}/cases`, { title: 'x' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(problem('not-found', 'No such file', `${BASE}/files/${unknown}/cases`));
    const list = await f.clerk.get(`/files/${unknown}/cases`);
    expect(list.statusCode).toBe(404);
    expect(list.json()).toEqual(problem('not-found', 'No such file', `${BASE}/files/${unknown}/cases`));
  });

  it('numbers 10 concurrent cases of one file -001..-010 without gaps or duplicates', async () => {
    const file = await f.file();
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => f.clerk.post(`/files/${file.id}/cases`, { title: `Parallel ${i}` })));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(201));
    expect(responses.map((r) => r.json().reference as string).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `${file.reference}-${String(i + 1).padStart(3, '0')}`),
    );
  });

  it("answers another tenant's case and document with the same 404 as an unknown id", async () => {
    const { case: c, doc } = await freshDocument();
    const witten = recordFactories(t, 'witten').clerk;
    const unknown = '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c99';
    for (const [what, path] of [['case', `/cases/${c.id}`], ['case', `/cases/${unknown}`], ['document', `/documents/${doc.id}`], ['document', `/documents/${unknown}`]] as const) {
      const res = await witten.get(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.json(), path).toEqual(problem('not-found', `No such ${what}`, `/v1/tenants/witten${path}`));
    }
    const list = await witten.get(`/cases/${c.id}/documents`);
    expect(list.statusCode).toBe(404);
    expect(list.json()).toEqual(problem('not-found', 'No such case', `/v1/tenants/witten/cases/${c.id}/documents`));
  });

  it('lists the cases of a file in creation order, filtered by status and paged', async () => {
    const file = await f.file();
    const other = await f.file();
    await f.kase(other.id);
    const cases = [];
    for (let i = 0; i < 5; i++) cases.push(await f.kase(file.id, { title: `Vorgang ${i}` }));
    const closed = await f.clerk.post(`/cases/${cases[1]!.id}/close`, { closedOn: '2026-11-20' }, { 'if-match': cases[1]!.etag });
    expect(closed.statusCode).toBe(200);

    const all = await f.clerk.get(`/files/${file.id}/cases`);
    expect(all.statusCode).toBe(200);
    expect(ids(all)).toEqual(cases.map((c) => c.id));
    expect(all.json().next).toBeNull();
    expect(all.json().items[0]).toEqual(cases[0]!.body);
    expect(ids(await f.clerk.get(`/files/${file.id}/cases?status=closed`))).toEqual([cases[1]!.id]);
    expect(ids(await f.clerk.get(`/files/${file.id}/cases?status=open`))).toEqual([cases[0]!.id, cases[2]!.id, cases[3]!.id, cases[4]!.id]);
    const paged = await allPages(`/files/${file.id}/cases?limit=2`);
    expect(paged).toEqual({ seen: cases.map((c) => c.id), sizes: [2, 2, 1] });
  });

  it('changes a case with If-Match: 428 without, 412 when stale, 200 with the current ETag', async () => {
    const file = await f.file();
    const c = await f.kase(file.id, { title: 'Alt', metadata: { a: 1 } });
    const url = `/cases/${c.id}`;
    expect((await f.clerk.patch(url, { title: 'Neu' })).statusCode).toBe(428);
    const ok = await f.clerk.patch(url, { title: 'Neu', metadata: { b: 2 } }, { 'if-match': c.etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ...c.body, title: 'Neu', metadata: { b: 2 }, updatedAt: ok.json().updatedAt });
    const stale = await f.clerk.patch(url, { title: 'Zu spät' }, { 'if-match': c.etag });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('precondition-failed');
  });

  it('closes a case with If-Match; a closed case refuses changes with 409 object-closed', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    const url = `/cases/${c.id}`;
    expect((await f.clerk.post(`${url}/close`, {})).statusCode).toBe(428);
    const future = await f.clerk.post(`${url}/close`, { closedOn: '2099-01-01' }, { 'if-match': c.etag });
    expect(future.statusCode).toBe(400);
    expect(future.json().code).toBe('validation-failed');

    const closed = await f.clerk.post(`${url}/close`, { closedOn: '2026-11-20' }, { 'if-match': c.etag });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toEqual({ ...c.body, status: 'closed', closedOn: '2026-11-20', updatedAt: closed.json().updatedAt });
    const etag = closed.headers.etag as string;
    const caseClosed = (path: string) => problem('object-closed', 'The case is closed; reopen it first', `${BASE}${path}`);
    const patch = await f.clerk.patch(url, { title: 'geändert' }, { 'if-match': etag });
    expect(patch.statusCode).toBe(409);
    expect(patch.json()).toEqual(caseClosed(url));
    const again = await f.clerk.post(`${url}/close`, {}, { 'if-match': etag });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual(caseClosed(`${url}/close`));
    // The file itself stays open and takes new cases.
    expect((await f.kase(file.id)).reference).toBe(`${file.reference}-002`);
  });

  it('reopens a closed case only by a records manager: clerk 403, records manager 200', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    const closed = await f.clerk.post(`/cases/${c.id}/close`, { closedOn: '2026-11-20' }, { 'if-match': c.etag });
    const etag = closed.headers.etag as string;
    const url = `/cases/${c.id}/reopen`;
    const byClerk = await f.clerk.post(url, { reason: 'Nachtrag eingegangen' }, { 'if-match': etag });
    expect(byClerk.statusCode).toBe(403);
    expect(byClerk.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager', `${BASE}${url}`));
    const ok = await f.manager.post(url, { reason: 'Nachtrag eingegangen' }, { 'if-match': etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ...c.body, status: 'open', closedOn: null, updatedAt: ok.json().updatedAt });
    const twice = await f.manager.post(url, { reason: 'noch einmal' }, { 'if-match': ok.headers.etag as string });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toEqual(problem('conflict', 'The case is not closed', `${BASE}${url}`));
    expect((await f.clerk.patch(`/cases/${c.id}`, { title: 'wieder offen' }, { 'if-match': ok.headers.etag as string })).statusCode).toBe(200);
  });

  it('refuses to reopen a case of a closed file with 409 object-closed', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    expect((await f.closeFile(file.id, { closedOn: '2026-11-20', closeOpenCases: true })).statusCode).toBe(200);
    const url = `/cases/${c.id}/reopen`;
    const res = await f.manager.post(url, { reason: 'Nachtrag eingegangen' }, { 'if-match': await f.etag(`/cases/${c.id}`) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(problem('object-closed', 'The file is closed; reopen it first', `${BASE}${url}`));
    expect((await f.clerk.get(`/cases/${c.id}`)).json().status).toBe('closed');
  });
});

describe('documents', () => {
  it('creates a document in an open case: 201, fields echoed exactly, versionCount 0, no check-out', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    const input = {
      title: 'Gewerbeanmeldung (GewA 1)', kind: 'application', receivedOn: '2026-11-24', sentOn: null,
      sender: 'Aylin Yılmaz', addressee: 'Stadt Hattingen, FB Ordnung', metadata: { pages: 2 },
    };
    const res = await f.clerk.post(`/cases/${c.id}/documents`, input);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      caseId: c.id,
      ...input,
      versionCount: 0,
      checkout: null,
      createdAt: body.createdAt,
      updatedAt: body.createdAt,
      createdBy: 'user@hattingen',
    });
    expect(res.headers.location).toBe(`${BASE}/documents/${body.id}`);
    const read = await f.clerk.get(`/documents/${body.id}`);
    expect(read.json()).toEqual(body);
    expect(read.headers.etag).toBe(res.headers.etag);
  });

  it('fills optional fields with null and {}', async () => {
    const { doc } = await freshDocument({ title: 'Notiz', kind: 'note' });
    expect(doc.body).toMatchObject({ title: 'Notiz', kind: 'note', receivedOn: null, sentOn: null, sender: null, addressee: null, metadata: {} });
  });

  it('rejects an unknown kind and unknown properties (400)', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    const kind = await f.clerk.post(`/cases/${c.id}/documents`, { title: 'x', kind: 'fax' });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().code).toBe('validation-failed');
    const unknown = await f.clerk.post(`/cases/${c.id}/documents`, { title: 'x', kind: 'letter', pages: 3 });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'validation-failed', errors: [{ path: 'body', message: "unknown property 'pages'" }] });
  });

  it('refuses a document in a closed case, and in a case of a closed file, with 409 object-closed', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    await f.clerk.post(`/cases/${c.id}/close`, {}, { 'if-match': c.etag });
    const inClosedCase = await f.clerk.post(`/cases/${c.id}/documents`, { title: 'x', kind: 'letter' });
    expect(inClosedCase.statusCode).toBe(409);
    expect(inClosedCase.json()).toEqual(problem('object-closed', 'The case is closed; reopen it first', `${BASE}/cases/${c.id}/documents`));

    const file2 = await f.file();
    const c2 = await f.kase(file2.id);
    await f.closeFile(file2.id, { closeOpenCases: true });
    const inClosedFile = await f.clerk.post(`/cases/${c2.id}/documents`, { title: 'x', kind: 'letter' });
    expect(inClosedFile.statusCode).toBe(409);
    expect(inClosedFile.json()).toEqual(problem('object-closed', 'The file is closed; reopen it first', `${BASE}/cases/${c2.id}/documents`));
    expect((await f.clerk.get(`/cases/${c.id}/documents`)).json()).toEqual({ items: [], next: null });
  });

  it('makes a document of a closed case read-only: PATCH, check-out and versions answer 409 object-closed', async () => {
    const { case: c, doc } = await freshDocument();
    expect((await f.clerk.post(`/cases/${c.id}/close`, {}, { 'if-match': c.etag })).statusCode).toBe(200);
    const caseClosed = (path: string) => problem('object-closed', 'The case is closed; reopen it first', `${BASE}${path}`);
    const patch = await f.clerk.patch(`/documents/${doc.id}`, { title: 'geändert' }, { 'if-match': doc.etag });
    expect(patch.statusCode).toBe(409);
    expect(patch.json()).toEqual(caseClosed(`/documents/${doc.id}`));
    const checkout = await f.clerk.post(`/documents/${doc.id}/checkout`, {});
    expect(checkout.statusCode).toBe(409);
    expect(checkout.json()).toEqual(caseClosed(`/documents/${doc.id}/checkout`));
    const version = await f.upload(f.clerk, doc.id, 'zu spät', doc.etag);
    expect(version.statusCode).toBe(409);
    expect(version.json()).toEqual(caseClosed(`/documents/${doc.id}/versions`));
    expect((await f.clerk.get(`/documents/${doc.id}`)).json()).toEqual(doc.body);
  });

  it('lets an auditor read document metadata but not its content; a reader may not check out', async () => {
    const { doc } = await freshDocument();
    const v = await f.upload(f.clerk, doc.id, 'Inhalt', doc.etag);
    expect(v.statusCode).toBe(201);
    const auditor = f.as(['auditor']);
    expect((await auditor.get(`/documents/${doc.id}`)).statusCode).toBe(200);
    const content = await auditor.get(`/documents/${doc.id}/versions/1/content`);
    expect(content.statusCode).toBe(403);
    expect(content.json().code).toBe('forbidden');
    const reader = f.as(['reader']);
    expect((await reader.get(`/documents/${doc.id}/versions/1/content`)).body).toBe('Inhalt');
    const checkout = await reader.post(`/documents/${doc.id}/checkout`, {});
    expect(checkout.statusCode).toBe(403);
    expect(checkout.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager, clerk', `${BASE}/documents/${doc.id}/checkout`));
  });

  it('changes a document with If-Match: 428 without, 412 when stale, 200 with the current ETag', async () => {
    const { doc } = await freshDocument({ title: 'Alt', kind: 'letter', sender: 'A' });
    const url = `/documents/${doc.id}`;
    const missing = await f.clerk.patch(url, { title: 'Neu' });
    expect(missing.statusCode).toBe(428);
    expect(missing.json()).toEqual(problem('precondition-required', 'Send If-Match with the ETag you read', `${BASE}${url}`));
    const ok = await f.clerk.patch(url, { title: 'Neu', kind: 'decision', sender: null, sentOn: '2026-11-25' }, { 'if-match': doc.etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ...doc.body, title: 'Neu', kind: 'decision', sender: null, sentOn: '2026-11-25', updatedAt: ok.json().updatedAt });
    expect(ok.headers.etag).not.toBe(doc.etag);
    const stale = await f.clerk.patch(url, { title: 'Zu spät' }, { 'if-match': doc.etag });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('precondition-failed');
  });

  it('lists the documents of a case in creation order with cursor pagination', async () => {
    const file = await f.file();
    const c = await f.kase(file.id);
    const other = await f.kase(file.id);
    await f.document(other.id);
    const docs = [];
    for (let i = 0; i < 5; i++) docs.push(await f.document(c.id, { title: `Dokument ${i}` }));
    const first = await f.clerk.get(`/cases/${c.id}/documents?limit=2`);
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toEqual([docs[0]!.body, docs[1]!.body]);
    expect(await allPages(`/cases/${c.id}/documents?limit=2`)).toEqual({ seen: docs.map((d) => d.id), sizes: [2, 2, 1] });
    const unknown = await f.clerk.get('/cases/01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c99/documents');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toBe('No such case');
  });
});

describe('document check-out', () => {
  /** A document checked out by alice; returns it with its ETag after the check-out. */
  async function checkedOutByAlice() {
    const { doc } = await freshDocument();
    const res = await alice.post(`/documents/${doc.id}/checkout`, {});
    expect(res.statusCode).toBe(200);
    return { doc, etag: res.headers.etag as string, until: res.json().checkout.until as string };
  }
  const checkedOut = (until: string, path: string) =>
    problem('checked-out', `The document is checked out until ${until}`, `${BASE}${path}`, { checkedOutUntil: until });

  it('a check-out needs no body: none, or an empty one with Content-Type: application/json, takes the 60 minutes default', async () => {
    const token = await t.tokenFor(TENANT, ['clerk'], 'alice');
    for (const headers of [{}, { 'content-type': 'application/json' }]) {
      const { doc } = await freshDocument();
      const before = Date.now();
      const res = await t.app.inject({ method: 'POST', url: `${BASE}/documents/${doc.id}/checkout`, headers: { authorization: `Bearer ${token}`, ...headers } });
      const after = Date.now();
      expect(res.statusCode).toBe(200);
      const { checkout } = res.json() as { checkout: { by: string; until: string } };
      expect(checkout.by).toBe('alice');
      expect(Date.parse(checkout.until)).toBeGreaterThanOrEqual(before + 60 * 60_000);
      expect(Date.parse(checkout.until)).toBeLessThanOrEqual(after + 60 * 60_000);
    }
    // A body that is required still is: an empty one fails the schema, not the JSON parser.
    const res = await t.app.inject({ method: 'POST', url: `${BASE}/files`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
  });

  it('checks a document out to its caller: checkout {by, until} visible to everyone', async () => {
    const { doc } = await freshDocument();
    const res = await alice.post(`/documents/${doc.id}/checkout`, { minutes: 30 });
    expect(res.statusCode).toBe(200);
    const until = res.json().checkout.until as string;
    expect(res.json()).toEqual({ ...doc.body, checkout: { by: 'alice', until }, updatedAt: res.json().updatedAt });
    expect(new Date(until).toISOString()).toBe(until);
    expect(Date.parse(until)).toBeGreaterThan(Date.parse(res.json().updatedAt));
    expect(res.headers.etag).not.toBe(doc.etag);
    const seenByBob = await bob.get(`/documents/${doc.id}`);
    expect(seenByBob.json().checkout).toEqual({ by: 'alice', until });
    expect(seenByBob.headers.etag).toBe(res.headers.etag);
  });

  it('lets the holder check out again to extend the check-out', async () => {
    const { doc, until } = await checkedOutByAlice();
    const again = await alice.post(`/documents/${doc.id}/checkout`, { minutes: 120 });
    expect(again.statusCode).toBe(200);
    expect(again.json().checkout.by).toBe('alice');
    expect(Date.parse(again.json().checkout.until)).toBeGreaterThan(Date.parse(until));
  });

  it("refuses bob's metadata change and bob's own check-out with 409 checked-out", async () => {
    const { doc, etag, until } = await checkedOutByAlice();
    const patch = await bob.patch(`/documents/${doc.id}`, { title: 'Bobs Titel' }, { 'if-match': etag });
    expect(patch.statusCode).toBe(409);
    expect(patch.json()).toEqual(checkedOut(until, `/documents/${doc.id}`));
    const checkout = await bob.post(`/documents/${doc.id}/checkout`, {});
    expect(checkout.statusCode).toBe(409);
    expect(checkout.json()).toEqual(checkedOut(until, `/documents/${doc.id}/checkout`));
    const own = await alice.patch(`/documents/${doc.id}`, { title: 'Alices Titel' }, { 'if-match': etag });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ title: 'Alices Titel', checkout: { by: 'alice', until } });
  });

  it("refuses bob's version with 409 checked-out and stores alice's", async () => {
    const { doc, etag, until } = await checkedOutByAlice();
    const byBob = await f.upload(bob, doc.id, 'Bobs Fassung', etag);
    expect(byBob.statusCode).toBe(409);
    expect(byBob.json()).toEqual(checkedOut(until, `/documents/${doc.id}/versions`));
    const byAlice = await f.upload(alice, doc.id, 'Alices Fassung', etag);
    expect(byAlice.statusCode).toBe(201);
    expect(byAlice.json()).toMatchObject({ number: 1, uploadedBy: 'alice', size: Buffer.byteLength('Alices Fassung') });
    const after = await alice.get(`/documents/${doc.id}`);
    expect(after.json()).toMatchObject({ versionCount: 1, checkout: { by: 'alice', until } });
    expect(after.headers.etag).toBe(byAlice.headers['document-etag']);
    const versions = await bob.get(`/documents/${doc.id}/versions`);
    expect(versions.json().items.map((v: { uploadedBy: string }) => v.uploadedBy)).toEqual(['alice']);
  });

  it('ends the check-out when alice adds a version with ?checkin=true', async () => {
    const { doc, etag } = await checkedOutByAlice();
    const res = await f.upload(alice, doc.id, 'eingecheckt', etag, {}, '?checkin=true');
    expect(res.statusCode).toBe(201);
    expect(res.json().number).toBe(1);
    const after = await bob.get(`/documents/${doc.id}`);
    expect(after.json()).toMatchObject({ versionCount: 1, checkout: null });
    const byBob = await f.upload(bob, doc.id, 'jetzt Bob', after.headers.etag as string);
    expect(byBob.statusCode).toBe(201);
    expect(byBob.json().number).toBe(2);
  });

  it('releases with If-Match only (428 without); bob cannot release it (409), alice can', async () => {
    const { doc, etag, until } = await checkedOutByAlice();
    const url = `/documents/${doc.id}/checkout`;
    const missing = await alice.delete(url);
    expect(missing.statusCode).toBe(428);
    expect(missing.json()).toEqual(problem('precondition-required', 'Send If-Match with the ETag you read', `${BASE}${url}`));
    const byBob = await bob.delete(url, { 'if-match': etag });
    expect(byBob.statusCode).toBe(409);
    expect(byBob.json()).toEqual(checkedOut(until, url));
    const stale = await alice.delete(url, { 'if-match': doc.etag });
    expect(stale.statusCode).toBe(412);
    const ok = await alice.delete(url, { 'if-match': etag });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: doc.id, checkout: null });
    expect((await bob.get(`/documents/${doc.id}`)).json().checkout).toBeNull();
  });

  it('lets a records manager break a check-out with ?break=true; a clerk may not break, nor a manager without break', async () => {
    const { doc, etag, until } = await checkedOutByAlice();
    const url = `/documents/${doc.id}/checkout`;
    const clerkBreak = await bob.delete(`${url}?break=true`, { 'if-match': etag });
    expect(clerkBreak.statusCode).toBe(403);
    expect(clerkBreak.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager', `${BASE}${url}`));
    const withoutBreak = await f.manager.delete(url, { 'if-match': etag });
    expect(withoutBreak.statusCode).toBe(409);
    expect(withoutBreak.json()).toEqual(checkedOut(until, url));
    const broken = await f.manager.delete(`${url}?break=true`, { 'if-match': etag });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({ id: doc.id, checkout: null });
    const byBob = await bob.patch(`/documents/${doc.id}`, { title: 'Bob darf wieder' }, { 'if-match': broken.headers.etag as string });
    expect(byBob.statusCode).toBe(200);
  });

  it('answers 409 conflict when releasing a document that is not checked out', async () => {
    const { doc } = await freshDocument();
    const url = `/documents/${doc.id}/checkout`;
    const res = await alice.delete(url, { 'if-match': doc.etag });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(problem('conflict', 'The document is not checked out', `${BASE}${url}`));
  });
});
