import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services.js';
import { VERSION } from '../../src/app.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { pdfWithText } from '../support/documents.js';
import { problem, recordFactories, type Created } from '../support/records.js';

/**
 * German full-text search through GET …/search, on a database of its own with a real worker: the
 * records are created through the API before the worker starts (so the index catches up from the
 * outbox, as after downtime), then kept current by events.
 */
const TOWN = 'witten';
const OTHER = 'hattingen';
let t: TestApp;
let sql: pg.Client;
let w: ReturnType<typeof recordFactories>;
let h: ReturnType<typeof recordFactories>;
const ids = {} as Record<'bau' | 'bauCase' | 'letter' | 'note' | 'gewerbe' | 'secret' | 'foreign', Created>;
let parentUnit: { id: string; code: string };
let childUnit: { id: string; code: string };

type Hit = { type: string; id: string; title: string; titleHighlight: string; snippet: string | null; reference: string; score: number | null };
type Result = { items: Hit[]; next: string | null; order: string; approximate: boolean; total: { count: number; exact: boolean }; facets?: Record<string, { value: string; count: number }[]> };

async function search(query: Record<string, string>, by = w.clerk, expectStatus = 200): Promise<Result> {
  const res = await by.get(`/search?${new URLSearchParams(query)}`);
  expect(res.statusCode, res.body).toBe(expectStatus);
  return res.json() as Result;
}
const idsOf = (r: Result) => r.items.map((i) => i.id);

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`not reached within ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const db = await isolatedDatabase('search');
  t = await buildTestApp({ ...db.env, OUTBOX_CATCH_UP_SECONDS: '1' });
  // The owner, to look behind the walls.
  sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
  w = recordFactories(t, TOWN);
  h = recordFactories(t, OTHER);
  parentUnit = await w.unit({ title: 'Bauordnung' });
  childUnit = (await w.manager.post('/file-plan/units', { code: `${parentUnit.code}.01`, title: 'Baugenehmigungen', retentionYears: 10, disposal: 'B' })).json();
  ids.bau = await w.file({ planUnitId: childUnit.id, title: 'Bauantrag Flurstück 17', description: 'Nutzungsänderung einer Lagerhalle', metadata: { gemarkung: 'Annen' } });
  ids.bauCase = await w.kase(ids.bau.id, { title: 'Anträge auf Baugenehmigung' });
  ids.letter = await w.document(ids.bauCase.id, { title: 'Schreiben des Bauherrn', kind: 'letter', sender: 'Hans Schmidt', addressee: 'Stadt Witten', receivedOn: '2025-03-01' });
  ids.note = await w.document(ids.bauCase.id, { title: 'Aktenvermerk', kind: 'note' });
  ids.gewerbe = await w.file({ planUnitId: parentUnit.id, title: 'Gewerbeanmeldung Imbiss am Markt' });
  ids.secret = await w.file({ planUnitId: parentUnit.id, title: 'Bauantrag Verschlusssache', confidentiality: '005' }, w.as(['clerk'], 'vs@witten', { clearance: '005' }));
  ids.foreign = await h.file({ title: 'Bauantrag Hattingen Flurstück 17' });
  // Content: a word only inside the PDF's text, and plain text with umlauts and ß.
  const pdf = await w.upload(w.clerk, ids.letter.id, pdfWithText(['Wir beantragen die Genehmigung einer Quartiersgarage', 'in der Hauptstraße 5.']), ids.letter.etag, { 'content-type': 'application/pdf' });
  expect(pdf.statusCode, pdf.body).toBe(201);
  const txt = await w.upload(w.clerk, ids.note.id, 'Der Antrag auf Sperrmüllabholung betrifft die Straße am See. Rückfrage beim Bürgerbüro.', ids.note.etag);
  expect(txt.statusCode, txt.body).toBe(201);
  // The worker starts now: the outbox catch-up hands it everything above.
  await t.startWorker();
  await eventually(() => search({ q: 'Quartiersgarage' }), (r) => r.items.length === 1);
  await eventually(() => search({ q: 'Sperrmüllabholung' }), (r) => r.items.length === 1);
});
afterAll(async () => {
  await sql?.end();
  await t?.close();
});

describe('German full text', () => {
  it('stems: "Anträge" finds the note about an "Antrag", and the case titled "Anträge"', async () => {
    const r = await search({ q: 'Anträge' });
    expect(idsOf(r)).toEqual(expect.arrayContaining([ids.note.id, ids.bauCase.id]));
    expect(r.order).toBe('relevance');
    expect(r.total).toEqual({ count: r.items.length, exact: true });
    // Title hits rank above hits in the text.
    expect(idsOf(r).indexOf(ids.bauCase.id)).toBeLessThan(idsOf(r).indexOf(ids.note.id));
  });

  it('folds accents and ß: "Strasse" finds "Straße", "Burgerburo" finds "Bürgerbüro"', async () => {
    expect(idsOf(await search({ q: 'Strasse' }))).toContain(ids.note.id);
    expect(idsOf(await search({ q: 'STRASSE' }))).toContain(ids.note.id);
    expect(idsOf(await search({ q: 'Burgerburo' }))).toContain(ids.note.id);
  });

  it('matches a quoted phrase in order only', async () => {
    expect(idsOf(await search({ q: '"Straße am See"' }))).toEqual([ids.note.id]);
    expect(idsOf(await search({ q: '"See am Straße"' }))).toEqual([]);
    // „German quotes“ work as well.
    expect(idsOf(await search({ q: '„Straße am See“' }))).toEqual([ids.note.id]);
  });

  it('excludes with -word', async () => {
    const both = idsOf(await search({ q: 'Antrag' }));
    expect(both).toContain(ids.note.id);
    const without = idsOf(await search({ q: 'Antrag -Sperrmüllabholung' }));
    expect(without).not.toContain(ids.note.id);
    expect(without).toContain(ids.bauCase.id);
  });

  it('finds word prefixes (Gewerbe*) and alternatives (a OR b)', async () => {
    expect(idsOf(await search({ q: 'Gewerbe*' }))).toEqual([ids.gewerbe.id]);
    expect(idsOf(await search({ q: 'Imbiss OR Quartiersgarage' })).sort()).toEqual([ids.gewerbe.id, ids.letter.id].sort());
  });

  it('finds a word that occurs only in the text of a PDF, with a highlighted snippet', async () => {
    const r = await search({ q: 'Quartiersgarage' });
    expect(idsOf(r)).toEqual([ids.letter.id]);
    expect(r.items[0]!.snippet).toContain('<mark>Quartiersgarage</mark>');
    expect(r.items[0]!).toMatchObject({ type: 'document', reference: ids.bauCase.reference, url: `/v1/tenants/${TOWN}/documents/${ids.letter.id}` });
  });

  it('highlights titles HTML-escaped', async () => {
    const r = await search({ q: 'Imbiss' });
    expect(r.items[0]!.titleHighlight).toBe('Gewerbeanmeldung <mark>Imbiss</mark> am Markt');
  });

  it('forgives a typo in a reference and in a name (pg_trgm)', async () => {
    const ref = ids.bau.reference; // e.g. T1234567-0001/2026
    const typo = ref.replace(/(\d)(\d)$/, '$2$1') === ref ? `${ref}x` : ref.replace(/(\d)(\d)$/, '$2$1');
    const r = await search({ q: typo });
    expect(idsOf(r)[0]).toBe(ids.bau.id);
    expect(r.approximate).toBe(true);
    const name = await search({ q: 'Schmitt' });
    expect(idsOf(name)).toContain(ids.letter.id);
    expect(name.approximate).toBe(true);
    // The exact word wins: nothing approximate while something matches exactly.
    const exact = await search({ q: 'Schmidt' });
    expect(exact).toMatchObject({ approximate: false });
    expect(idsOf(exact)).toEqual([ids.letter.id]);
  });

  it('searches metadata values, names and descriptions', async () => {
    expect(idsOf(await search({ q: 'Annen' }))).toEqual([ids.bau.id]);
    expect(idsOf(await search({ q: 'Lagerhalle' }))).toEqual([ids.bau.id]);
    expect(idsOf(await search({ q: 'Schmidt' }))).toEqual([ids.letter.id]);
  });
});

describe('filters and facets', () => {
  it('filters by type, plan unit with its subtree, status, kind, dates and retention', async () => {
    expect(idsOf(await search({ q: 'Bauantrag OR Antrag OR Anträge OR Gewerbeanmeldung', type: 'file' })).sort()).toEqual([ids.bau.id, ids.gewerbe.id].sort());
    // The parent unit's subtree holds the child unit's file too.
    const inParent = idsOf(await search({ q: 'Bauantrag OR Gewerbeanmeldung', planUnitId: parentUnit.id }));
    expect(inParent.sort()).toEqual([ids.bau.id, ids.gewerbe.id].sort());
    expect(idsOf(await search({ q: 'Bauantrag OR Gewerbeanmeldung', planUnitId: childUnit.id }))).toEqual([ids.bau.id]);
    expect(idsOf(await search({ q: 'Quartiersgarage OR Sperrmüllabholung', kind: 'note' }))).toEqual([ids.note.id]);
    expect(idsOf(await search({ q: 'Quartiersgarage', dateFrom: '2025-03-01', dateTo: '2025-03-01' }))).toEqual([ids.letter.id]);
    expect(idsOf(await search({ q: 'Quartiersgarage', dateTo: '2025-02-28' }))).toEqual([]);
    expect(idsOf(await search({ q: 'Imbiss', status: 'closed' }))).toEqual([]);
    expect(idsOf(await search({ q: 'Imbiss', retention: 'open' }))).toEqual([ids.gewerbe.id]);
    expect(idsOf(await search({ q: 'Imbiss', retention: 'expired' }))).toEqual([]);
    expect(idsOf(await search({ q: 'Imbiss', confidentiality: '003' }))).toEqual([ids.gewerbe.id]);
  });

  it('counts facets over all matches, and every facet adds up to the total', async () => {
    const r = await search({ q: 'Bauantrag OR Antrag OR Anträge OR Quartiersgarage OR Imbiss', facets: 'type,planUnit,status,year' });
    expect(r.total.exact).toBe(true);
    expect(r.total.count).toBe(r.items.length);
    for (const name of ['type', 'planUnit', 'status', 'year']) {
      const sum = r.facets![name]!.reduce((n, b) => n + b.count, 0);
      expect(sum, name).toBe(r.total.count);
    }
    expect(Object.fromEntries(r.facets!.type!.map((b) => [b.value, b.count]))).toEqual({ file: 2, case: 1, document: 2 });
    expect(r.facets!.planUnit!.map((b) => b.value).sort()).toEqual([parentUnit.id, childUnit.id].sort());
    expect(r.facets!.year!.map((b) => b.value)).toContain('2025');
  });

  it('follows changes: a closed file is found as closed, with its retention running', async () => {
    const closed = await w.closeFile(ids.gewerbe.id);
    expect(closed.statusCode, closed.body).toBe(200);
    await eventually(() => search({ q: 'Imbiss', status: 'closed' }), (r) => r.items.length === 1);
    expect(idsOf(await search({ q: 'Imbiss', retention: 'running' }))).toEqual([ids.gewerbe.id]);
    const today = new Date().toISOString().slice(0, 10);
    expect(idsOf(await search({ q: 'Imbiss', closedFrom: today }))).toEqual([ids.gewerbe.id]);
  });

  it('pages with a stable cursor: every hit once, in the same order', async () => {
    const q = 'Bauantrag OR Antrag OR Anträge OR Quartiersgarage OR Imbiss OR Aktenvermerk';
    const all = idsOf(await search({ q, limit: '100' }));
    for (const sort of ['relevance', 'newest', 'oldest']) {
      const whole = idsOf(await search({ q, sort, limit: '100' }));
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const r: Result = await search({ q, sort, limit: '2', ...(cursor ? { cursor } : {}) });
        paged.push(...idsOf(r));
        cursor = r.next;
      } while (cursor);
      expect(paged, sort).toEqual(whole);
      expect(new Set(paged).size).toBe(all.length);
    }
  });
});

describe('the walls', () => {
  it('never shows a file above the caller’s clearance, not even in a facet count', async () => {
    const r = await search({ q: 'Bauantrag', facets: 'type' });
    expect(idsOf(r)).not.toContain(ids.secret.id);
    expect(r.facets!.type!.find((b) => b.value === 'file')!.count).toBe(1);
    expect(idsOf(await search({ q: 'Verschlusssache' }))).toEqual([]);
    expect(idsOf(await search({ q: 'Verschlusssache', confidentiality: '005' }))).toEqual([]);
    // A caller cleared for vertraulich (005, token claim `clearance`) finds it, and counts it.
    const cleared = w.as(['reader'], 'vs@witten', { clearance: '005' });
    expect(idsOf(await search({ q: 'Verschlusssache' }, cleared))).toEqual([ids.secret.id]);
    const withFacets = await search({ q: 'Bauantrag', facets: 'type' }, cleared);
    expect(withFacets.facets!.type!.find((b) => b.value === 'file')!.count).toBe(2);
  });

  it('never shows another tenant’s records: hattingen finds only its own, and not through witten’s path', async () => {
    const mine = await search({ q: 'Bauantrag Flurstück', facets: 'type' });
    expect(idsOf(mine)).toEqual([ids.bau.id]);
    expect(mine.facets!.type).toEqual([{ value: 'file', count: 1 }]);
    const theirs = await search({ q: 'Bauantrag Flurstück', facets: 'type' }, h.clerk);
    expect(idsOf(theirs)).toEqual([ids.foreign.id]);
    expect(theirs.facets!.type).toEqual([{ value: 'file', count: 1 }]);
    const res = await t.injectAs(OTHER, ['clerk', 'records-manager', 'reader', 'auditor'], { method: 'GET', url: `/v1/tenants/${TOWN}/search?q=Bauantrag` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(problem('not-found', 'No such tenant', `/v1/tenants/${TOWN}/search`));
  });

  it('needs a role that reads records', async () => {
    const res = await w.as(['tenant-admin']).get('/search?q=Bauantrag');
    expect(res.statusCode).toBe(403);
  });

  it('a support grant for one file finds that file and nothing outside it', async () => {
    const cc = `Bearer ${await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kk.search')}`;
    const requested = await t.app.inject({
      method: 'POST', url: `/v1/tenants/${TOWN}/support-grants`, headers: { authorization: cc },
      payload: { scope: 'read', reason: 'Suche prüfen', durationHours: 1, fileId: ids.bau.id },
    });
    expect(requested.statusCode, requested.body).toBe(201);
    const approve = await w.as(['tenant-admin']).post(`/support-grants/${requested.json().id}/approve`, undefined, { 'if-match': requested.headers.etag as string });
    expect(approve.statusCode, approve.body).toBe(200);
    const asCc = (query: string) => t.app.inject({ method: 'GET', url: `/v1/tenants/${TOWN}/search?${query}`, headers: { authorization: cc } });
    const inFile = await asCc(`q=${encodeURIComponent('Quartiersgarage OR Bauantrag OR Imbiss')}&fileId=${ids.bau.id}&facets=type`);
    expect(inFile.statusCode, inFile.body).toBe(200);
    expect((inFile.json() as Result).items.map((i) => i.id).sort()).toEqual([ids.bau.id, ids.letter.id].sort());
    expect((inFile.json() as Result).total.count).toBe(2);
    // Another file, or the whole tenant: the grant does not cover it (404, as for any other path).
    expect((await asCc(`q=Imbiss&fileId=${ids.gewerbe.id}`)).statusCode).toBe(404);
    expect((await asCc('q=Imbiss')).statusCode).toBe(404);
  });
});

