import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImportConfirmation } from '../../src/modules/xdomea/messages/handover.js';
import { parseUntrusted } from '../../src/modules/xdomea/xml/safe.js';
import { schemaErrors, XDOMEA_VERSIONS, type XdomeaVersion } from '../../src/modules/xdomea/xml/validate.js';
import { bufferSource, openSafeZip, readEntry } from '../../src/modules/xdomea/zip/safe-zip.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * In-service hand-over (Abgabe 0401/0402): a town refers a Schwerbehindertenausweis file to the
 * en-kreis tenant (the seed's case). The Kreis accepts it under its own plan unit (a new file with
 * its own reference, the same content), answers 0402, and the town's file is closed with a note;
 * or the Kreis refuses it. A third tenant never sees the hand-over. Own database and buckets.
 */
let t: TestApp;
let owner: pg.Client;
const TOWN = 'wetter';
const KREIS = 'en-kreis';
const THIRD = 'witten';
let townCode = '';
let kreisCode = '';
const sent = [
  { name: 'antrag.pdf', content: Buffer.from('%PDF-1.7 Antrag auf Feststellung der Schwerbehinderung'), type: 'application/pdf' },
  { name: 'befund.txt', content: Buffer.from('Befundbericht, Fassung 1'), type: 'text/plain' },
  { name: 'befund.txt', content: Buffer.from('Befundbericht, Fassung 2 (ergänzt)'), type: 'text/plain' },
];

const town = () => recordFactories(t, TOWN);
const kreis = () => recordFactories(t, KREIS);
const third = () => recordFactories(t, THIRD);

/** A town file with two cases, two documents and three versions. */
async function townFile(title: string) {
  const f = town();
  const file = await f.file({ planCode: townCode, title, leadOrgUnit: 'FB 50 Soziales' });
  const antrag = await f.kase(file.id, { title: 'Antrag' });
  const befunde = await f.kase(file.id, { title: 'Befunde' });
  const d1 = await f.document(antrag.id, { title: 'Antrag' });
  const d2 = await f.document(befunde.id, { title: 'Befundbericht' });
  const put = async (docId: string, s: (typeof sent)[number], etag: string) => {
    const res = await f.upload(f.clerk, docId, s.content, etag, { 'content-type': s.type }, `?filename=${encodeURIComponent(s.name)}`);
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.headers['document-etag'] as string;
  };
  await put(d1.id, sent[0]!, d1.etag);
  await put(d2.id, sent[2]!, await put(d2.id, sent[1]!, d2.etag));
  return file.id as string;
}

/** Case titles, document titles and the SHA-256 of every version of a file, through the API. */
async function contents(tenant: string, fileId: string) {
  const f = recordFactories(t, tenant);
  const out: [string, [string, string[]][]][] = [];
  for (const c of (await f.manager.get(`/files/${fileId}/cases`)).json().items) {
    const docs: [string, string[]][] = [];
    for (const d of (await f.manager.get(`/cases/${c.id}/documents`)).json().items) {
      docs.push([d.title, (await f.manager.get(`/documents/${d.id}/versions`)).json().items.map((v: { sha256: string }) => v.sha256)]);
    }
    out.push([c.title, docs]);
  }
  return out;
}

async function kreisState() {
  const q = async (sql: string) => Number((await owner.query(sql, [KREIS])).rows[0].n);
  const objects: string[] = [];
  for await (const o of t.deps.storage.list(KREIS)) objects.push(o.key);
  return {
    files: await q('SELECT count(*) AS n FROM record_file f JOIN tenant t ON t.id = f.tenant_id WHERE t.slug = $1'),
    versions: await q('SELECT count(*) AS n FROM document_version v JOIN tenant t ON t.id = v.tenant_id WHERE t.slug = $1'),
    audit: await q('SELECT count(*) AS n FROM audit_event a JOIN tenant t ON t.id = a.tenant_id WHERE t.slug = $1'),
    objects: objects.length,
  };
}

const start = (fileId: string, body: Record<string, unknown>, roles = ['records-manager']) => town().as(roles).post(`/files/${fileId}/xdomea/handovers`, body);
const accept = (tenant: string, id: string, planCode: string, roles = ['records-manager']) =>
  recordFactories(t, tenant).as(roles).post(`/xdomea/handovers/${id}/accept`, { planCode });
const audit = async (tenant: string, objectId: string) =>
  (await t.injectAs(tenant, ['auditor'], { method: 'GET', url: `/v1/tenants/${tenant}/audit/objects/${objectId}?limit=200` })).json().items as { action: string; newValues: Record<string, unknown> }[];

