import type { XmlElement } from 'libxml2-wasm';
import { errors } from '../../../errors.js';
import { child, children, textOf } from './header.js';

/**
 * The Schriftgutobjekte of a received 0401 or 0503 (3.0.0 or 4.0.0) as EN-Akte's records: files
 * (Akten, with Teilakten flattened into their cases), cases (Vorgänge, Teilvorgänge flattened),
 * documents and their versions with the primary file each names. The 3.0.0 and 4.0.0 shapes differ
 * (ID / xdomeaUUID, Dokument / DokumentOderDokumentMitSchriftstueck, Vertraulichkeitsstufe /
 * Geheimhaltung, Hash only in 4.0.0); this reads both.
 */
export interface MappedVersion {
  number: string;
  /** One file per version: the first Format's primary document. */
  filename: string;
  originalName: string | null;
  formatCode: string | null;
  /** Lower-case hex SHA-256 the message states (4.0.0 Hash with SHA-256), or null. */
  sha256: string | null;
  createdAt: string | null;
}
export interface MappedDocument {
  id: string;
  title: string;
  reference: string | null;
  versions: MappedVersion[];
}
export interface MappedCase {
  id: string;
  title: string;
  reference: string | null;
  confidentiality: string | null;
  documents: MappedDocument[];
}
export interface MappedFile {
  id: string;
  title: string;
  reference: string | null;
  planCode: string | null;
  confidentiality: string | null;
  leadOrgUnit: string | null;
  description: string | null;
  /** 4.0.0 Kontextobjekt: present for context only, not itself handed over. */
  context: boolean;
  cases: MappedCase[];
  /** Documents directly in the file (EN-Akte keeps them in a case of their own). */
  documents: MappedDocument[];
}
export interface MappedRecords {
  files: MappedFile[];
  /** Vorgänge handed over without their Akte. */
  cases: MappedCase[];
  documents: MappedDocument[];
}

const idOf = (e: XmlElement) => textOf(e, 'Identifikation', 'ID') ?? textOf(e, 'Identifikation', 'xdomeaUUID') ?? '';
const titleOf = (e: XmlElement) => textOf(e, 'AllgemeineMetadaten', 'Betreff') ?? textOf(e, 'Aktenbetreff') ?? '';
const refOf = (e: XmlElement) => textOf(e, 'AllgemeineMetadaten', 'Kennzeichen');
const confOf = (e: XmlElement) =>
  textOf(e, 'AllgemeineMetadaten', 'Vertraulichkeitsstufe', 'code') ?? textOf(e, 'AllgemeineMetadaten', 'Geheimhaltung', 'Geheimhaltungsgrad', 'code');

function version(v: XmlElement): MappedVersion {
  const format = child(v, 'Format');
  const primary = child(format, 'Primaerdokument');
  const filename = textOf(primary, 'Dateiname');
  if (!filename) throw errors.unprocessable(`A version (line ${v.line}) names no primary file`);
  const hash = child(primary, 'Hash');
  const algorithm = textOf(hash, 'Algorithmus', 'code');
  const value = textOf(hash, 'Wert');
  return {
    number: textOf(v, 'Nummer') ?? '',
    filename,
    originalName: textOf(primary, 'DateinameOriginal'),
    formatCode: textOf(format, 'Name', 'code'),
    sha256: value && algorithm?.toUpperCase() === 'SHA-256' ? value.toLowerCase() : null,
    createdAt: textOf(primary, 'DatumUhrzeit'),
  };
}

function documentsIn(e: XmlElement): MappedDocument[] {
  const direct = children(e, 'Dokument');
  const wrapped = children(e, 'DokumentOderDokumentMitSchriftstueck').flatMap((w) => children(w, 'Dokument'));
  return [...direct, ...wrapped].map((d) => ({ id: idOf(d), title: titleOf(d), reference: refOf(d), versions: children(d, 'Version').map(version) }));
}

function caseOf(v: XmlElement): MappedCase[] {
  const own: MappedCase = { id: idOf(v), title: titleOf(v), reference: refOf(v), confidentiality: confOf(v), documents: documentsIn(v) };
  return [own, ...children(v, 'Teilvorgang').flatMap(caseOf)];
}

function fileOf(a: XmlElement): MappedFile {
  const content = child(a, 'Akteninhalt') ?? a;
  const subFiles = children(content, 'Teilakte').map(fileOf);
  return {
    id: idOf(a),
    title: titleOf(a),
    reference: refOf(a),
    planCode: textOf(a, 'AllgemeineMetadaten', 'Aktenplaneinheit', 'Kennzeichen'),
    confidentiality: confOf(a),
    leadOrgUnit: textOf(a, 'AllgemeineMetadaten', 'Federfuehrung'),
    description: textOf(a, 'AllgemeineMetadaten', 'Bemerkung'),
    context: textOf(a, 'Kontextobjekt') === '1' || textOf(a, 'Kontextobjekt') === 'true',
    cases: [...children(content, 'Vorgang').flatMap(caseOf), ...subFiles.flatMap((s) => s.cases)],
    documents: [...documentsIn(content), ...subFiles.flatMap((s) => s.documents)],
  };
}

/** The records of every Schriftgutobjekt of a validated message. */
export function readRecords(root: XmlElement): MappedRecords {
  const out: MappedRecords = { files: [], cases: [], documents: [] };
  for (const s of children(root, 'Schriftgutobjekt')) {
    for (const a of children(s, 'Akte')) out.files.push(fileOf(a));
    for (const v of children(s, 'Vorgang')) out.cases.push(...caseOf(v));
    out.documents.push(...documentsIn(s));
  }
  return out;
}

/** Every primary file the records name, in order. */
export const primaryFiles = (r: MappedRecords): MappedVersion[] => {
  const docs = [...r.documents, ...r.cases.flatMap((c) => c.documents), ...r.files.flatMap((f) => [...f.documents, ...f.cases.flatMap((c) => c.documents)])];
  return docs.flatMap((d) => d.versions);
};