describe('text extraction', () => {
  const state = (id: string) =>
    sql.query<{ state: string; reason: string | null; extractor: string | null }>(`SELECT state::text, reason, extractor FROM version_text WHERE version_id = $1`, [id]).then((r) => r.rows[0]);

  it('records unsupported and failed extractions with a reason, and never blocks the upload', async () => {
    const doc = await w.document(ids.bauCase.id, { title: 'Video', kind: 'scan' });
    const mp4 = await w.upload(w.clerk, doc.id, Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]), doc.etag, { 'content-type': 'video/mp4' });
    expect(mp4.statusCode).toBe(201);
    const broken = await w.upload(w.clerk, doc.id, Buffer.from('%PDF-1.7 this is no PDF at all'), mp4.headers['document-etag'] as string, { 'content-type': 'application/pdf' });
    expect(broken.statusCode).toBe(201);
    const first = await eventually(() => state(mp4.json().id), (s) => s !== undefined && s.state !== 'pending');
    expect(first).toEqual({ state: 'unsupported', reason: 'no text extractor for video/mp4 (content)', extractor: null });
    const second = await eventually(() => state(broken.json().id), (s) => s !== undefined && s.state !== 'pending');
    expect(second!.state).toBe('failed');
    expect(second!.reason).toMatch(/PDF/);
  });

  it('reads a scanned letter by OCR: a word only in the image finds the document', async () => {
    const doc = await w.document(ids.bauCase.id, { title: 'Eingescanntes Schreiben', kind: 'scan' });
    const png = await w.upload(w.clerk, doc.id, readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'scans', 'bescheid.png')), doc.etag, {
      'content-type': 'image/png',
    });
    expect(png.statusCode, png.body).toBe(201);
    const done = await eventually(() => state(png.json().id), (s) => s !== undefined && s.state !== 'pending', 120_000);
    expect(done).toEqual({ state: 'extracted', reason: null, extractor: 'tesseract.js' });
    const r = await eventually(() => search({ q: 'Gewerbeanmeldung Müller' }), (x) => x.items.length > 0);
    expect(idsOf(r)).toEqual([doc.id]);
    expect(r.items[0]!.snippet).toContain('<mark>Gewerbeanmeldung</mark>');
  }, 180_000);
});