/** The message of a 0401 export, without what differs between sender and receiver. */
async function exportedMessage(tenant: string, fileId: string, version: XdomeaVersion) {
  const res = await t.injectAs(tenant, ['records-manager'], { method: 'GET', url: `/v1/tenants/${tenant}/files/${fileId}/xdomea/abgabe?version=${version}&recipient=Empf` });
  expect(res.statusCode, res.body).toBe(200);
  const zip = await openSafeZip(bufferSource(res.rawPayload));
  try {
    const name = zip.entries.find((e) => e.name.endsWith('.xml'))!.name;
    const xml = (await readEntry(zip, name, 10_000_000)).toString('utf8');
    const hashes = [];
    for (const e of zip.entries) if (e.name !== name) hashes.push(createHash('sha256').update(await readEntry(zip, e.name, 10_000_000)).digest('hex'));
    return {
      xml: xml
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'TS')
        .replace(/<xdomea:Kennzeichen>[^<]*</g, '<xdomea:Kennzeichen>REF<')
        .replace(/<xdomea:(Ersteller|Akteur)>[^<]*</g, '<xdomea:$1>ACTOR<')
        .replace(/<xdomea:Inhaltsangabe>[^<]*</g, '<xdomea:Inhaltsangabe>UNIT<')
        .replace(/EN-Akte [a-z-]+/g, 'EN-Akte TENANT'),
      sha256: hashes,
    };
  } finally {
    zip.close();
  }
}

