import type { XmlElement } from 'libxml2-wasm';
import { el, elA, opt, type XmlContent, type XmlElementNode } from '../xml/writer.js';
import type { XdomeaVersion } from '../xml/validate.js';
import { fileNode, type OutFile } from './abgabe.js';
import { children, messageRoot, textOf, type HeaderInput } from './header.js';

/**
 * Aussonderung (disposal to the archive), messages 0501–0507 in XDOMEA 3.0.0 and 4.0.0:
 *
 * - 0501 Anbieteverzeichnis (out): the offered files' metadata, no primary files;
 * - 0502 Bewertungsverzeichnis (in): the archive's decision A or V per file;
 * - 0503 Aussonderung (out): the files evaluated A with every version's primary file, their
 *   history and retention metadata;
 * - 0504 / 0505 / 0507 receipts (0505 out, 0504 and 0507 in);
 * - 0506 AussonderungImportBestaetigen (in): per file archived with its Archivkennung, or an error.
 *
 * Every object keeps its UUID across the messages of one process (ProzessID): a file's id is the
 * Akte's ID (3.0.0) / xdomeaUUID (4.0.0), and so 0502 and 0506 name EN-Akte's file ids.
 */

/** The retention metadata (MetadatenAussonderung / Aussonderungsmetadaten) of a file. */
export interface OutRetention {
  /** Years kept after zdA; null for unlimited (Unbefristet). */
  retentionYears: number | null;
  /** The plan unit's disposal code (Aussonderungsart): A archive, B appraise, V destroy. */
  disposal: 'A' | 'B' | 'V' | null;
  /** Aufbewahrungsende (YYYY-MM-DD). */
  retentionEndsOn: string | null;
}
export type AussonderungFile = OutFile & { retention: OutRetention };

const x = (name: string, ...c: XmlContent[]) => el(`xdomea:${name}`, ...c);
const bool = (b: boolean) => (b ? '1' : '0');
const disposalCode = (code: string) =>
  x('Aussonderungsart', elA('xdomea:Aussonderungsart', { listURI: 'urn:xoev-de:xdomea:codeliste:aussonderungsart', listVersionID: '1.0' }, el('code', code)));

function retentionNode(v: XdomeaVersion, r: OutRetention): XmlElementNode {
  return x(v === '3.0.0' ? 'ArchivspezifischeMetadaten' : 'Aussonderungsmetadaten',
    x('Aufbewahrungsdauer', r.retentionYears === null ? x('Unbefristet', '1') : x('AnzahlJahre', String(r.retentionYears))),
    r.disposal ? disposalCode(r.disposal) : null,
    opt('xdomea:Aufbewahrungsende', r.retentionEndsOn),
  );
}

const insertAfter = (node: XmlElementNode, after: string, ...add: XmlElementNode[]): XmlElementNode => {
  const i = node.children.findIndex((c) => typeof c !== 'string' && c.name === `xdomea:${after}`);
  const at = i < 0 ? node.children.length : i + 1;
  return { ...node, children: [...node.children.slice(0, at), ...add, ...node.children.slice(at)] };
};

/**
 * The Akte as Aussonderung needs it: with its retention metadata; in 4.0.0 an AkteAussonderung, so
 * it and each of its Vorgänge carry Kontextobjekt (0: handed over itself, not context only).
 */
export function aussonderungFileNode(v: XdomeaVersion, f: AussonderungFile): XmlElementNode {
  let akte = insertAfter(fileNode(v, f), 'AllgemeineMetadaten', retentionNode(v, f.retention));
  if (v === '4.0.0') {
    akte = insertAfter(akte, 'Identifikation', x('Kontextobjekt', '0'));
    akte = {
      ...akte,
      children: akte.children.map((c) =>
        typeof c !== 'string' && c.name === 'xdomea:Akteninhalt'
          ? { ...c, children: c.children.map((k) => (typeof k !== 'string' && k.name === 'xdomea:Vorgang' ? insertAfter(k, 'Identifikation', x('Kontextobjekt', '0')) : k)) }
          : c,
      ),
    };
  }
  return akte;
}

const sequence4 = (v: XdomeaVersion) => (v === '4.0.0' ? [x('LfdNrNachrichtProTyp', '1'), x('GesamtanzahlNachrichtenProTyp', '1')] : []);
const origin4 = (v: XdomeaVersion, originMessageId: string) => (v === '4.0.0' ? [x('UUIDUrsprungsnachricht', originMessageId), ...sequence4(v)] : []);

/** 0501 Anbieteverzeichnis: the offered files with their metadata and retention, asking for a receipt (0504). No primary files. */
export function anbieteverzeichnisMessage(head: Omit<HeaderInput, 'code'>, files: AussonderungFile[]): XmlElementNode {
  const v = head.version;
  const metadataOnly = files.map((f) => ({ ...f, cases: f.cases.map((c) => ({ ...c, documents: c.documents.map((d) => ({ ...d, versions: [] })) })) }));
  return messageRoot({ ...head, code: '0501' }, [x('Empfangsbestaetigung', '1'), ...sequence4(v)],
    metadataOnly.map((f) => x('Schriftgutobjekt', aussonderungFileNode(v, f))));
}

