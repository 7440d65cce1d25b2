import { Client } from 'minio';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jobContext } from '../../src/core/index.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * Retention override, legal holds and WORM content on real MinIO, and destruction. Tenants few
 * other tests write in (the retention scan runs over a whole tenant); sprockhoevel keeps COMPLIANCE.
 */
const TENANT = 'herdecke';
const STRICT = 'sprockhoevel';
const BASE = `/v1/tenants/${TENANT}`;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let strict: ReturnType<typeof recordFactories>;
let services: ReturnType<typeof createServices>;
let owner: pg.Client;
const s3 = inject('s3');
const endpoint = new URL(s3.endpoint);
const raw = new Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });

beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  strict = recordFactories(t, STRICT);
  services = createServices({ ...t.deps, version: 'test' });
  owner = new pg.Client({ connectionString: inject('ownerUrl') });
  await owner.connect();
  await owner.query(`UPDATE tenant SET worm_mode = 'COMPLIANCE' WHERE slug = $1`, [STRICT]);
});
afterAll(async () => {
  await owner.query(`UPDATE tenant SET worm_mode = 'GOVERNANCE' WHERE slug = $1`, [STRICT]);
  await owner.end();
  await t.close();
});

async function scan(tenant: string, today: string) {
  const { id, slug } = await services.tenants.resolve(tenant);
  return services.scope(jobContext({ id, slug }, 'retention-scan'), (uow) => services.records.markRetentionEnded(uow, new Date(`${today}T00:00:00Z`)));
}

/** A file with one case, one document and two versions; returns the versions' storage keys. */
async function fileWithContent(by = f, unitFields: Record<string, unknown> = {}) {
  const unit = await by.unit(unitFields);
  const file = await by.file({ planCode: unit.code });
  const kase = await by.kase(file.id);
  const doc = await by.document(kase.id);
  const first = await by.upload(by.clerk, doc.id, 'Erster Entwurf', doc.etag);
  expect(first.statusCode).toBe(201);
  const second = await by.upload(by.clerk, doc.id, 'Bescheid, endgültig', await by.etag(`/documents/${doc.id}`));
  expect(second.statusCode).toBe(201);
  const rows = await owner.query<{ storage_key: string }>(`SELECT storage_key FROM document_version WHERE document_id = $1 ORDER BY number`, [doc.id]);
  return { file, kase, doc, keys: rows.rows.map((r) => r.storage_key) };
}

const bucket = (tenant: string) => t.deps.storage.bucketFor(tenant);
const protection = (tenant: string, key: string) => t.deps.storage.protection(tenant, key);
/** Every version id MinIO holds for a key. */
async function versionIds(tenant: string, key: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of raw.listObjects(bucket(tenant), key, false, { IncludeVersion: true }) as AsyncIterable<{ name: string; versionId?: string }>) {
    if (item.name === key && item.versionId) ids.push(item.versionId);
  }
  return ids;
}
/** A delete of the exact object version, straight at MinIO (no EN-Akte in between). */
async function rawDelete(tenant: string, key: string, governanceBypass = false) {
  const [versionId] = await versionIds(tenant, key);
  return raw.removeObject(bucket(tenant), key, { versionId: versionId!, governanceBypass });
}

const ifMatch = async (id: string, by = f) => ({ 'if-match': await by.etag(`/files/${id}`, by.manager) });