/** Rows of xdomea_handover the API role sees with `tenant` set (row-level security, no app filter). */
async function visibleRows(tenant: string): Promise<string[]> {
  const id = (await owner.query('SELECT id FROM tenant WHERE slug = $1', [tenant])).rows[0].id as string;
  return t.deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.tenant_id', ${id}, true)`;
    return (await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM xdomea_handover ORDER BY id`).map((r) => r.id);
  });
}

beforeAll(async () => {
  const db = await isolatedDatabase('xdomea_handover');
  t = await buildTestApp({ ...db.env, S3_BUCKET_PREFIX: 'en-akte-xdhandover-' });
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  townCode = (await town().unit({ title: 'Schwerbehindertenrecht' })).code;
  kreisCode = (await kreis().unit({ title: 'Schwerbehindertenangelegenheiten' })).code;
});
afterAll(async () => {
  await owner?.end();
  await t?.close();
});

describe('XDOMEA in-service hand-over town → en-kreis', () => {
  for (const version of XDOMEA_VERSIONS) {
    it(`${version}: accepted under a Kreis plan unit: a new file with its own reference and the same content, 0402 valid, the town file closed with a note, audit on both sides`, async () => {
      const fileId = await townFile(`Schwerbehindertenausweis ${version}`);
      const townFileBefore = (await town().manager.get(`/files/${fileId}`)).json();
      const exported = await exportedMessage(TOWN, fileId, version);
      const townContents = await contents(TOWN, fileId);

      const started = await start(fileId, { recipient: KREIS, version, note: 'Zuständigkeit des Kreises (SGB IX)' });
      expect(started.statusCode, started.body).toBe(201);
      const h = started.json();
      expect(h).toMatchObject({ state: 'offered', direction: 'outgoing', sender: TOWN, recipient: KREIS, fileId, fileReference: townFileBefore.reference, version, note: 'Zuständigkeit des Kreises (SGB IX)', recipientFileId: null });

      // The Kreis sees it as incoming; a third tenant sees nothing, not even through the database.
      const incoming = (await kreis().manager.get('/xdomea/handovers?direction=incoming&state=offered')).json();
      expect(incoming.items.map((x: { id: string }) => x.id)).toContain(h.id);
      expect(incoming.items.find((x: { id: string }) => x.id === h.id)).toMatchObject({ direction: 'incoming', sender: TOWN, fileTitle: `Schwerbehindertenausweis ${version}` });
      for (const url of [`/xdomea/handovers/${h.id}`, `/xdomea/handovers/${h.id}/import-confirmation`]) {
        const res = await third().manager.get(url);
        expect(res.json()).toEqual(problem('not-found', 'No such hand-over', `/v1/tenants/${THIRD}${url}`));
      }
      for (const direction of ['incoming', 'outgoing']) expect((await third().manager.get(`/xdomea/handovers?direction=${direction}`)).json()).toEqual({ items: [], next: null });
      expect(await visibleRows(THIRD)).toEqual([]);
      expect(await visibleRows(KREIS)).toContain(h.id);
      expect(await visibleRows(TOWN)).toContain(h.id);
      const thirdAccept = await accept(THIRD, h.id, kreisCode);
      expect(thirdAccept.statusCode).toBe(404);

      // Not the sender, not a clerk; the 0402 does not exist before the decision.
      expect((await accept(TOWN, h.id, townCode)).statusCode).toBe(403);
      expect((await accept(KREIS, h.id, kreisCode, ['clerk'])).statusCode).toBe(403);
      expect((await kreis().manager.get(`/xdomea/handovers/${h.id}/import-confirmation`)).statusCode).toBe(409);

      // An unknown plan unit: 422, nothing written at the Kreis, the hand-over still offered.
      const before = await kreisState();
      const unknown = await accept(KREIS, h.id, 'ZZ99');
      expect(unknown.json()).toEqual(problem('unprocessable', 'The file-plan unit does not exist', `/v1/tenants/${KREIS}/xdomea/handovers/${h.id}/accept`));
      expect(await kreisState()).toEqual(before);
      expect((await kreis().manager.get(`/xdomea/handovers/${h.id}`)).json().state).toBe('offered');

      const accepted = await accept(KREIS, h.id, kreisCode);
      expect(accepted.statusCode, accepted.body).toBe(200);
      const done = accepted.json();
      expect(done).toMatchObject({ id: h.id, state: 'completed', direction: 'incoming', recipientFileId: expect.any(String), recipientReference: expect.any(String), replyMessageId: expect.any(String), completedAt: expect.any(String) });
      expect(done.recipientReference).not.toBe(townFileBefore.reference);
      expect((await accept(KREIS, h.id, kreisCode)).json()).toEqual(problem('conflict', 'The hand-over is completed already', `/v1/tenants/${KREIS}/xdomea/handovers/${h.id}/accept`));

      // The Kreis file: its own reference under its own unit, the same cases, documents and content hashes.
      const kreisFile = (await kreis().manager.get(`/files/${done.recipientFileId}`)).json();
      expect(kreisFile).toMatchObject({ reference: done.recipientReference, planCode: kreisCode, title: townFileBefore.title, status: 'open', leadOrgUnit: 'FB 50 Soziales' });
      expect(await contents(KREIS, done.recipientFileId)).toEqual(townContents);

      // The town file: closed, with the note of the hand-over.
      const townAfter = (await town().manager.get(`/files/${fileId}`)).json();
      expect(townAfter.status).toBe('closed');
      expect(townAfter.description).toContain(`Abgegeben an ${KREIS} am `);
      expect(townAfter.description).toContain(`dort ${done.recipientReference}. Zuständigkeit des Kreises (SGB IX)`);
      expect((await town().manager.get(`/xdomea/handovers/${h.id}`)).json()).toMatchObject({ state: 'completed', direction: 'outgoing', recipientReference: done.recipientReference });

      // Audit on both sides, each naming the other tenant, the file and the message ids.
      const townTrail = await audit(TOWN, fileId);
      expect(townTrail.map((e) => e.action)).toEqual(expect.arrayContaining(['xdomea.handover-started', 'file.updated', 'file.closed', 'xdomea.handed-over']));
      expect(townTrail.find((e) => e.action === 'xdomea.handover-started')!.newValues).toMatchObject({ handoverId: h.id, recipient: KREIS, messageType: '0401', version, messageId: h.messageId, processId: h.processId });
      expect(townTrail.find((e) => e.action === 'xdomea.handed-over')!.newValues).toMatchObject({ recipient: KREIS, recipientFileId: done.recipientFileId, recipientReference: done.recipientReference, messageId: h.messageId, replyMessageId: done.replyMessageId });
      const kreisTrail = await audit(KREIS, done.recipientFileId);
      expect(kreisTrail.find((e) => e.action === 'xdomea.handover-accepted')!.newValues).toMatchObject({ handoverId: h.id, sender: TOWN, sourceFile: fileId, sourceReference: townFileBefore.reference, messageId: h.messageId, replyMessageType: '0402', replyMessageId: done.replyMessageId });
      expect(kreisTrail.find((e) => e.action === 'xdomea.imported')!.newValues).toMatchObject({ messageType: '0401', version, sender: `EN-Akte ${TOWN}`, sourceFile: fileId });
      expect((await audit(KREIS, h.id)).map((e) => [e.action, e.newValues.sender, e.newValues.sourceFile, e.newValues.messageId])).toEqual([['xdomea.handover-received', TOWN, fileId, h.messageId]]);
      // The events went to the outbox with their changes.
      const events = (await owner.query(`SELECT type FROM outbox_event WHERE subject_id = $1 ORDER BY audit_seq`, [fileId])).rows.map((r) => r.type);
      expect(events).toEqual(['file.created', 'file.handover-offered', 'file.updated', 'file.closed', 'file.handed-over']);

      // The 0402, the same for both parties, valid against the schema of its version.
      const confirmation = await kreis().manager.get(`/xdomea/handovers/${h.id}/import-confirmation`);
      expect(confirmation.statusCode).toBe(200);
      expect(confirmation.headers['content-type']).toBe('application/xml; charset=utf-8');
      expect(confirmation.headers['content-disposition']).toBe(`attachment; filename="${h.processId}_${version === '3.0.0' ? 'Abgabe.ImportBestaetigen.0402' : '0402_1'}.xml"`);
      expect((await town().manager.get(`/xdomea/handovers/${h.id}/import-confirmation`)).body).toBe(confirmation.body);
      const doc = parseUntrusted(Buffer.from(confirmation.body), 1_000_000);
      try {
        expect(schemaErrors(doc, version)).toEqual([]);
        expect(doc.root.name).toBe('Abgabe.ImportBestaetigen.0402');
        expect(readImportConfirmation(doc.root, version)).toEqual({ originMessageId: version === '4.0.0' ? h.messageId : null, ok: true, objects: [{ objectId: fileId, ok: true, errors: [] }] });
      } finally {
        doc.dispose();
      }

      // The staged container is gone; the round trip: the Kreis exports the same message.
      const staged: string[] = [];
      for await (const o of t.deps.storage.list(TOWN)) if (o.key.startsWith('xdomea/')) staged.push(o.key);
      expect(staged).toEqual([]);
      expect(await exportedMessage(KREIS, done.recipientFileId, version)).toEqual(exported);
    });
  }

  it('refused: a 0402 without success and the reason; the town file stays open and can be handed over again', async () => {
    const fileId = await townFile('Schwerbehindertenausweis abgelehnt');
    const h = (await start(fileId, { recipient: KREIS })).json();
    expect(h.version).toBe('3.0.0');
    expect((await start(fileId, { recipient: KREIS })).json()).toEqual(problem('conflict', 'The file has an open hand-over already', `/v1/tenants/${TOWN}/files/${fileId}/xdomea/handovers`));
    expect((await third().manager.post(`/xdomea/handovers/${h.id}/refuse`, { reason: 'x' })).statusCode).toBe(404);
    const before = await kreisState();
    const refused = await kreis().manager.post(`/xdomea/handovers/${h.id}/refuse`, { reason: 'Nicht zuständig: Wohnsitz außerhalb des Kreises' });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json()).toMatchObject({ state: 'refused', reason: 'Nicht zuständig: Wohnsitz außerhalb des Kreises', recipientFileId: null, replyMessageId: expect.any(String) });
    expect((await kreisState()).files).toBe(before.files);
    expect((await accept(KREIS, h.id, kreisCode)).statusCode).toBe(409);
    const xml = (await town().manager.get(`/xdomea/handovers/${h.id}/import-confirmation`)).body;
    const doc = parseUntrusted(Buffer.from(xml), 1_000_000);
    try {
      expect(schemaErrors(doc, '3.0.0')).toEqual([]);
      expect(readImportConfirmation(doc.root, '3.0.0')).toEqual({ originMessageId: null, ok: false, objects: [{ objectId: fileId, ok: false, errors: ['Nicht zuständig: Wohnsitz außerhalb des Kreises'] }] });
    } finally {
      doc.dispose();
    }
    expect((await town().manager.get(`/files/${fileId}`)).json().status).toBe('open');
    expect((await audit(TOWN, fileId)).find((e) => e.action === 'xdomea.handover-refused')!.newValues).toMatchObject({ handoverId: h.id, recipient: KREIS, messageId: h.messageId, reason: 'Nicht zuständig: Wohnsitz außerhalb des Kreises' });
    expect((await audit(KREIS, h.id)).map((e) => e.action)).toEqual(['xdomea.handover-received', 'xdomea.handover-refused']);
    expect((await start(fileId, { recipient: KREIS, version: '4.0.0' })).statusCode).toBe(201);
  });

  it('refuses a hand-over to the own tenant, to an unknown tenant, of a closed file, and by a clerk', async () => {
    const fileId = await townFile('Nicht abzugeben');
    const url = `/v1/tenants/${TOWN}/files/${fileId}/xdomea/handovers`;
    expect((await start(fileId, { recipient: TOWN })).json()).toEqual(problem('unprocessable', 'A file is handed over to another tenant, not to its own', url));
    expect((await start(fileId, { recipient: 'gibt-es-nicht' })).json()).toEqual(problem('unprocessable', 'There is no active tenant gibt-es-nicht to hand the file over to', url));
    expect((await start(fileId, { recipient: KREIS }, ['clerk'])).statusCode).toBe(403);
    await town().closeFile(fileId, { closeOpenCases: true });
    expect((await start(fileId, { recipient: KREIS })).json()).toEqual(problem('object-closed', 'The file is closed; reopen it first', url));
    expect((await town().manager.get('/xdomea/handovers?direction=outgoing')).json().items.filter((x: { fileId: string }) => x.fileId === fileId)).toEqual([]);
  });
});