/** 0502 Bewertungsverzeichnis (what an archive sends; EN-Akte writes it for tests and round trips). */
export function bewertungsverzeichnisMessage(head: Omit<HeaderInput, 'code'>, originMessageId: string, decisions: { id: string; decision: string }[]): XmlElementNode {
  const v = head.version;
  return messageRoot({ ...head, code: '0502' }, [x('Empfangsbestaetigung', '1'), ...origin4(v, originMessageId)],
    decisions.map((d) => x(v === '3.0.0' ? 'BewertetesObjekt' : 'BewertetesSGO', x(v === '3.0.0' ? 'ID' : 'xdomeaUUID', d.id), disposalCode(d.decision))));
}

/** 0503 Aussonderung: the files evaluated A, every version's primary file in the container, asking for the import confirmation (0506) with archive references. */
export function aussonderungMessage(head: Omit<HeaderInput, 'code'>, files: AussonderungFile[]): XmlElementNode {
  const v = head.version;
  return messageRoot({ ...head, code: '0503' },
    [x('Importbestaetigung', '1'), x('RueckmeldungArchivkennung', '1'), x('Empfangsbestaetigung', '1'), ...sequence4(v)],
    files.map((f) => x('Schriftgutobjekt', aussonderungFileNode(v, f))));
}

/** 0504 (offer received), 0505 (evaluation received), 0507 (Aussonderung received): a receipt naming the message it answers (4.0.0). */
export function receiptMessage(head: Omit<HeaderInput, 'code'>, code: '0504' | '0505' | '0507', originMessageId: string): XmlElementNode {
  return messageRoot({ ...head, code }, origin4(head.version, originMessageId), []);
}

export interface ImportOutcome {
  id: string;
  ok: boolean;
  archiveReference?: string | null;
  errors?: string[];
}

/** 0506 AussonderungImportBestaetigen (what an archive sends; EN-Akte writes it for tests). */
export function importConfirmationMessage(head: Omit<HeaderInput, 'code'>, originMessageId: string, outcomes: ImportOutcome[]): XmlElementNode {
  const v = head.version;
  const result = (ok: boolean, errs: string[] = []) => [x('Erfolgreich', bool(ok)), errs.map((e) => x('Fehlermeldung', e))];
  if (v === '3.0.0') {
    return messageRoot({ ...head, code: '0506' }, [], outcomes.map((o) =>
      x('AusgesondertesSGO', x('IDSGO', o.id), result(o.ok, o.errors), opt('xdomea:Archivkennung', o.archiveReference))));
  }
  return messageRoot({ ...head, code: '0506' }, [...origin4(v, originMessageId), x('ErfolgOderMisserfolg', result(outcomes.every((o) => o.ok)))],
    outcomes.map((o) => x('AusgesondertesSGO', x('xdomeaUUID', o.id), x('ErfolgOderMisserfolg', result(o.ok, o.errors)), opt('xdomea:Archivkennung', o.archiveReference))));
}

const truthy = (s: string | null) => s === '1' || s === 'true';

/** The decisions of a validated 0502: per object its id and code (A, V, B) or configurable text. */
export function readEvaluations(root: XmlElement, v: XdomeaVersion): { id: string; code: string | null; configurable: string | null; line: number }[] {
  return children(root, v === '3.0.0' ? 'BewertetesObjekt' : 'BewertetesSGO').map((b) => ({
    id: (textOf(b, v === '3.0.0' ? 'ID' : 'xdomeaUUID') ?? '').toLowerCase(),
    code: textOf(b, 'Aussonderungsart', 'Aussonderungsart', 'code'),
    configurable: textOf(b, 'Aussonderungsart', 'AussonderungsartKonfigurierbar'),
    line: b.line,
  }));
}

/** The outcome per object of a validated 0506. */
export function readImportConfirmation(root: XmlElement, v: XdomeaVersion): ImportOutcome[] {
  return children(root, 'AusgesondertesSGO').map((s) => {
    const result = v === '3.0.0' ? s : children(s, 'ErfolgOderMisserfolg')[0]!;
    return {
      id: (textOf(s, v === '3.0.0' ? 'IDSGO' : 'xdomeaUUID') ?? '').toLowerCase(),
      ok: truthy(textOf(result, 'Erfolgreich')),
      archiveReference: textOf(s, 'Archivkennung'),
      errors: children(result, 'Fehlermeldung').map((e) => e.content.trim()),
    };
  });
}

/** 4.0.0: the message a receipt or answer refers to (UUIDUrsprungsnachricht); 3.0.0 has none. */
export const originOf = (root: XmlElement): string | null => textOf(root, 'UUIDUrsprungsnachricht');
