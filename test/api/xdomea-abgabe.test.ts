import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { readRecords } from '../../src/modules/xdomea/messages/records.js';
import { parseUntrusted } from '../../src/modules/xdomea/xml/safe.js';
import { schemaErrors, XDOMEA_VERSIONS, type XdomeaVersion } from '../../src/modules/xdomea/xml/validate.js';
import { bufferSource, openSafeZip, readEntry } from '../../src/modules/xdomea/zip/safe-zip.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * Abgabe (0401): a file of a town, with all its cases, documents and versions, out as a ZIP and in
 * as a new file of the Kreis, in 3.0.0 and 4.0.0. Own database and buckets: the tests count the
 * versions and objects a refused import must not leave.
 */
let t: TestApp;
let owner: pg.Client;
const TOWN = 'wetter';
const KREIS = 'en-kreis';
let fileId = '';
let kreisCode = '';
const sent: { name: string; content: Buffer; type: string }[] = [
  { name: 'antrag.pdf', content: Buffer.from('%PDF-1.7 Antrag auf Feststellung der Schwerbehinderung'), type: 'application/pdf' },
  { name: 'befund.txt', content: Buffer.from('Befundbericht, Fassung 1'), type: 'text/plain' },
  { name: 'befund.txt', content: Buffer.from('Befundbericht, Fassung 2 (ergänzt)'), type: 'text/plain' },
  { name: 'notiz.bin', content: Buffer.from([0, 1, 2, 3, 255]), type: 'application/octet-stream' },
];