describe('retention override', () => {
  it('changes code and period of a closed file with a reason, computes the end anew and audits it', async () => {
    const unit = await f.unit({ retentionYears: 10, disposal: 'B' });
    const file = await f.file({ planCode: unit.code });
    await f.closeFile(file.id, { closedOn: '2026-03-01' });
    const res = await f.manager.put(`/files/${file.id}/retention`, { retentionYears: 30, disposalCode: 'A', reason: 'Bauakte: 30 Jahre nach Erlass' }, await ifMatch(file.id));
    expect(res.statusCode).toBe(200);
    expect(res.json().retention).toEqual({ disposalCode: 'A', retentionYears: 30, endsOn: '2056-12-31', overridden: true });
    const audit = await t.injectAs(TENANT, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${file.id}` });
    const entry = audit.json().items.find((e: { action: string }) => e.action === 'file.retention-overridden');
    expect(entry.oldValues).toEqual({ retention: { disposalCode: 'B', retentionYears: 10, endsOn: '2036-12-31', overridden: false } });
    expect(entry.newValues).toEqual({ retention: { disposalCode: 'A', retentionYears: 30, endsOn: '2056-12-31', overridden: true }, reason: 'Bauakte: 30 Jahre nach Erlass' });
  });

  it('without a reason answers 422 and changes nothing; on an open file 409; for a clerk 403', async () => {
    const file = await f.file();
    const open = await f.manager.put(`/files/${file.id}/retention`, { retentionYears: 1, reason: 'Test' }, await ifMatch(file.id));
    expect(open.statusCode).toBe(409);
    await f.closeFile(file.id, { closedOn: '2026-03-01' });
    const before = await f.manager.get(`/files/${file.id}`);
    // No body at all takes the schema's defaults (nothing), so it too lacks the reason (not a 500).
    for (const body of [undefined, { retentionYears: 1 }, { retentionYears: 1, reason: '  ' }]) {
      const res = await f.manager.put(`/files/${file.id}/retention`, body, { 'if-match': before.headers.etag as string });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual(problem('unprocessable', 'A retention override needs a reason (3-1000 characters)', `${BASE}/files/${file.id}/retention`));
    }
    expect((await f.clerk.put(`/files/${file.id}/retention`, { retentionYears: 1, reason: 'Test' }, { 'if-match': before.headers.etag as string })).statusCode).toBe(403);
    const after = await f.manager.get(`/files/${file.id}`);
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(after.json().retention).toEqual(before.json().retention);
  });

  it('filters files by retentionEndsBefore and disposalCode', async () => {
    const unit = await f.unit({ retentionYears: 3, disposal: 'V' });
    const early = await f.file({ planCode: unit.code });
    await f.closeFile(early.id, { closedOn: '2001-05-05' });
    const late = await f.file({ planCode: unit.code });
    await f.closeFile(late.id, { closedOn: '2026-05-05' });
    const list = await f.clerk.get(`/files?planUnitId=${unit.id}&retentionEndsBefore=2010-01-01`);
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([early.id]);
    const byCode = await f.clerk.get(`/files?planUnitId=${unit.id}&disposalCode=V`);
    expect(byCode.json().items.map((i: { id: string }) => i.id)).toEqual([early.id, late.id]);
    expect((await f.clerk.get(`/files?planUnitId=${unit.id}&disposalCode=A`)).json().items).toEqual([]);
  });
});

describe('WORM content at zdA on MinIO', () => {
  it('locks every version in GOVERNANCE mode until the retention ends; MinIO itself refuses a delete', async () => {
    const { file, keys } = await fileWithContent(f, { retentionYears: 10 });
    // Before zdA: no retention lock.
    expect(await protection(TENANT, keys[0]!)).toEqual({ retention: null, legalHold: false });
    expect((await f.closeFile(file.id, { closedOn: '2026-03-01', closeOpenCases: true })).statusCode).toBe(200);
    for (const key of keys) {
      expect(await protection(TENANT, key)).toEqual({ retention: { mode: 'GOVERNANCE', until: new Date('2037-01-01T00:00:00.000Z') }, legalHold: false });
      await expect(rawDelete(TENANT, key)).rejects.toThrow(/retention|WORM|protected|Access Denied/i);
      expect(await versionIds(TENANT, key)).toHaveLength(1);
    }
  });

  it('locks in COMPLIANCE mode for a tenant that chose it: not even the bypass deletes', async () => {
    const { file, keys } = await fileWithContent(strict, { retentionYears: 2 });
    await strict.closeFile(file.id, { closedOn: '2026-03-01', closeOpenCases: true });
    for (const key of keys) {
      expect((await protection(STRICT, key))?.retention).toEqual({ mode: 'COMPLIANCE', until: new Date('2029-01-01T00:00:00.000Z') });
      await expect(rawDelete(STRICT, key, true)).rejects.toThrow();
    }
  });

  it('a longer retention override extends the locks; locks never shrink', async () => {
    const { file, keys } = await fileWithContent(f, { retentionYears: 5 });
    await f.closeFile(file.id, { closedOn: '2026-03-01', closeOpenCases: true });
    await f.manager.put(`/files/${file.id}/retention`, { retentionYears: 20, reason: 'länger' }, await ifMatch(file.id));
    expect((await protection(TENANT, keys[1]!))?.retention?.until).toEqual(new Date('2047-01-01T00:00:00.000Z'));
    await f.manager.put(`/files/${file.id}/retention`, { retentionYears: 1, reason: 'kürzer' }, await ifMatch(file.id));
    expect((await protection(TENANT, keys[1]!))?.retention?.until).toEqual(new Date('2047-01-01T00:00:00.000Z'));
  });
});

describe('legal hold', () => {
  it('sets the object legal hold on every version; MinIO refuses deletes even with the bypass; lifting clears it', async () => {
    const { file, keys } = await fileWithContent(f);
    const res = await f.manager.post(`/files/${file.id}/hold`, { reason: 'Klage vor dem VG Arnsberg', reference: '4 K 1234/26' }, await ifMatch(file.id));
    expect(res.statusCode).toBe(200);
    expect(res.json().hold).toEqual({ reason: 'Klage vor dem VG Arnsberg', reference: '4 K 1234/26', by: 'user@herdecke', at: expect.any(String) });
    for (const key of keys) {
      expect((await protection(TENANT, key))?.legalHold).toBe(true);
      await expect(rawDelete(TENANT, key, true)).rejects.toThrow();
    }
    const again = await f.manager.post(`/files/${file.id}/hold`, { reason: 'noch einmal' }, await ifMatch(file.id));
    expect(again.statusCode).toBe(409);
    const lifted = await f.manager.delete(`/files/${file.id}/hold`, await ifMatch(file.id));
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json().hold).toBeNull();
    for (const key of keys) expect((await protection(TENANT, key))?.legalHold).toBe(false);
  });

  it("another records manager cannot lift someone else's hold (409, nothing changes); a tenant admin can", async () => {
    const { file, keys } = await fileWithContent(f);
    await f.as(['records-manager'], 'justitiariat@herdecke').post(`/files/${file.id}/hold`, { reason: 'Prüfung durch das Rechtsamt' }, await ifMatch(file.id));
    const etag = await f.etag(`/files/${file.id}`);
    const res = await f.manager.delete(`/files/${file.id}/hold`, { 'if-match': etag });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(
      problem('hold-placed-by-other', "The hold was placed by justitiariat@herdecke; lifting another's hold needs the role tenant-admin", `${BASE}/files/${file.id}/hold`, {
        placedBy: 'justitiariat@herdecke',
      }),
    );
    expect(await f.etag(`/files/${file.id}`)).toBe(etag);
    expect((await protection(TENANT, keys[0]!))?.legalHold).toBe(true);
    expect((await f.clerk.delete(`/files/${file.id}/hold`, { 'if-match': etag })).statusCode).toBe(403);
    const admin = await f.as(['tenant-admin']).delete(`/files/${file.id}/hold`, { 'if-match': etag });
    expect(admin.statusCode).toBe(200);
    expect((await protection(TENANT, keys[0]!))?.legalHold).toBe(false);
  });
});

/** A file with content closed in `closedOn` for `years`, made due by a scan on `scanOn`, offered and decided. */
async function decidedFile(decision: 'A' | 'V', opts: { by?: typeof f; tenant?: string; years?: number; closedOn?: string; scanOn?: string } = {}) {
  const by = opts.by ?? f;
  const tenant = opts.tenant ?? TENANT;
  const content = await fileWithContent(by, { retentionYears: opts.years ?? 5, disposal: 'B' });
  expect((await by.closeFile(content.file.id, { closedOn: opts.closedOn ?? '2015-06-30', closeOpenCases: true })).statusCode).toBe(200);
  await scan(tenant, opts.scanOn ?? new Date().toISOString().slice(0, 10));
  expect((await by.manager.get(`/files/${content.file.id}`)).json().disposal?.state).toBe('due');
  const post = async (path: string, body?: unknown) => by.manager.post(`/files/${content.file.id}/disposal/${path}`, body, await ifMatch(content.file.id, by));
  expect((await post('offer')).statusCode).toBe(200);
  expect((await post('decision', { decision, decidedBy: 'Landesarchiv NRW' })).statusCode).toBe(200);
  return content;
}

describe('destruction', () => {
  it('destroys a file the archive evaluated V: tombstone, record as JSON and PDF, objects gone, audit chain verifies', async () => {
    const { file, kase, doc, keys } = await decidedFile('V');
    const res = await f.manager.post(`/files/${file.id}/destroy`, { reason: 'Bewertung V' }, await ifMatch(file.id));
    expect(res.statusCode).toBe(201);
    const record = res.json();
    expect(res.headers.location).toBe(`${BASE}/files/${file.id}/destruction-record`);
    expect(record).toEqual({
      id: expect.any(String), fileId: file.id, reference: file.reference, planCode: file.body.planCode, planUnitId: file.body.planUnitId,
      createdAt: file.body.createdAt, closedOn: '2015-06-30', disposalCode: 'B', retentionYears: 5, retentionEndsOn: '2020-12-31',
      decision: 'V', decidedBy: 'Landesarchiv NRW', decidedAt: expect.any(String), archiveReference: null, reason: 'Bewertung V',
      destroyed: { cases: 1, documents: 1, versions: 2, bytes: 'Erster Entwurf'.length + Buffer.byteLength('Bescheid, endgültig'), governanceBypassed: false },
      destroyedBy: 'user@herdecke', destroyedAt: expect.any(String), audit: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });

    // The tombstone: reference, plan unit, dates and the decision stay; the content is gone.
    const tomb = (await f.manager.get(`/files/${file.id}`)).json();
    expect(tomb).toMatchObject({ reference: file.reference, planUnitId: file.body.planUnitId, title: '', description: null, metadata: {}, closedOn: '2015-06-30' });
    expect(tomb.disposal).toMatchObject({ state: 'destroyed', decision: 'V', decidedBy: 'Landesarchiv NRW' });
    expect((await f.clerk.get(`/cases/${kase.id}`)).statusCode).toBe(404);
    expect((await f.clerk.get(`/documents/${doc.id}`)).statusCode).toBe(404);
    expect((await f.clerk.get(`/files/${file.id}/cases`)).json().items).toEqual([]);
    for (const key of keys) {
      expect(await t.deps.storage.head(TENANT, key)).toBeNull();
      expect(await versionIds(TENANT, key)).toEqual([]);
    }

    expect((await f.as(['reader']).get(`/files/${file.id}/destruction-record`)).json()).toEqual(record);
    const pdf = await f.as(['reader']).get(`/files/${file.id}/destruction-record/pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const parsed = await pdfjs.getDocument({ data: new Uint8Array(pdf.rawPayload), isEvalSupported: false, useSystemFonts: false, verbosity: 0 }).promise;
    expect(parsed.numPages).toBe(1);
    const text = (await (await parsed.getPage(1)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ');
    for (const s of ['Löschprotokoll', file.reference, 'Landesarchiv NRW', 'V (vernichten)', record.id, record.audit.hash]) expect(text).toContain(s);
    await parsed.destroy();

    const audit = await t.injectAs(TENANT, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${file.id}` });
    expect(audit.json().items.at(-1)).toMatchObject({ action: 'file.destroyed', seq: record.audit.seq });
    const verify = await t.injectAs(TENANT, ['auditor'], { method: 'GET', url: `${BASE}/audit/verify` });
    expect(verify.json()).toMatchObject({ ok: true, firstBroken: null });

    // Gone is gone: a second destruction is out of order, and the reference is never reused.
    expect((await f.manager.post(`/files/${file.id}/destroy`, {}, await ifMatch(file.id))).json().code).toBe('disposal-out-of-order');
  });

  it('destroys an archived file after the archive confirmed, bypassing GOVERNANCE locks still running', async () => {
    // Closed 2015 for 15 years: locked until 2031; the scan runs "in 2031" to make it due now.
    const { file, keys } = await decidedFile('A', { years: 15, scanOn: '2031-06-01' });
    expect((await protection(TENANT, keys[0]!))?.retention).toEqual({ mode: 'GOVERNANCE', until: new Date('2031-01-01T00:00:00.000Z') });
    const early = await f.manager.post(`/files/${file.id}/destroy`, {}, await ifMatch(file.id));
    expect(early.json().code).toBe('disposal-out-of-order');
    await f.manager.post(`/files/${file.id}/disposal/archived`, { archiveReference: 'LAV NRW W Nr. 99' }, await ifMatch(file.id));
    const res = await f.manager.post(`/files/${file.id}/destroy`, {}, await ifMatch(file.id));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ decision: 'A', archiveReference: 'LAV NRW W Nr. 99', destroyed: { versions: 2, governanceBypassed: true } });
    for (const key of keys) expect(await versionIds(TENANT, key)).toEqual([]);
  });

  it('refuses a held file (409 on-hold) and one not yet evaluated (409), changing nothing', async () => {
    const { file, keys } = await decidedFile('V');
    await f.manager.post(`/files/${file.id}/hold`, { reason: 'Auskunftsersuchen' }, await ifMatch(file.id));
    const etag = await f.etag(`/files/${file.id}`);
    const held = await f.manager.post(`/files/${file.id}/destroy`, {}, { 'if-match': etag });
    expect(held.statusCode).toBe(409);
    expect(held.json().code).toBe('on-hold');
    expect(await f.etag(`/files/${file.id}`)).toBe(etag);
    expect(await t.deps.storage.head(TENANT, keys[0]!)).not.toBeNull();

    const open = await f.file();
    const notEvaluated = await f.manager.post(`/files/${open.id}/destroy`, {}, await ifMatch(open.id));
    expect(notEvaluated.statusCode).toBe(409);
    expect(notEvaluated.json()).toEqual(
      problem('disposal-out-of-order', "Destruction needs disposal state evaluated with decision V or archived; the file's is none (retention not ended)", `${BASE}/files/${open.id}/destroy`, {
        disposalState: null, expected: ['evaluated with decision V', 'archived'],
      }),
    );
    expect((await f.manager.get(`/files/${open.id}/destruction-record`)).statusCode).toBe(409);
    expect((await f.clerk.post(`/files/${file.id}/destroy`, {}, { 'if-match': etag })).statusCode).toBe(403);
  });

  it('says so when COMPLIANCE locks are still running (409 content-locked) and changes nothing', async () => {
    const { file, keys } = await decidedFile('V', { by: strict, tenant: STRICT, years: 15, scanOn: '2031-06-01' });
    const etag = await strict.etag(`/files/${file.id}`, strict.manager);
    const res = await strict.manager.post(`/files/${file.id}/destroy`, {}, { 'if-match': etag });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(
      problem('content-locked', 'A version object is under COMPLIANCE retention until 2031-01-01T00:00:00.000Z: nobody can remove it before then; destroy the file after that date', `/v1/tenants/${STRICT}/files/${file.id}/destroy`),
    );
    expect(await strict.etag(`/files/${file.id}`, strict.manager)).toBe(etag);
    for (const key of keys) expect(await t.deps.storage.head(STRICT, key)).not.toBeNull();
  });
});
