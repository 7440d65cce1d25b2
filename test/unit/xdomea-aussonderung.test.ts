import { describe, expect, it } from 'vitest';
import {
  anbieteverzeichnisMessage, aussonderungMessage, bewertungsverzeichnisMessage, importConfirmationMessage, originOf, readEvaluations,
  readImportConfirmation, receiptMessage, type AussonderungFile,
} from '../../src/modules/xdomea/messages/aussonderung.js';
import { readHead } from '../../src/modules/xdomea/messages/header.js';
import { primaryFiles, readRecords } from '../../src/modules/xdomea/messages/records.js';
import { parseUntrusted } from '../../src/modules/xdomea/xml/safe.js';
import { schemaErrors, XDOMEA_VERSIONS, type XdomeaVersion } from '../../src/modules/xdomea/xml/validate.js';
import { serialize, type XmlElementNode } from '../../src/modules/xdomea/xml/writer.js';

const file: AussonderungFile = {
  id: '0193b0a4-0000-7000-8000-0000000000a1', title: 'Bauantrag Hauptstraße 1', reference: '63.10-0001/2010', planCode: '63.10', planTitle: 'Baugenehmigungen',
  confidentiality: '003', leadOrgUnit: 'FB 63', description: null, createdAt: '2010-03-01T09:00:00.000Z', closedOn: '2010-12-20',
  history: [
    { actor: 'sb@wetter', at: '2010-03-01T09:00:00.123Z', action: 'file.created' },
    { actor: 'rm@wetter', at: '2026-01-02T10:00:00.000Z', action: 'file.offered' },
  ],
  retention: { retentionYears: 10, disposal: 'A', retentionEndsOn: '2020-12-31' },
  cases: [{
    id: '0193b0a4-0000-7000-8000-0000000000b1', title: 'Antrag', reference: '63.10-0001/2010-1', confidentiality: '003', createdAt: '2010-03-01T09:05:00.000Z', closedOn: '2010-12-20',
    documents: [{
      id: '0193b0a4-0000-7000-8000-0000000000c1', title: 'Bauzeichnung',
      versions: [
        { number: 1, filename: '0193b0a4-0000-7000-8000-0000000000d1.pdf', originalName: 'plan.pdf', mediaType: 'application/pdf', sha256: 'a'.repeat(64), size: 10, createdAt: '2010-03-01T09:06:00.000Z', createdBy: 'sb@wetter' },
        { number: 2, filename: '0193b0a4-0000-7000-8000-0000000000d2.txt', originalName: 'notiz.txt', mediaType: 'text/plain', sha256: 'b'.repeat(64), size: 3, createdAt: '2010-04-01T09:06:00.000Z', createdBy: 'sb@wetter' },
      ],
    }],
  }],
};
const head = (version: XdomeaVersion) => ({
  version, processId: '0193b0a4-0000-7000-8000-000000000001', messageId: '0193b0a4-0000-7000-8000-000000000002', createdAt: new Date('2026-12-01T10:00:00Z'),
  sender: { institution: 'EN-Akte wetter' }, recipient: { institution: 'Landesarchiv NRW' },
});
const ORIGIN = '0193b0a4-0000-7000-8000-000000000003';

function parsed<T>(root: XmlElementNode, v: XdomeaVersion, read: (doc: ReturnType<typeof parseUntrusted>) => T): T {
  const doc = parseUntrusted(Buffer.from(serialize(root)), 10_000_000);
  try {
    expect(schemaErrors(doc, v)).toEqual([]);
    expect(doc.root.name).toBe(root.name.replace(/^xdomea:/, ''));
    return read(doc);
  } finally {
    doc.dispose();
  }
}