beforeAll(async () => {
  const db = await isolatedDatabase('xdomea_abgabe');
  t = await buildTestApp({ ...db.env, S3_BUCKET_PREFIX: 'en-akte-xdabgabe-' });
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  const f = recordFactories(t, TOWN);
  const unit = await f.unit({ title: 'Schwerbehindertenrecht' });
  const file = await f.file({ planCode: unit.code, title: 'Schwerbehindertenausweis Müller', leadOrgUnit: 'FB 50 Soziales' });
  fileId = file.id;
  const antrag = await f.kase(file.id, { title: 'Antrag' });
  const befunde = await f.kase(file.id, { title: 'Befunde & Gutachten' });
  const d1 = await f.document(antrag.id, { title: 'Antrag' });
  const d2 = await f.document(befunde.id, { title: 'Befundbericht' });
  const d3 = await f.document(befunde.id, { title: 'Notiz' });
  const put = async (docId: string, s: (typeof sent)[number], etag: string) => {
    const res = await f.upload(f.clerk, docId, s.content, etag, { 'content-type': s.type }, `?filename=${encodeURIComponent(s.name)}`);
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.headers['document-etag'] as string;
  };
  await put(d1.id, sent[0]!, d1.etag);
  await put(d2.id, sent[2]!, await put(d2.id, sent[1]!, d2.etag));
  await put(d3.id, sent[3]!, d3.etag);
  kreisCode = (await recordFactories(t, KREIS).unit({ title: 'Schwerbehindertenangelegenheiten' })).code;
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

const collect = async (r: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const exportZip = async (tenant: string, id: string, version: XdomeaVersion) => {
  const res = await t.injectAs(tenant, ['records-manager'], { method: 'GET', url: `/v1/tenants/${tenant}/files/${id}/xdomea/abgabe?version=${version}&recipient=Ennepe-Ruhr-Kreis` });
  expect(res.statusCode, res.body).toBe(200);
  return { res, zip: res.rawPayload };
};

/** The message and the primary files of a container. */
async function unpack(zip: Buffer) {
  const safe = await openSafeZip(bufferSource(zip));
  try {
    const xmlName = safe.entries.find((e) => e.name.endsWith('.xml'))!.name;
    const xml = (await readEntry(safe, xmlName, 10_000_000)).toString('utf8');
    const files: Record<string, Buffer> = {};
    for (const e of safe.entries) if (e.name !== xmlName) files[e.name] = await readEntry(safe, e.name, 10_000_000);
    return { names: safe.entries.map((e) => e.name), xmlName, xml, files };
  } finally {
    safe.close();
  }
}

async function rezip(entries: Record<string, Buffer>) {
  const z = new yazl.ZipFile();
  for (const [name, body] of Object.entries(entries)) z.addBuffer(body, name);
  z.end();
  return collect(z.outputStream as Readable);
}

const importZip = (tenant: string, body: Buffer, roles = ['records-manager'], planCode = kreisCode) =>
  t.injectAs(tenant, roles, { method: 'POST', url: `/v1/tenants/${tenant}/xdomea/abgabe?planCode=${planCode}`, headers: { 'content-type': 'application/zip' }, payload: body });

async function kreisState() {
  const q = async (sql: string) => Number((await owner.query(sql, [KREIS])).rows[0].n);
  const objects: string[] = [];
  for await (const o of t.deps.storage.list(KREIS)) objects.push(o.key);
  return {
    files: await q('SELECT count(*) AS n FROM record_file f JOIN tenant t ON t.id = f.tenant_id WHERE t.slug = $1'),
    versions: await q('SELECT count(*) AS n FROM document_version v JOIN tenant t ON t.id = v.tenant_id WHERE t.slug = $1'),
    objects: objects.length,
  };
}

/** The message without what differs between sender and receiver: ids, timestamps, references, actors, plan unit, tenant names. */
const normalise = (xml: string) =>
  xml
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'TS')
    .replace(/<xdomea:Kennzeichen>[^<]*</g, '<xdomea:Kennzeichen>REF<')
    .replace(/<xdomea:(Ersteller|Akteur)>[^<]*</g, '<xdomea:$1>ACTOR<')
    .replace(/<xdomea:Inhaltsangabe>[^<]*</g, '<xdomea:Inhaltsangabe>UNIT<')
    .replace(/EN-Akte [a-z-]+/g, 'EN-Akte TENANT');

describe('XDOMEA 0401 Abgabe: export, import into another tenant, export again', () => {
  for (const version of XDOMEA_VERSIONS) {
    it(`${version}: the container holds a valid message and every version; the round trip keeps the message and the content hashes`, async () => {
      const { res, zip } = await exportZip(TOWN, fileId, version);
      expect(res.headers['content-type']).toBe('application/zip');
      const first = await unpack(zip);
      const nameRule = version === '3.0.0' ? /^[0-9a-f-]{36}_Abgabe\.Abgabe\.0401\.xml$/ : /^[0-9a-f-]{36}_0401_1\.xml$/;
      expect(first.xmlName).toMatch(nameRule);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${first.xmlName.replace(/\.xml$/, '.zip')}"`);
      expect(first.names[0]).toBe(first.xmlName);
      const doc = parseUntrusted(Buffer.from(first.xml), 10_000_000);
      try {
        expect(schemaErrors(doc, version)).toEqual([]);
        const records = readRecords(doc.root);
        expect(records.files).toHaveLength(1);
        expect(records.files[0]!.cases.map((c) => [c.title, c.documents.map((d) => [d.title, d.versions.map((v) => v.originalName)])])).toEqual([
          ['Antrag', [['Antrag', ['antrag.pdf']]]],
          ['Befunde & Gutachten', [['Befundbericht', ['befund.txt', 'befund.txt']], ['Notiz', ['notiz.bin']]]],
        ]);
        expect(records.files[0]!.confidentiality).toBe('003');
      } finally {
        doc.dispose();
      }
      // Every version as <uuid>.<ext>, its bytes unchanged.
      expect(Object.keys(first.files).map((n) => n.replace(/^[0-9a-f-]{36}/, 'UUID'))).toEqual(['UUID.pdf', 'UUID.txt', 'UUID.txt', 'UUID.bin']);
      expect(Object.values(first.files).map(sha)).toEqual(sent.map((s) => sha(s.content)));

      const imported = await importZip(KREIS, zip);
      expect(imported.statusCode, imported.body).toBe(201);
      const result = imported.json();
      expect(result).toEqual({ fileId: result.fileId, reference: result.reference, cases: 2, documents: 3, versions: 4, version, processId: expect.any(String), sender: 'EN-Akte wetter' });
      const town = (await recordFactories(t, TOWN).clerk.get(`/files/${fileId}`)).json();
      const kreis = (await recordFactories(t, KREIS).clerk.get(`/files/${result.fileId}`)).json();
      expect(kreis).toMatchObject({ title: town.title, confidentiality: '003', planCode: kreisCode, status: 'open' });
      expect(kreis.reference).not.toBe(town.reference);

      const again = await unpack((await exportZip(KREIS, result.fileId, version)).zip);
      expect(normalise(again.xml).split('\n')).toEqual(normalise(first.xml).split('\n'));
      expect(Object.values(again.files).map(sha)).toEqual(Object.values(first.files).map(sha));

      const history = (await t.injectAs(KREIS, ['auditor'], { method: 'GET', url: `/v1/tenants/${KREIS}/audit/objects/${result.fileId}` })).json();
      expect(history.items.map((e: { action: string }) => e.action)).toContain('xdomea.imported');
      const imp = history.items.find((e: { action: string }) => e.action === 'xdomea.imported');
      expect(imp.newValues).toMatchObject({ messageType: '0401', version, sender: 'EN-Akte wetter', sourceFile: fileId, sourceReference: town.reference });
    });
  }
});

describe('XDOMEA 0401 Abgabe: hostile containers are refused with nothing written', () => {
  let base: Awaited<ReturnType<typeof unpack>>;
  beforeAll(async () => {
    base = await unpack((await exportZip(TOWN, fileId, '4.0.0')).zip);
  });

  const refused = async (body: Buffer, code: string, detail: string | RegExp, status = 422) => {
    const before = await kreisState();
    const res = await importZip(KREIS, body);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json().code).toBe(code);
    if (typeof detail === 'string') expect(res.json().detail).toBe(detail);
    else expect(res.json().detail).toMatch(detail);
    expect(await kreisState()).toEqual(before);
    return res.json();
  };

  it('a primary file missing', async () => {
    const [missing] = Object.keys(base.files);
    const rest = Object.fromEntries(Object.entries(base.files).filter(([n]) => n !== missing));
    await refused(await rezip({ [base.xmlName]: Buffer.from(base.xml), ...rest }), 'container-rejected', `The primary file ${missing} the message names is not in the container`);
  });

  it('a primary file altered (its SHA-256 differs from the message), even as the last one', async () => {
    const names = Object.keys(base.files);
    const last = names.at(-1)!;
    await refused(await rezip({ [base.xmlName]: Buffer.from(base.xml), ...base.files, [last]: Buffer.from('verändert') }), 'container-rejected', `The primary file ${last} does not match the SHA-256 the message states`);
  });

  it('entry names with .. or absolute paths, and a ZIP bomb', async () => {
    const dots = await rezip({ [base.xmlName]: Buffer.from(base.xml), ...base.files });
    // yazl refuses such names, so the name is patched into the archive (same length, both headers).
    const evilName = '../' + base.xmlName.slice(3);
    const patched = Buffer.from(dots.toString('latin1').split(base.xmlName).join(evilName), 'latin1');
    await refused(patched, 'container-rejected', `Entry ${JSON.stringify(evilName)} leaves the container (..)`);
    const abs = Buffer.from(dots.toString('latin1').split(base.xmlName).join('/' + base.xmlName.slice(1)), 'latin1');
    await refused(abs, 'container-rejected', /has an absolute path$/);
    const bomb = await rezip({ [base.xmlName]: Buffer.from(base.xml), 'zeros.bin': Buffer.alloc(50 * 1024 * 1024) });
    await refused(bomb, 'container-rejected', 'Entry zeros.bin expands more than 200-fold (a ZIP bomb?)');
  });

  it('a message with a DTD, or invalid against its schema (with the schema errors)', async () => {
    const dtd = base.xml.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>');
    await refused(await rezip({ [base.xmlName]: Buffer.from(dtd), ...base.files }), 'message-invalid', 'The message contains a document type declaration (DTD); DTDs are refused (no entities, no external references)');
    const invalid = base.xml.replace(/<xdomea:Nummer>1<\/xdomea:Nummer>/, '');
    const body = await refused(await rezip({ [base.xmlName]: Buffer.from(invalid), ...base.files }), 'message-invalid', 'The message is not valid against the XDOMEA 4.0.0 schema');
    expect(body.schemaErrors[0]).toEqual({ line: expect.any(Number), message: expect.stringMatching(/Format.*not expected.*Nummer/s) });
  });

  it('not a ZIP, no message in it, a clerk, a plan unit that does not exist', async () => {
    await refused(Buffer.from('PK\u0003\u0004 but nothing after'), 'container-rejected', /^The container is not a readable ZIP/);
    await refused(await rezip({ 'readme.txt': Buffer.from('x') }), 'container-rejected', 'The container holds no XDOMEA message (.xml at its top level)');
    const zip = await rezip({ [base.xmlName]: Buffer.from(base.xml), ...base.files });
    const clerk = await importZip(KREIS, zip, ['clerk']);
    expect(clerk.statusCode).toBe(403);
    const before = await kreisState();
    const noUnit = await importZip(KREIS, zip, ['records-manager'], 'ZZ99');
    expect(noUnit.json()).toEqual(problem('unprocessable', 'The file-plan unit does not exist', `/v1/tenants/${KREIS}/xdomea/abgabe`));
    expect(await kreisState()).toEqual(before);
  });
});
