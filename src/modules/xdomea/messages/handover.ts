import type { XmlElement } from 'libxml2-wasm';
import { el, type XmlContent, type XmlElementNode } from '../xml/writer.js';
import type { XdomeaVersion } from '../xml/validate.js';
import { child, children, messageRoot, textOf, type HeaderInput } from './header.js';

/**
 * The answers to an Abgabe (0401), as the schemas of both versions model them:
 * - Abgabe.ImportBestaetigen.0402: the import succeeded or failed, per handed-over object
 *   (3.0.0: AbgegebenesObjekt with IDSGO, Erfolgreich, Fehlermeldung; 4.0.0: the reference to the
 *   0401 (UUIDUrsprungsnachricht), an overall ErfolgOderMisserfolg, and per object xdomeaUUID with
 *   its own ErfolgOderMisserfolg). A refusal is a 0402 with Erfolgreich false and the reason as
 *   Fehlermeldung: XDOMEA has no separate rejection message.
 * - Abgabe.EmpfangBestaetigen.0403: receipt of the 0401 (only when it asked for one; EN-Akte's
 *   0401 asks for the import confirmation, not the receipt).
 */
export interface ImportOutcome {
  /** The object of the 0401 (the Akte's ID / xdomeaUUID). */
  objectId: string;
  ok: boolean;
  errors: string[];
}

const x = (name: string, ...c: XmlContent[]) => el(`xdomea:${name}`, ...c);
const bool = (b: boolean) => (b ? 'true' : 'false');
const outcome = (ok: boolean, messages: string[]) => [x('Erfolgreich', bool(ok)), ...messages.map((m) => x('Fehlermeldung', m.slice(0, 2000)))];

/** Abgabe.ImportBestaetigen.0402 for the 0401 `originMessageId` (4.0.0: its nachrichtenUUID). */
export function importConfirmationMessage(head: Omit<HeaderInput, 'code'>, originMessageId: string, objects: ImportOutcome[]): XmlElementNode {
  if (head.version === '3.0.0') {
    return messageRoot({ ...head, code: '0402' }, [], objects.map((o) => x('AbgegebenesObjekt', x('IDSGO', o.objectId), ...outcome(o.ok, o.errors))));
  }
  const all = objects.every((o) => o.ok);
  return messageRoot({ ...head, code: '0402' }, [
    x('UUIDUrsprungsnachricht', originMessageId),
    x('LfdNrNachrichtProTyp', '1'),
    x('GesamtanzahlNachrichtenProTyp', '1'),
    x('ErfolgOderMisserfolg', ...outcome(all, all ? [] : [...new Set(objects.flatMap((o) => o.errors))])),
  ], objects.map((o) => x('AbgegebenesObjekt', x('xdomeaUUID', o.objectId), x('ErfolgOderMisserfolg', ...outcome(o.ok, o.errors)))));
}

/** Abgabe.EmpfangBestaetigen.0403: the 0401 `originMessageId` arrived. */
export function receiptConfirmationMessage(head: Omit<HeaderInput, 'code'>, originMessageId: string): XmlElementNode {
  if (head.version === '3.0.0') return messageRoot({ ...head, code: '0403' }, [], []);
  return messageRoot({ ...head, code: '0403' }, [x('UUIDUrsprungsnachricht', originMessageId), x('LfdNrNachrichtProTyp', '1'), x('GesamtanzahlNachrichtenProTyp', '1')], []);
}

/** The outcomes a validated 0402 reports, per object; in 4.0.0 also the overall one. */
export function readImportConfirmation(root: XmlElement, version: XdomeaVersion): { originMessageId: string | null; ok: boolean; objects: ImportOutcome[] } {
  const truthy = (s: string | null) => s === 'true' || s === '1';
  const messages = (e: XmlElement | null) => children(e, 'Fehlermeldung').map((m) => m.content.trim());
  const objects = children(root, 'AbgegebenesObjekt').map((o) => {
    const res = version === '3.0.0' ? o : child(o, 'ErfolgOderMisserfolg');
    return { objectId: (textOf(o, 'IDSGO') ?? textOf(o, 'xdomeaUUID') ?? '').toLowerCase(), ok: truthy(textOf(res, 'Erfolgreich')), errors: messages(res) };
  });
  const overall = version === '4.0.0' ? child(root, 'ErfolgOderMisserfolg') : null;
  const ok = overall ? truthy(textOf(overall, 'Erfolgreich')) && objects.every((o) => o.ok) : objects.length > 0 && objects.every((o) => o.ok);
  if (overall && !objects.length) objects.push({ objectId: '', ok, errors: messages(overall) });
  return { originMessageId: textOf(root, 'UUIDUrsprungsnachricht'), ok, objects };
}