describe('bad input is a 400 problem, never a 500', () => {
  const cases: [string, string, string][] = [
    ['empty', 'q=', 'querystring/q'],
    ['missing', 'limit=5', 'querystring'],
    ['10 000 characters', `q=${'a'.repeat(10_000)}`, 'querystring/q'],
    ['1 000 words', `q=${encodeURIComponent(Array.from({ length: 1000 }, (_v, i) => `w${i}`).join(' ').slice(0, 499))}`, 'querystring/q'],
    ['an unbalanced quote', `q=${encodeURIComponent('"Antrag auf')}`, 'querystring/q'],
    ['stop words only', 'q=der+die+das', 'querystring/q'],
    ['only exclusions', 'q=-Antrag', 'querystring/q'],
    ['only operators and punctuation', `q=${encodeURIComponent("!!& | ( ) :* ' \\ <->")}`, 'querystring/q'],
    ['an unknown filter', 'q=Antrag&colour=red', 'querystring'],
    ['an unknown facet', 'q=Antrag&facets=type,colour', 'querystring/facets'],
    ['a reversed date range', 'q=Antrag&dateFrom=2026-02-01&dateTo=2026-01-01', 'querystring/dateFrom'],
    ['a bad date', 'q=Antrag&dateFrom=2026-13-45', 'querystring/dateFrom'],
    ['a limit over 100', 'q=Antrag&limit=1000', 'querystring/limit'],
    ['a forged cursor', 'q=Antrag&cursor=bm90LWEtY3Vyc29y', ''],
  ];
  for (const [what, query, path] of cases) {
    it(`${what} → 400`, async () => {
      const res = await w.clerk.get(`/search?${query}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      if (path) expect(JSON.stringify(res.json().errors ?? [])).toContain(path);
    });
  }

  it('a cursor of another search → 400', async () => {
    const first = await search({ q: 'Antrag OR Bauantrag OR Imbiss', limit: '1' });
    expect(first.next).not.toBeNull();
    const res = await w.clerk.get(`/search?q=Imbiss&cursor=${first.next}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('The cursor belongs to another search; use it with the same q and filters');
  });

  it('what looks like tsquery syntax inside words is only text', async () => {
    for (const q of ["Antrag & | ! ( ) : * \\ '", "Schmidt's", 'Antrag:*', '32.10.05-0042/2026', 'a&b|c', '\u00e4\u00f6\u00fc']) {
      const res = await w.clerk.get(`/search?q=${encodeURIComponent(q)}`);
      expect([200, 400], `${q}: ${res.body}`).toContain(res.statusCode);
    }
  });
});

describe('kept current by events', () => {
  it('a renamed document is found by its new title, and no longer by the old one', async () => {
    const etag = await w.etag(`/documents/${ids.note.id}`);
    const res = await w.clerk.patch(`/documents/${ids.note.id}`, { title: 'Telefonnotiz Zaunbau' }, { 'if-match': etag });
    expect(res.statusCode, res.body).toBe(200);
    await eventually(() => search({ q: 'Zaunbau' }), (r) => r.items.length === 1);
    expect(idsOf(await search({ q: 'Aktenvermerk' }))).toEqual([]);
  });

  it('npm run reindex rebuilds a tenant', async () => {
    await sql.query(`DELETE FROM search_entry WHERE tenant_id = (SELECT id FROM tenant WHERE slug = $1)`, [TOWN]);
    expect(idsOf(await search({ q: 'Quartiersgarage' }))).toEqual([]);
    const services = createServices({ ...t.deps, version: VERSION });
    const tenant = { id: (await sql.query<{ id: string }>(`SELECT id FROM tenant WHERE slug = $1`, [TOWN])).rows[0]!.id, slug: TOWN };
    const out = await services.search.reindexTenant(tenant);
    expect(out.indexed).toBeGreaterThanOrEqual(7);
    expect(idsOf(await search({ q: 'Quartiersgarage' }))).toEqual([ids.letter.id]);
  });
});

describe('a statement timeout bounds every search', () => {
  it('a broad word is answered newest first; a search that runs too long answers 503 search-timeout, and the next one works', async () => {
    const slow = await buildTestApp({ DATABASE_URL: t.config.database.url!, DATABASE_OWNER_URL: t.config.database.ownerUrl!, SEARCH_STATEMENT_TIMEOUT_MS: '1' });
    try {
      // A tenant with many entries, written as the owner, so the search takes longer than a millisecond.
      await sql.query(`
        INSERT INTO search_entry (id, tenant_id, object_type, file_id, plan_unit_id, reference, title, confidentiality, status, object_date, fuzzy, tsv)
        SELECT gen_random_uuid(), u.tenant_id, 'file', gen_random_uuid(), u.id, 'X-' || g, 'Antrag ' || g, '003', 'open', current_date, 'X-' || g,
               to_tsvector('en_akte_german', 'Antrag Nummer ' || g || ' ' || md5(g::text))
        FROM generate_series(1, 30000) g, file_plan_unit u WHERE u.id = $1`, [parentUnit.id]);
      // A word in 30 000 entries is too broad to rank: newest first, the total a lower bound.
      const broad = await search({ q: 'Antrag' });
      expect(broad).toMatchObject({ order: 'newest', approximate: false, total: { count: 1000, exact: false } });
      expect(broad.items).toHaveLength(20);
      const second = await search({ q: 'Antrag', cursor: broad.next! });
      expect(second.order).toBe('newest');
      expect(idsOf(second).filter((id) => idsOf(broad).includes(id))).toEqual([]);
      const dates = [...broad.items, ...second.items].map((i) => (i as unknown as { date: string }).date);
      expect(dates).toEqual([...dates].sort().reverse());
      // With facets the count is exact, and each facet adds up to it.
      const counted = await search({ q: 'Antrag', facets: 'type,status' });
      expect(counted.total.exact).toBe(true);
      expect(counted.total.count).toBeGreaterThan(30_000);
      expect(counted.facets!.status!.reduce((n, b) => n + b.count, 0)).toBe(counted.total.count);

      let status = 0;
      for (let i = 0; i < 5 && status !== 503; i++) {
        const token = await slow.tokenFor(TOWN, ['clerk']);
        const res = await slow.app.inject({ method: 'GET', url: `/v1/tenants/${TOWN}/search?q=a*+OR+b*+OR+c*+OR+d*+OR+e*&facets=type,year,status,planUnit`, headers: { authorization: `Bearer ${token}` } });
        status = res.statusCode;
        if (status === 503) {
          expect(res.json()).toMatchObject({ code: 'search-timeout', status: 503 });
          expect(res.headers['retry-after']).toBe('5');
        }
      }
      expect(status).toBe(503);
      expect((await w.clerk.get('/search?q=Imbiss')).statusCode).toBe(200);
    } finally {
      await sql.query(`DELETE FROM search_entry WHERE reference LIKE 'X-%'`);
      await slow.close();
    }
  });
});