describe('XDOMEA Aussonderung: every message type validates against its version\'s schema and reads back', () => {
  for (const v of XDOMEA_VERSIONS) {
    it(`0501 Anbieteverzeichnis in ${v}: the file with its metadata and retention, no primary files`, () => {
      const out = parsed(anbieteverzeichnisMessage(head(v), [file]), v, (doc) => ({ head: readHead(doc.root, v), records: readRecords(doc.root), xml: doc.toString() }));
      expect(out.head).toMatchObject({ code: '0501', processId: head(v).processId, sender: 'EN-Akte wetter', recipient: 'Landesarchiv NRW' });
      expect(out.records.files.map((f) => [f.id, f.reference, f.context, f.cases.length])).toEqual([[file.id, file.reference, false, 1]]);
      expect(primaryFiles(out.records)).toEqual([]);
      expect(out.xml).toContain('<xdomea:AnzahlJahre>10</xdomea:AnzahlJahre>');
      expect(out.xml).toContain('<xdomea:Aufbewahrungsende>2020-12-31</xdomea:Aufbewahrungsende>');
    });

    it(`0502 Bewertungsverzeichnis in ${v}: decisions per file read back`, () => {
      const out = parsed(bewertungsverzeichnisMessage(head(v), ORIGIN, [{ id: file.id, decision: 'A' }, { id: '0193b0a4-0000-7000-8000-0000000000a2', decision: 'V' }]), v,
        (doc) => ({ evaluations: readEvaluations(doc.root, v).map(({ line: _l, ...e }) => e), origin: originOf(doc.root) }));
      expect(out.evaluations).toEqual([
        { id: file.id, code: 'A', configurable: null },
        { id: '0193b0a4-0000-7000-8000-0000000000a2', code: 'V', configurable: null },
      ]);
      expect(out.origin).toBe(v === '4.0.0' ? ORIGIN : null);
    });

    it(`0503 Aussonderung in ${v}: versions, formats, history and retention; primary files named <uuid>.<ext>`, () => {
      const out = parsed(aussonderungMessage(head(v), [file]), v, (doc) => ({ records: readRecords(doc.root), xml: doc.toString() }));
      expect(primaryFiles(out.records).map((p) => [p.filename, p.originalName, p.formatCode, p.sha256])).toEqual([
        ['0193b0a4-0000-7000-8000-0000000000d1.pdf', 'plan.pdf', '018', v === '4.0.0' ? 'a'.repeat(64) : null],
        ['0193b0a4-0000-7000-8000-0000000000d2.txt', 'notiz.txt', '045', v === '4.0.0' ? 'b'.repeat(64) : null],
      ]);
      expect(out.xml.match(/<xdomea:HistorienProtokollInformation>/g)).toHaveLength(2);
      expect(out.xml).toContain('<xdomea:Aktion>file.offered</xdomea:Aktion>');
      expect(out.xml).toContain(v === '3.0.0' ? '<xdomea:ArchivspezifischeMetadaten>' : '<xdomea:Aussonderungsmetadaten>');
    });

    for (const code of ['0504', '0505', '0507'] as const) {
      it(`${code} receipt in ${v}`, () => {
        const out = parsed(receiptMessage(head(v), code, ORIGIN), v, (doc) => ({ head: readHead(doc.root, v), origin: originOf(doc.root) }));
        expect(out.head.code).toBe(code);
        expect(out.origin).toBe(v === '4.0.0' ? ORIGIN : null);
      });
    }

    it(`0506 AussonderungImportBestaetigen in ${v}: archived with reference, or errors`, () => {
      const outcomes = [
        { id: file.id, ok: true, archiveReference: 'LAV NRW R, BR 1234 Nr. 5', errors: [] },
        { id: '0193b0a4-0000-7000-8000-0000000000a2', ok: false, archiveReference: null, errors: ['Primärdatei fehlt', 'Prüfsumme falsch'] },
      ];
      const out = parsed(importConfirmationMessage(head(v), ORIGIN, outcomes), v, (doc) => readImportConfirmation(doc.root, v));
      expect(out).toEqual(outcomes);
    });
  }
});
