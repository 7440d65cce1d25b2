import { el, elA, opt, type XmlContent, type XmlElementNode } from '../xml/writer.js';
import type { XdomeaVersion } from '../xml/validate.js';
import { messageRoot, type HeaderInput } from './header.js';

/**
 * Abgabe.Abgabe.0401 (and the records part every message with Schriftgutobjekte shares): a file
 * with its cases, documents and versions, each version one primary file in the container named
 * `<uuid>.<ext>` (the XDOMEA naming rule: a UUID of its own per file, never the document's).
 */
export interface OutVersion {
  number: number;
  /** Entry name in the container. */
  filename: string;
  originalName: string;
  mediaType: string;
  sha256: string;
  size: number;
  createdAt: string;
  createdBy: string;
}
export interface OutDocument {
  id: string;
  title: string;
  versions: OutVersion[];
}
export interface OutHistory {
  actor: string;
  at: string;
  action: string;
}
export interface OutCase {
  id: string;
  title: string;
  reference: string;
  confidentiality: string;
  createdAt: string;
  closedOn: string | null;
  documents: OutDocument[];
}
export interface OutFile {
  id: string;
  title: string;
  reference: string;
  planCode: string;
  planTitle: string;
  confidentiality: string;
  leadOrgUnit: string | null;
  description: string | null;
  createdAt: string;
  closedOn: string | null;
  history: OutHistory[];
  cases: OutCase[];
}

/** Dateiformat code list (urn:xoev-de:xdomea:codeliste:dateiformat 2.0) by file extension; 100 = Sonstiges. */
const FORMAT_BY_EXT: Record<string, string> = {
  htm: '007', html: '008', jpe: '009', jpeg: '010', jpg: '011', odp: '013', ods: '014', odt: '015', pdf: '018', png: '019',
  rtf: '022', tif: '023', tiff: '024', xml: '030', xsd: '031', docx: '035', xlsx: '036', pptx: '037', txt: '045',
};
const EXT_BY_TYPE: Record<string, string> = {
  'application/pdf': 'pdf', 'text/plain': 'txt', 'text/html': 'html', 'image/jpeg': 'jpg', 'image/png': 'png', 'image/tiff': 'tif',
  'application/xml': 'xml', 'text/xml': 'xml', 'application/rtf': 'rtf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.oasis.opendocument.text': 'odt', 'application/vnd.oasis.opendocument.spreadsheet': 'ods',
};

/** The extension of a version's primary file: from its media type, else its original name, else `bin`. */
export function extensionOf(mediaType: string, originalName: string): string {
  const byType = EXT_BY_TYPE[mediaType.split(';')[0]!.trim().toLowerCase()];
  if (byType) return byType;
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(originalName);
  return m ? m[1]!.toLowerCase() : 'bin';
}

const x = (name: string, ...c: XmlContent[]) => el(`xdomea:${name}`, ...c);
const ts = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
const day = (iso: string) => iso.slice(0, 10);

const idBlock = (v: XdomeaVersion, id: string, n?: number) =>
  x('Identifikation', x(v === '3.0.0' ? 'ID' : 'xdomeaUUID', id), n === undefined ? null : x('NummerImUebergeordnetenContainer', String(n)));

const confidentiality = (v: XdomeaVersion, code: string) => {
  const c = elA(v === '3.0.0' ? 'xdomea:Vertraulichkeitsstufe' : 'xdomea:Geheimhaltungsgrad', { listURI: 'urn:xoev-de:xdomea:codeliste:vertraulichkeitsstufe', listVersionID: '1.0' }, el('code', code));
  return v === '3.0.0' ? c : x('Geheimhaltung', c);
};

const history = (h: OutHistory[]) => h.map((e) => x('HistorienProtokollInformation', x('Akteur', e.actor), x('DatumUhrzeit', ts(e.at)), x('Aktion', e.action)));

