import { type Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { parseUntrusted } from '../../src/modules/xdomea/xml/safe.js';
import { schemaErrors } from '../../src/modules/xdomea/xml/validate.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * File plans in and out as XDOMEA Aktenplan.Aktenplan.0301, in 3.0.0 and 4.0.0. Its own database:
 * the tests compare whole plans, which no other test file may add units to meanwhile.
 */
let t: TestApp;
let owner: pg.Client;
beforeAll(async () => {
  const db = await isolatedDatabase('xdomea_plan');
  t = await buildTestApp(db.env);
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

const PLAN = [
  { code: '32', title: 'Ordnung & Sicherheit', retentionYears: null, disposal: 'A', validFrom: '2020-01-01' },
  { code: '32.10', title: 'Gewerbe <Anmeldungen>', retentionYears: 10, disposal: 'B' },
  { code: '32.10.05', title: 'Gewerbeanmeldungen', retentionYears: 5, disposal: 'V', validUntil: '2030-12-31' },
  { code: '50', title: 'Soziales', retentionYears: 30, disposal: 'B' },
  { code: '50.20', title: 'Schwerbehindertenrecht', retentionYears: 10, disposal: 'A' },
];

const unitsOf = async (tenant: string) => {
  const res = await recordFactories(t, tenant).manager.get('/file-plan/units?limit=100');
  expect(res.statusCode).toBe(200);
  return (res.json().items as Record<string, unknown>[])
    .map((u) => ({ code: u.code, title: u.title, retentionYears: u.retentionYears, disposal: u.disposal, validFrom: u.validFrom, validUntil: u.validUntil, retired: u.retired }))
    .sort((a, b) => String(a.code).localeCompare(String(b.code)));
};
const unitCount = async (tenant: string) =>
  Number((await owner.query('SELECT count(*) FROM file_plan_unit u JOIN tenant t ON t.id = u.tenant_id WHERE t.slug = $1', [tenant])).rows[0].count);

const importXml = (tenant: string, body: Buffer | string, contentType = 'application/xml', roles = ['records-manager']) =>
  recordFactories(t, tenant).as(roles).post('/xdomea/file-plan', body, { 'content-type': contentType });

/** The message without what differs between two exports: ids, timestamps, the sender and the plan's date. */
const normalise = (xml: string) =>
  xml
    .replace(/<(xdomea:ProzessID|nachrichtenUUID)>[^<]*</g, '<$1>ID<')
    .replace(/<(xdomea:Erstellungszeitpunkt|erstellungszeitpunkt)>[^<]*</g, '<$1>TS<')
    .replace(/EN-Akte [a-z-]+/g, 'EN-Akte TENANT')
    .replace(/<xdomea:Version>[^<]*</, '<xdomea:Version>DATE<');

describe('XDOMEA 0301: file plans out and in', () => {
  it('exports a plan in 3.0.0 (default) and 4.0.0, valid against the official schemas', async () => {
    const m = recordFactories(t, 'wetter').manager;
    expect((await m.post('/file-plan/import', { units: PLAN })).statusCode).toBe(201);
    const u = (await m.get('/file-plan/units?limit=100')).json().items.find((x: { code: string }) => x.code === '50.20');
    const etag = (await m.get(`/file-plan/units/${u.id}`)).headers.etag as string;
    expect((await m.post(`/file-plan/units/${u.id}/retire`, undefined, { 'if-match': etag })).statusCode).toBe(200);

    for (const [query, version] of [['', '3.0.0'], ['?version=4.0.0&recipient=Kreisarchiv', '4.0.0']] as const) {
      const res = await recordFactories(t, 'wetter').as(['reader']).get(`/xdomea/file-plan${query}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[0-9a-f-]{36}_Aktenplan\.Aktenplan\.0301\.xml"$/);
      const doc = parseUntrusted(Buffer.from(res.body), 10_000_000);
      try {
        expect(doc.root.namespaceUri).toBe(`urn:xoev-de:xdomea:schema:${version}`);
        expect(doc.root.name).toBe('Aktenplan.Aktenplan.0301');
        expect(schemaErrors(doc, version)).toEqual([]);
      } finally {
        doc.dispose();
      }
      expect(res.body).toContain('<xdomea:Inhaltsangabe>Gewerbe &lt;Anmeldungen&gt;</xdomea:Inhaltsangabe>');
      if (version === '4.0.0') expect(res.body).toContain('<xdomea:Name>Kreisarchiv</xdomea:Name>');
    }
  });

  for (const version of ['3.0.0', '4.0.0'] as const) {
    it(`round trip ${version}: export → import into another tenant → export gives the same message but ids and timestamps`, async () => {
      const target = version === '3.0.0' ? 'hattingen' : 'herdecke';
      const first = await recordFactories(t, 'wetter').manager.get(`/xdomea/file-plan?version=${version}`);
      const imported = await importXml(target, first.body);
      expect(imported.statusCode, imported.body).toBe(201);
      expect(imported.json()).toEqual({ created: 5, retired: 1, version, processId: imported.json().processId, sender: 'EN-Akte wetter' });
      expect(await unitsOf(target)).toEqual(await unitsOf('wetter'));
      const again = await recordFactories(t, target).manager.get(`/xdomea/file-plan?version=${version}`);
      expect(normalise(again.body).split('\n')).toEqual(normalise(first.body).split('\n'));
      expect(again.body).not.toBe(first.body);
    });
  }

  it('imports a 0301 sent in a ZIP container', async () => {
    const xml = (await recordFactories(t, 'wetter').manager.get('/xdomea/file-plan')).body;
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from(xml), '0193-aaaa_Aktenplan.Aktenplan.0301.xml');
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream as Readable) chunks.push(c as Buffer);
    const res = await importXml('schwelm', Buffer.concat(chunks), 'application/zip');
    expect(res.statusCode, res.body).toBe(201);
    expect(await unitsOf('schwelm')).toEqual(await unitsOf('wetter'));
  });

  it('refuses an invalid message with the schema errors (line, message), and imports nothing', async () => {
    const xml = (await recordFactories(t, 'wetter').manager.get('/xdomea/file-plan')).body;
    const broken = xml.replace(/<xdomea:Stillgelegt>0<\/xdomea:Stillgelegt>/, '');
    const line = xml.split('\n').findIndex((l) => l.includes('<xdomea:Stillgelegt>0</xdomea:Stillgelegt>')) + 1;
    const before = await unitCount('gevelsberg');
    const res = await importXml('gevelsberg', broken);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const body = res.json();
    expect(body).toEqual({ ...problem('message-invalid', 'The message is not valid against the XDOMEA 3.0.0 schema', '/v1/tenants/gevelsberg/xdomea/file-plan'), requestId: body.requestId, schemaErrors: body.schemaErrors });
    expect(body.schemaErrors[0].line).toBe(line + 1);
    expect(body.schemaErrors[0].message).toMatch(/Aufbewahrungsdauer.*Stillgelegt/);
    expect(await unitCount('gevelsberg')).toBe(before);
  });

  it('refuses DTDs, XXE and billion laughs outright, with nothing imported', async () => {
    const before = await unitCount('gevelsberg');
    for (const xml of [
      '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
      '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>',
    ]) {
      const res = await importXml('gevelsberg', xml);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('message-invalid');
      expect(res.json().detail).toBe('The message contains a document type declaration (DTD); DTDs are refused (no entities, no external references)');
    }
    expect(await unitCount('gevelsberg')).toBe(before);
  });

  it('is all or nothing: one unit that exists already, or a code that does not extend its parent, rejects the whole plan', async () => {
    const xml = (await recordFactories(t, 'wetter').manager.get('/xdomea/file-plan')).body;
    const m = recordFactories(t, 'sprockhoevel').manager;
    expect((await m.post('/file-plan/units', { code: '50', title: 'Schon da', retentionYears: 1, disposal: 'V' })).statusCode).toBe(201);
    const clash = await importXml('sprockhoevel', xml);
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'unit-exists', detail: 'Units already exist: 50', codes: ['50'] });
    expect(await unitCount('sprockhoevel')).toBe(1);

    const misplaced = xml.replace('<xdomea:Kennzeichen>32.10.05</xdomea:Kennzeichen>', '<xdomea:Kennzeichen>33.10.05</xdomea:Kennzeichen>');
    const res = await importXml('sprockhoevel', misplaced);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toMatch(/^Unit 33\.10\.05 \(line \d+\) is under 32\.10 but its code does not extend it by one segment$/);
    expect(await unitCount('sprockhoevel')).toBe(1);
  });

  it('refuses other message types, foreign namespaces, empty bodies, JSON, and a reader', async () => {
    const example = (await import('node:fs')).readFileSync(new URL('../fixtures/xdomea/v4.0.0/518c7c31-d1a0-11ef-accb-005056871b7c_0503_1.xml', import.meta.url));
    const other = await importXml('gevelsberg', example);
    expect(other.statusCode).toBe(422);
    expect(other.json().detail).toBe('Expected a message of type Aktenplan.Aktenplan.0301, got Aussonderung.Aussonderung.0503');
    const foreign = await importXml('gevelsberg', '<a xmlns="urn:x"/>');
    expect(foreign.json().detail).toBe('The root element is not in an XDOMEA namespace EN-Akte reads (urn:xoev-de:xdomea:schema:3.0.0 or 4.0.0); it is "urn:x"');
    const empty = await importXml('gevelsberg', '');
    expect(empty.statusCode).toBe(400);
    const json = await importXml('gevelsberg', '{}', 'application/json');
    expect(json.statusCode).toBe(415);
    const reader = await importXml('gevelsberg', '<a/>', 'application/xml', ['reader']);
    expect(reader.statusCode).toBe(403);
  });
});
