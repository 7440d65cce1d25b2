import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { jobContext } from '../../src/core/index.js';
import { bewertungsverzeichnisMessage, importConfirmationMessage, receiptMessage, type ImportOutcome } from '../../src/modules/xdomea/messages/aussonderung.js';
import { readHead } from '../../src/modules/xdomea/messages/header.js';
import { primaryFiles, readRecords } from '../../src/modules/xdomea/messages/records.js';
import { parseUntrusted } from '../../src/modules/xdomea/xml/safe.js';
import { schemaErrors, XDOMEA_VERSIONS, type XdomeaVersion } from '../../src/modules/xdomea/xml/validate.js';
import { serialize } from '../../src/modules/xdomea/xml/writer.js';
import { bufferSource, openSafeZip, readEntry } from '../../src/modules/xdomea/zip/safe-zip.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * Aussonderung with the archive, in 3.0.0 and 4.0.0: 0501 out (files offered), 0502 in (A/V) with
 * the 0505 receipt, the 0503 container as a job streamed from storage into storage, 0504/0507
 * receipts and 0506 (archived with the archive's reference, or an error) in; the 0503 import of
 * the Landesarchiv NRW's real examples; hostile input. Own database and buckets.
 */
const TOWN = 'wetter';
const OTHER = 'hattingen';
const BASE = `/v1/tenants/${TOWN}`;
let t: TestApp;
let owner: pg.Client;
let services: ReturnType<typeof createServices>;

beforeAll(async () => {
  const db = await isolatedDatabase('xdomea_aussonderung');
  t = await buildTestApp({ ...db.env, S3_BUCKET_PREFIX: 'en-akte-xdauss-' });
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  services = createServices({ ...t.deps, version: 'test' });
  await t.startWorker();
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const as = (tenant: string, roles = ['records-manager']) => ({
  post: (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.injectAs(tenant, roles, { method: 'POST', url: `/v1/tenants/${tenant}${url}`, payload: payload as string, headers }),
  get: (url: string) => t.injectAs(tenant, roles, { method: 'GET', url: `/v1/tenants/${tenant}${url}` }),
});
const manager = as(TOWN);
const xml = (body: string | Buffer) => ({ body, headers: { 'content-type': 'application/xml' } });
const postXml = (tenant: string, url: string, body: string) => as(tenant).post(url, xml(body).body, xml(body).headers);

async function scan(tenant: string) {
  const { id, slug } = await services.tenants.resolve(tenant);
  return services.scope(jobContext({ id, slug }, 'retention-scan'), (uow) => services.records.markRetentionEnded(uow, new Date(new Date().toISOString().slice(0, 10))));
}

interface Seeded { id: string; contents: Buffer[] }
/** A file with two cases, documents and versions, closed long ago under a unit keeping it 5 years (disposal A), made due by the scan. */
async function dueFile(tenant: string, title: string): Promise<Seeded> {
  const f = recordFactories(t, tenant);
  const unit = await f.unit({ retentionYears: 5, disposal: 'A', title: 'Bauordnung' });
  const file = await f.file({ planCode: unit.code, title, leadOrgUnit: 'FB 63' });
  const contents: Buffer[] = [];
  for (const [i, caseTitle] of ['Antrag', 'Genehmigung'].entries()) {
    const kase = await f.kase(file.id, { title: caseTitle });
    const doc = await f.document(kase.id, { title: `${caseTitle} Dokument` });
    let etag = doc.etag;
    for (const [n, [name, type]] of [['plan.pdf', 'application/pdf'], ['notiz.txt', 'text/plain']].entries()) {
      const content = Buffer.from(`${title} ${caseTitle} ${n} ${i} ${'x'.repeat(100 * (n + 1))}`);
      const res = await f.upload(f.clerk, doc.id, content, etag, { 'content-type': type! }, `?filename=${name}`);
      expect(res.statusCode, res.body).toBe(201);
      etag = res.headers['document-etag'] as string;
      contents.push(content);
    }
    const closed = await f.manager.post(`/cases/${kase.id}/close`, {}, { 'if-match': await f.etag(`/cases/${kase.id}`) });
    expect(closed.statusCode, closed.body).toBe(200);
  }
  const closed = await f.closeFile(file.id, { closedOn: '2015-06-30' });
  expect(closed.statusCode, closed.body).toBe(200);
  await scan(tenant);
  return { id: file.id, contents };
}

const stateOf = async (tenant: string, id: string) => (await as(tenant).get(`/files/${id}`)).json().disposal;

function parse(text: string, v: XdomeaVersion) {
  const doc = parseUntrusted(Buffer.from(text), 100_000_000);
  try {
    expect(schemaErrors(doc, v)).toEqual([]);
    return { name: doc.root.name, head: readHead(doc.root, v), records: readRecords(doc.root), text };
  } finally {
    doc.dispose();
  }
}

const archiveHead = (v: XdomeaVersion, processId: string) => ({
  version: v, processId, messageId: '0193b0a4-0000-7000-8000-00000000aaaa', createdAt: new Date(Date.now() - 60_000), sender: { institution: 'Landesarchiv NRW' }, recipient: { institution: `EN-Akte ${TOWN}` },
});
const evaluation = (v: XdomeaVersion, processId: string, decisions: { id: string; decision: string }[]) =>
  serialize(bewertungsverzeichnisMessage(archiveHead(v, processId), '0193b0a4-0000-7000-8000-00000000bbbb', decisions));
const confirmation = (v: XdomeaVersion, processId: string, outcomes: ImportOutcome[]) =>
  serialize(importConfirmationMessage(archiveHead(v, processId), '0193b0a4-0000-7000-8000-00000000cccc', outcomes));

async function waitDone(location: string) {
  for (let i = 0; i < 600; i++) {
    const s = await t.injectAs(TOWN, ['records-manager'], { method: 'GET', url: location });
    expect(s.statusCode, s.body).toBe(200);
    if (s.json().state === 'done' || s.json().state === 'failed') return s.json();
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('export did not finish');
}

async function unpack(zip: Buffer) {
  const safe = await openSafeZip(bufferSource(zip));
  try {
    const files: Record<string, Buffer> = {};
    for (const e of safe.entries) files[e.name] = await readEntry(safe, e.name, 100_000_000);
    return files;
  } finally {
    safe.close();
  }
}

describe.each(XDOMEA_VERSIONS)('Aussonderung in XDOMEA %s', (v) => {
  const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
  let kept: Seeded;
  let failing: Seeded;
  let destroyed: Seeded;
  let processId = '';
  let exported = { id: '', location: '', resultKey: '' };

  it('0501: offers the due files; they move to offered; the message validates and lists them with retention and history', async () => {
    kept = await dueFile(TOWN, `Bauakte Hauptstraße ${v}`);
    failing = await dueFile(TOWN, `Bauakte Nebenstraße ${v}`);
    destroyed = await dueFile(TOWN, `Bauakte Gartenweg ${v}`);
    const res = await manager.post(`/xdomea/aussonderung/offers?version=${v}`, { fileIds: [kept.id, failing.id, destroyed.id], recipient: 'Landesarchiv NRW' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    const msg = parse(res.body, v);
    processId = msg.head.processId!;
    expect(res.headers['content-disposition']).toBe(v === '3.0.0'
      ? `attachment; filename="${processId}_Aussonderung.Anbieteverzeichnis.0501.xml"` : `attachment; filename="${processId}_0501_1.xml"`);
    expect(msg.head).toMatchObject({ code: '0501', sender: `EN-Akte ${TOWN}`, recipient: 'Landesarchiv NRW' });
    expect(msg.records.files.map((f) => [f.id, f.cases.length, f.cases.flatMap((c) => c.documents).length])).toEqual([[kept.id, 2, 2], [failing.id, 2, 2], [destroyed.id, 2, 2]]);
    expect(primaryFiles(msg.records)).toEqual([]);
    expect(msg.text).toContain('<xdomea:AnzahlJahre>5</xdomea:AnzahlJahre>');
    expect(msg.text).toContain('<xdomea:Aufbewahrungsende>2020-12-31</xdomea:Aufbewahrungsende>');
    expect(msg.text).toContain('<xdomea:Aktion>file.closed</xdomea:Aktion>');
    for (const f of [kept, failing, destroyed]) expect((await stateOf(TOWN, f.id)).state).toBe('offered');
  });

  it('0502: records A/V per file (who and when from the message) and answers with a valid 0505', async () => {
    const res = await postXml(TOWN, '/xdomea/aussonderung/evaluations', evaluation(v, processId, [
      { id: kept.id, decision: 'A' }, { id: failing.id, decision: 'A' }, { id: destroyed.id, decision: 'V' },
    ]));
    expect(res.statusCode, res.body).toBe(200);
    const receipt = parse(res.body, v);
    expect(receipt.head).toMatchObject({ code: '0505', processId, recipient: 'Landesarchiv NRW' });
    expect(await stateOf(TOWN, kept.id)).toMatchObject({ state: 'evaluated', decision: 'A', decidedBy: 'Landesarchiv NRW' });
    expect(await stateOf(TOWN, destroyed.id)).toMatchObject({ state: 'evaluated', decision: 'V' });
  });

  it('0503 as a job: 202 + Location, progress to done, a ZIP named by the rules with the message and every primary file, hashes equal', async () => {
    const res = await manager.post(`/xdomea/exports?version=${v}`, { message: '0503', fileIds: [kept.id, failing.id], recipient: 'Landesarchiv NRW' });
    expect(res.statusCode, res.body).toBe(202);
    const location = res.headers.location as string;
    expect(location).toBe(`${BASE}/xdomea/exports/${res.json().id}`);
    expect(res.json()).toMatchObject({ message: '0503', version: v, state: 'queued', fileIds: [kept.id, failing.id] });
    const done = await waitDone(location);
    expect(done).toMatchObject({ state: 'done', error: null, progress: { entriesDone: 9, entriesTotal: 9 } });
    const resultKey = (await owner.query('SELECT result_key FROM xdomea_export WHERE id = $1', [done.id])).rows[0].result_key as string;
    expect(resultKey).toBe(`xdomea/exports/${done.id}/${done.filename}`);
    // Written without a retention lock or hold: the sweep and destruction can delete it.
    expect(await services.storage.protection(TOWN, resultKey)).toEqual({ legalHold: false, retention: null });
    exported = { id: done.id, location, resultKey };
    expect(done.progress.bytesDone).toBe(done.progress.bytesTotal);
    const exportProcess = done.processId as string;
    const content = await t.injectAs(TOWN, ['records-manager'], { method: 'GET', url: `${location}/content` });
    expect(content.statusCode).toBe(200);
    expect(content.headers['content-disposition']).toBe(`attachment; filename="${v === '3.0.0' ? `${exportProcess}_Aussonderung.Aussonderung.0503.zip` : `${exportProcess}_0503_1.zip`}"`);
    expect(sha(content.rawPayload)).toBe(done.sha256);
    expect(content.rawPayload.length).toBe(done.size);
    const entries = await unpack(content.rawPayload);
    const messageName = v === '3.0.0' ? `${exportProcess}_Aussonderung.Aussonderung.0503.xml` : `${exportProcess}_0503_1.xml`;
    expect(Object.keys(entries).sort()).toEqual([messageName, ...Object.keys(entries).filter((n) => n !== messageName)].sort());
    const msg = parse(entries[messageName]!.toString('utf8'), v);
    expect(msg.head).toMatchObject({ code: '0503', processId: exportProcess });
    expect(msg.records.files.map((f) => f.id)).toEqual([kept.id, failing.id]);
    const primaries = primaryFiles(msg.records);
    expect(primaries).toHaveLength(8);
    for (const p of primaries) {
      expect(p.filename).toMatch(new RegExp(`^${UUID}\\.(pdf|txt)$`));
      expect(entries[p.filename], p.filename).toBeDefined();
      if (v === '4.0.0') expect(sha(entries[p.filename]!)).toBe(p.sha256);
    }
    expect(primaries.map((p) => p.formatCode)).toEqual(Array(4).fill(['018', '045']).flat());
    expect(Object.values(entries).filter((b) => b !== entries[messageName]).map(sha).sort()).toEqual([...kept.contents, ...failing.contents].map(sha).sort());
    for (const a of ['file.created', 'file.closed', 'file.offered', 'file.evaluated']) expect(msg.text).toContain(`<xdomea:Aktion>${a}</xdomea:Aktion>`);
    expect(msg.text).toContain(v === '3.0.0' ? '<xdomea:ArchivspezifischeMetadaten>' : '<xdomea:Aussonderungsmetadaten>');
  });

  it('0504 and 0507 receipts are recorded; nothing changes', async () => {
    for (const code of ['0504', '0507'] as const) {
      const res = await postXml(TOWN, '/xdomea/aussonderung/archive-messages', serialize(receiptMessage(archiveHead(v, processId), code, '0193b0a4-0000-7000-8000-00000000dddd')));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ message: code, version: v, processId, sender: 'Landesarchiv NRW', archived: [], failed: [] });
    }
    expect((await stateOf(TOWN, kept.id)).state).toBe('evaluated');
  });

  it('destruction waits for 0506: 409 before, archived with the Archivkennung after; an error is recorded and the file stays', async () => {
    const f = recordFactories(t, TOWN);
    const early = await f.manager.post(`/files/${kept.id}/destroy`, {}, { 'if-match': await f.etag(`/files/${kept.id}`) });
    expect(early.statusCode).toBe(409);
    const res = await postXml(TOWN, '/xdomea/aussonderung/archive-messages', confirmation(v, processId, [
      { id: kept.id, ok: true, archiveReference: `LAV NRW R, BR 2001 Nr. ${v}` },
      { id: failing.id, ok: false, errors: ['Primärdatei nicht lesbar'] },
    ]));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      message: '0506', version: v, processId, sender: 'Landesarchiv NRW',
      archived: [{ fileId: kept.id, archiveReference: `LAV NRW R, BR 2001 Nr. ${v}` }], failed: [{ fileId: failing.id, errors: ['Primärdatei nicht lesbar'] }],
    });
    expect(await stateOf(TOWN, kept.id)).toMatchObject({ state: 'archived', archiveReference: `LAV NRW R, BR 2001 Nr. ${v}` });
    expect(await stateOf(TOWN, failing.id)).toMatchObject({ state: 'evaluated', decision: 'A', archiveReference: null });
    const audit = (await t.injectAs(TOWN, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${failing.id}` })).json();
    expect(audit.items.filter((e: { action: string }) => e.action === 'xdomea.archive-import-failed').map((e: { newValues: unknown }) => e.newValues))
      .toEqual([{ messageType: '0506', version: v, processId, sender: 'Landesarchiv NRW', errors: ['Primärdatei nicht lesbar'] }]);
    expect(await services.storage.head(TOWN, exported.resultKey)).not.toBeNull();
    const destroy = await f.manager.post(`/files/${kept.id}/destroy`, {}, { 'if-match': await f.etag(`/files/${kept.id}`) });
    expect(destroy.statusCode, destroy.body).toBe(201);
    // No copy survives destruction: the 0503 that held the file is withdrawn, its container gone.
    const status = await manager.get(`/xdomea/exports/${exported.id}`);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ id: exported.id, state: 'withdrawn', error: `File ${kept.id} was destroyed; the export is withdrawn and its container removed`, fileIds: [kept.id, failing.id] });
    expect(await services.storage.head(TOWN, exported.resultKey)).toBeNull();
    const items: string[] = [];
    for await (const i of services.storage.list(TOWN, `xdomea/exports/${exported.id}/`)) items.push(i.key);
    expect(items).toEqual([]);
    const content = await manager.get(`/xdomea/exports/${exported.id}/content`);
    expect(content.statusCode).toBe(410);
    expect(content.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(content.json()).toEqual(problem('export-gone', 'A file the export held was destroyed, and the container with it', `${exported.location}/content`, { state: 'withdrawn' }));
    expect((await owner.query('SELECT state, result_key FROM xdomea_export WHERE id = $1', [exported.id])).rows).toEqual([{ state: 'withdrawn', result_key: null }]);
    const exportAudit = (await t.injectAs(TOWN, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${exported.id}` })).json();
    expect(exportAudit.items.filter((e: { action: string }) => e.action === 'xdomea.export-withdrawn').map((e: { newValues: unknown }) => e.newValues))
      .toEqual([{ messageType: '0503', processId: status.json().processId, fileId: kept.id, was: 'done' }]);
  });
});

describe('0401 as a job', () => {
  it('the Abgabe of one file is written by the job like the synchronous route, and downloads when done', async () => {
    const f = recordFactories(t, TOWN);
    const unit = await f.unit({ title: 'Schwerbehindertenrecht' });
    const file = await f.file({ planCode: unit.code, title: 'Schwerbehindertenausweis Müller' });
    const kase = await f.kase(file.id, { title: 'Antrag' });
    const doc = await f.document(kase.id, { title: 'Antrag' });
    const content = Buffer.from('%PDF-1.7 Antrag');
    expect((await f.upload(f.clerk, doc.id, content, doc.etag, { 'content-type': 'application/pdf' }, '?filename=antrag.pdf')).statusCode).toBe(201);
    for (const v of XDOMEA_VERSIONS) {
      const res = await as(TOWN, ['clerk']).post(`/xdomea/exports?version=${v}`, { message: '0401', fileIds: [file.id] });
      expect(res.statusCode, res.body).toBe(202);
      const done = await waitDone(res.headers.location as string);
      expect(done).toMatchObject({ state: 'done', progress: { entriesDone: 2, entriesTotal: 2 } });
      const zip = await t.injectAs(TOWN, ['clerk'], { method: 'GET', url: `${res.headers.location}/content` });
      const entries = await unpack(zip.rawPayload);
      const name = v === '3.0.0' ? `${done.processId}_Abgabe.Abgabe.0401.xml` : `${done.processId}_0401_1.xml`;
      const msg = parse(entries[name]!.toString('utf8'), v);
      expect(msg.records.files.map((x) => x.id)).toEqual([file.id]);
      expect(entries[primaryFiles(msg.records)[0]!.filename]).toEqual(content);
    }
    const twoFiles = await as(TOWN, ['clerk']).post('/xdomea/exports', { message: '0401', fileIds: [file.id, kase.id] });
    expect(twoFiles.json()).toEqual(problem('unprocessable', 'A 0401 Abgabe export names exactly one file in fileIds', `${BASE}/xdomea/exports`));
    const notYet = await as(TOWN).post('/xdomea/exports', { message: '0503', fileIds: [file.id] });
    expect(notYet.statusCode).toBe(409);
    expect(notYet.json()).toMatchObject({ code: 'disposal-out-of-order' });
  });
});

describe('the real 0503 examples of the Landesarchiv NRW import as new files', () => {
  const fixture = (p: string) => readFileSync(new URL(`../fixtures/xdomea/${p}`, import.meta.url));
  const EXAMPLES = {
    '3.0.0': { message: '9fde4e7a-b41b-11ec-9225-005056871b7c_Aussonderung.Aussonderung.0503.xml', primary: 'f4bcaaf7-d7cb-11ef-a278-005056871b7c.txt', zip: '9fde4e7a-b41b-11ec-9225-005056871b7c_Aussonderung.Aussonderung.0503.zip' },
    '4.0.0': { message: '518c7c31-d1a0-11ef-accb-005056871b7c_0503_1.xml', primary: '8bcadd35-d27b-11ef-ab6c-005056871b7c.txt', zip: '518c7c31-d1a0-11ef-accb-005056871b7c_0503_1.zip' },
  } as const;
  const container = (entries: { name: string; body: Buffer }[]) =>
    new Promise<Buffer>((resolve, reject) => {
      const z = new yazl.ZipFile();
      for (const e of entries) z.addBuffer(e.body, e.name);
      z.end();
      const chunks: Buffer[] = [];
      z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
    });

  for (const v of XDOMEA_VERSIONS) {
    it(`${v}: file, case, document and version as the message says; the content hash is the primary file's`, async () => {
      const ex = EXAMPLES[v];
      const primary = fixture(`v${v}/${ex.primary}`);
      const zip = await container([{ name: ex.message, body: fixture(`v${v}/${ex.message}`) }, { name: ex.primary, body: primary }]);
      const code = (await recordFactories(t, TOWN).unit({ title: 'Rückläufer aus dem Archiv' })).code;
      const res = await manager.post(`/xdomea/aussonderung?planCode=${code}`, zip, { 'content-type': 'application/zip' });
      expect(res.statusCode, res.body).toBe(201);
      const r = res.json();
      expect(r).toEqual({
        fileId: expect.any(String), reference: expect.stringContaining(code), cases: 1, documents: 1, versions: 1, version: v,
        processId: v === '3.0.0' ? '9fde4e7a-b41b-11ec-9225-005056871b7c' : '518c7c31-d1a0-11ef-accb-005056871b7c', sender: '[Abgebende Stelle]',
      });
      const file = (await manager.get(`/files/${r.fileId}`)).json();
      expect(file).toMatchObject({ title: v === '3.0.0' ? '[Vorgangsbetreff]' : '[Aktenbetreff]', planCode: code, ...(v === '4.0.0' ? { description: '[Freitext-Bemerkungsfeld]' } : {}) });
      const cases = (await manager.get(`/files/${r.fileId}/cases`)).json().items;
      expect(cases.map((c: { title: string }) => c.title)).toEqual(['[Vorgangsbetreff]']);
      const docs = (await manager.get(`/cases/${cases[0].id}/documents`)).json().items;
      expect(docs.map((d: { title: string }) => d.title)).toEqual(['[Dokumentbetreff]']);
      const versions = (await manager.get(`/documents/${docs[0].id}/versions`)).json().items;
      expect(versions.map((x: { number: number; sha256: string; size: number; mediaType: string }) => [x.number, x.sha256, x.size, x.mediaType]))
        .toEqual([[1, sha(primary), primary.length, 'text/plain']]);
      const bytes = await manager.get(`/documents/${docs[0].id}/versions/1/content`);
      expect(sha(bytes.rawPayload)).toBe(sha(primary));
    });
  }

  it('an invalid 0503 answers 422 with schemaErrors and writes nothing; a missing primary file 422 container-rejected', async () => {
    const count = async () => Number((await owner.query('SELECT count(*) AS n FROM record_file f JOIN tenant t ON t.id = f.tenant_id WHERE t.slug = $1', [TOWN])).rows[0].n);
    const before = await count();
    const code = (await recordFactories(t, TOWN).unit({ title: 'Rückläufer' })).code;
    const ex = EXAMPLES['4.0.0'];
    const broken = fixture(`v4.0.0/${ex.message}`).toString('utf8').replace(/<xdomea:ProzessID>[^<]*<\/xdomea:ProzessID>/, '');
    const invalid = await manager.post(`/xdomea/aussonderung?planCode=${code}`, await container([{ name: ex.message, body: Buffer.from(broken) }, { name: ex.primary, body: fixture(`v4.0.0/${ex.primary}`) }]), { 'content-type': 'application/zip' });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json()).toMatchObject({ code: 'message-invalid', schemaErrors: [expect.objectContaining({ line: expect.any(Number), message: expect.stringContaining('ProzessID') })] });
    const missing = await manager.post(`/xdomea/aussonderung?planCode=${code}`, await container([{ name: ex.message, body: fixture(`v4.0.0/${ex.message}`) }]), { 'content-type': 'application/zip' });
    expect(missing.json()).toEqual(problem('container-rejected', `The primary file ${ex.primary} the message names is not in the container`, `${BASE}/xdomea/aussonderung`));
    const tampered = await manager.post(`/xdomea/aussonderung?planCode=${code}`, await container([{ name: ex.message, body: fixture(`v4.0.0/${ex.message}`) }, { name: ex.primary, body: Buffer.from('verändert') }]), { 'content-type': 'application/zip' });
    expect(tampered.json()).toEqual(problem('container-rejected', `The primary file ${ex.primary} does not match the SHA-256 the message states`, `${BASE}/xdomea/aussonderung`));
    expect(await count()).toBe(before);
  });
});

describe('hostile input to the archive routes: refused with a 4xx, nothing changes', () => {
  let offered: Seeded;
  let due: Seeded;
  let foreign: Seeded;
  beforeAll(async () => {
    offered = await dueFile(TOWN, 'Akte angeboten');
    due = await dueFile(TOWN, 'Akte nie angeboten');
    foreign = await dueFile(OTHER, 'Akte der Nachbarstadt');
    expect((await manager.post('/xdomea/aussonderung/offers', { fileIds: [offered.id] })).statusCode).toBe(200);
    expect((await as(OTHER).post('/xdomea/aussonderung/offers', { fileIds: [foreign.id] })).statusCode).toBe(200);
  });
  const P = '0193b0a4-0000-7000-8000-000000000fff';

  it('a 0502 naming a file never offered: 409 disposal-out-of-order, the offered one in the same message stays offered', async () => {
    const res = await postXml(TOWN, '/xdomea/aussonderung/evaluations', evaluation('3.0.0', P, [{ id: offered.id, decision: 'A' }, { id: due.id, decision: 'A' }]));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'disposal-out-of-order', disposalState: 'due', expected: ['offered'] });
    expect((await stateOf(TOWN, offered.id)).state).toBe('offered');
    expect((await stateOf(TOWN, due.id)).state).toBe('due');
  });

  it("a 0502 or 0506 naming another tenant's file: 422, neither tenant changes", async () => {
    for (const v of XDOMEA_VERSIONS) {
      const res = await postXml(TOWN, '/xdomea/aussonderung/evaluations', evaluation(v, P, [{ id: offered.id, decision: 'V' }, { id: foreign.id, decision: 'V' }]));
      expect(res.json()).toEqual(problem('unprocessable', `The message names 1 object(s) that are not files of this tenant: ${foreign.id}`, `${BASE}/xdomea/aussonderung/evaluations`));
      const conf = await postXml(TOWN, '/xdomea/aussonderung/archive-messages', confirmation(v, P, [{ id: foreign.id, ok: true, archiveReference: 'X' }]));
      expect(conf.statusCode).toBe(422);
    }
    expect((await stateOf(TOWN, offered.id)).state).toBe('offered');
    expect((await stateOf(OTHER, foreign.id)).state).toBe('offered');
  });

  it('a 0506 for a file not evaluated A: 409; a 0502 decision other than A or V: 422', async () => {
    const conf = await postXml(TOWN, '/xdomea/aussonderung/archive-messages', confirmation('4.0.0', P, [{ id: offered.id, ok: true, archiveReference: 'X' }]));
    expect(conf.statusCode).toBe(409);
    const b = await postXml(TOWN, '/xdomea/aussonderung/evaluations', evaluation('3.0.0', P, [{ id: offered.id, decision: 'B' }]));
    expect(b.statusCode).toBe(422);
    expect(b.json().detail).toMatch(/evaluated "B"; the archive's decision must be A or V/);
    expect((await stateOf(TOWN, offered.id)).state).toBe('offered');
  });

  it('schema violations answer 422 with schemaErrors; a DTD is refused; another message type is refused', async () => {
    const bad = evaluation('4.0.0', P, [{ id: offered.id, decision: 'A' }]).replace(/<xdomea:UUIDUrsprungsnachricht>[^<]*<\/xdomea:UUIDUrsprungsnachricht>/, '');
    const invalid = await postXml(TOWN, '/xdomea/aussonderung/evaluations', bad);
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json()).toMatchObject({ code: 'message-invalid', detail: 'The message is not valid against the XDOMEA 4.0.0 schema', schemaErrors: [expect.objectContaining({ line: expect.any(Number) })] });
    const dtd = `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>${evaluation('3.0.0', P, [{ id: offered.id, decision: 'A' }]).replace(/^<\?xml[^>]*>/, '')}`;
    for (const url of ['/xdomea/aussonderung/evaluations', '/xdomea/aussonderung/archive-messages']) {
      const res = await postXml(TOWN, url, dtd);
      expect(res.json()).toEqual(problem('message-invalid', 'The message contains a document type declaration (DTD); DTDs are refused (no entities, no external references)', `${BASE}${url}`, { schemaErrors: [] }));
    }
    const wrongType = await postXml(TOWN, '/xdomea/aussonderung/archive-messages', evaluation('3.0.0', P, [{ id: offered.id, decision: 'A' }]));
    expect(wrongType.statusCode).toBe(422);
    expect(wrongType.json().detail).toMatch(/^Expected a message of type/);
    const empty = await manager.post('/xdomea/aussonderung/evaluations', '', { 'content-type': 'application/xml' });
    expect(empty.statusCode).toBe(400);
    expect((await stateOf(TOWN, offered.id)).state).toBe('offered');
  });

  it('offering a file not due: 409, and the other files named stay due', async () => {
    const other = await dueFile(TOWN, 'Akte fällig');
    const res = await manager.post('/xdomea/aussonderung/offers', { fileIds: [other.id, offered.id] });
    expect(res.statusCode).toBe(409);
    expect((await stateOf(TOWN, other.id)).state).toBe('due');
  });

  it("another tenant's export is not found", async () => {
    const res = await manager.post('/xdomea/exports', { message: '0401', fileIds: [offered.id] });
    expect(res.statusCode).toBe(202);
    expect((await as(OTHER).get(`/xdomea/exports/${res.json().id}`)).statusCode).toBe(404);
    expect((await as(OTHER).get(`/xdomea/exports/${res.json().id}/content`)).statusCode).toBe(404);
    await waitDone(res.headers.location as string);
  });
});