function versionNode(v: XdomeaVersion, ver: OutVersion): XmlElementNode {
  const ext = extensionOf(ver.mediaType, ver.originalName);
  const code = FORMAT_BY_EXT[ext] ?? '100';
  return x('Version',
    x('Nummer', String(ver.number)),
    x('Format',
      elA('xdomea:Name', { listURI: 'urn:xoev-de:xdomea:codeliste:dateiformat', listVersionID: '2.0' }, el('code', code)),
      code === '100' ? x('SonstigerName', ver.mediaType) : null,
      x('Version', ''),
      x('Primaerdokument',
        x('Dateiname', ver.filename),
        x('DateinameOriginal', ver.originalName),
        x('Ersteller', ver.createdBy),
        x('DatumUhrzeit', ts(ver.createdAt)),
        v === '4.0.0'
          ? x('Hash', x('Wert', ver.sha256),
            elA('xdomea:Algorithmus', { listURI: 'urn:xoev-de:kosit:codeliste:xta.serviceprofile.kryptographische-algorithmen', listVersionID: '1.0.0' },
              el('code', 'SHA-256'), el('name', 'http://www.w3.org/2001/04/xmlenc#sha256')))
          : null,
      ),
    ),
  );
}

function documentNode(v: XdomeaVersion, d: OutDocument, n: number): XmlElementNode {
  const doc = x('Dokument', idBlock(v, d.id, n), x('AllgemeineMetadaten', x('Betreff', d.title)), d.versions.map((ver) => versionNode(v, ver)));
  return v === '3.0.0' ? doc : x('DokumentOderDokumentMitSchriftstueck', doc);
}

function caseNode(v: XdomeaVersion, c: OutCase): XmlElementNode {
  return x('Vorgang',
    idBlock(v, c.id),
    x('AllgemeineMetadaten', x('Betreff', c.title), x('Kennzeichen', c.reference), confidentiality(v, c.confidentiality)),
    c.closedOn ? [x('ZdA', '1'), x('ZdADatum', c.closedOn)] : null,
    x('Laufzeit', x('Beginn', day(c.createdAt)), opt('xdomea:Ende', c.closedOn)),
    c.documents.map((d, i) => documentNode(v, d, i + 1)),
  );
}

/** The Akte element of a file, with all its cases, documents and versions. */
export function fileNode(v: XdomeaVersion, f: OutFile): XmlElementNode {
  return x('Akte',
    idBlock(v, f.id),
    x('AllgemeineMetadaten',
      x('Betreff', f.title),
      x('Kennzeichen', f.reference),
      opt('xdomea:Federfuehrung', f.leadOrgUnit),
      confidentiality(v, f.confidentiality),
      opt('xdomea:Bemerkung', f.description),
      x('Aktenplaneinheit', x('Kennzeichen', f.planCode), x('Inhaltsangabe', f.planTitle)),
    ),
    x('Laufzeit', x('Beginn', day(f.createdAt)), opt('xdomea:Ende', f.closedOn)),
    history(f.history),
    f.cases.length ? x('Akteninhalt', f.cases.map((c) => caseNode(v, c))) : null,
    f.closedOn ? [x('ZdA', '1'), x('ZdADatum', f.closedOn)] : null,
  );
}

/** Abgabe.Abgabe.0401: the file for the recipient, asking for an import confirmation (0402). */
export function abgabeMessage(head: Omit<HeaderInput, 'code'>, file: OutFile): XmlElementNode {
  const flags = [x('Importbestaetigung', '1'), x('Empfangsbestaetigung', '0')];
  const after = head.version === '3.0.0' ? flags : [...flags, x('LfdNrNachrichtProTyp', '1'), x('GesamtanzahlNachrichtenProTyp', '1')];
  return messageRoot({ ...head, code: '0401' }, after, [x('Schriftgutobjekt', fileNode(head.version, file))]);
}

/** XDOMEA names: 3.0.0 `<ProzessID>_Abgabe.Abgabe.0401.xml`, 4.0.0 `<ProzessID>_0401_1.xml` (the ZIP alike with .zip). */
export const messageFileName = (version: XdomeaVersion, processId: string, code: string, name: string, ext: 'xml' | 'zip') =>
  version === '3.0.0' ? `${processId}_${name}.${code}.${ext}` : `${processId}_${code}_1.${ext}`;
