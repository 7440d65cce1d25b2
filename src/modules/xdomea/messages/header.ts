import { XmlElement } from 'libxml2-wasm';
import { el, elA, type XmlContent, type XmlElementNode } from '../xml/writer.js';
import { NAMESPACE, type XdomeaVersion } from '../xml/validate.js';

/** The name and code of each message type EN-Akte writes or reads (code list "nachrichtentyp"). */
export const MESSAGE_TYPES = {
  '0301': 'Aktenplan.Aktenplan',
  '0401': 'Abgabe.Abgabe',
  '0402': 'Abgabe.ImportBestaetigen',
  '0403': 'Abgabe.EmpfangBestaetigen',
  '0501': 'Aussonderung.Anbieteverzeichnis',
  '0502': 'Aussonderung.Bewertungsverzeichnis',
  '0503': 'Aussonderung.Aussonderung',
  '0504': 'Aussonderung.AnbietungEmpfangBestaetigen',
  '0505': 'Aussonderung.BewertungEmpfangBestaetigen',
  '0506': 'Aussonderung.AussonderungImportBestaetigen',
  '0507': 'Aussonderung.AussonderungEmpfangBestaetigen',
} as const;
export type MessageCode = keyof typeof MESSAGE_TYPES;

/** The product attributes of 4.0.0 messages. */
export const PRODUCT = { name: 'EN-Akte', vendor: 'Ennepe-Ruhr-Kreis' };

export interface Party {
  /** Name of the institution (authority). */
  institution: string;
  unit?: string;
}

export interface HeaderInput {
  version: XdomeaVersion;
  code: MessageCode;
  /** The process (ProzessID) the message belongs to; all messages of one Aussonderung share it. */
  processId: string;
  /** 4.0.0: the message's own UUID. */
  messageId: string;
  createdAt: Date;
  sender: Party;
  recipient: Party;
}

const x = (name: string, ...children: XmlContent[]) => el(`xdomea:${name}`, ...children);

/** The message's root element name, e.g. `xdomea:Aktenplan.Aktenplan.0301`. */
export const rootName = (code: MessageCode) => `xdomea:${MESSAGE_TYPES[code]}.${code}`;

const typeCode = (version: XdomeaVersion, code: MessageCode, qualified: boolean) =>
  elA(qualified ? 'xdomea:Nachrichtentyp' : 'nachrichtentyp', { listURI: 'urn:xoev-de:xdomea:codeliste:nachrichtentyp', listVersionID: version === '3.0.0' ? '2.0' : '3.0' },
    el('code', code), el('name', MESSAGE_TYPES[code]));

const contact3 = (name: string, p: Party) => x(name, x('Institution', x('Name', p.institution)), p.unit ? x('Organisationseinheit', x('Name', p.unit)) : null);
const contact4 = (name: string, p: Party) => x(name, x('NameInstitution', x('Name', p.institution)), p.unit ? x('NameOrganisationseinheit', x('Name', p.unit)) : null);

/**
 * The root of a message with its head: in 3.0.0 a `Kopf` (with `afterHead` inside it: the
 * confirmation flags of the message type), in 4.0.0 the `nachrichtenkopf` followed by `afterHead`.
 */
export function messageRoot(h: HeaderInput, afterHead: XmlContent[], body: XmlContent[]): XmlElementNode {
  const ts = h.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (h.version === '3.0.0') {
    return elA(rootName(h.code), { 'xmlns:xdomea': NAMESPACE[h.version] },
      x('Kopf',
        x('ProzessID', h.processId),
        typeCode(h.version, h.code, true),
        x('Erstellungszeitpunkt', ts),
        contact3('Absender', h.sender),
        contact3('Empfaenger', h.recipient),
        x('SendendesSystem', x('Produktname', PRODUCT.name)),
        afterHead,
      ),
      body,
    );
  }
  return elA(rootName(h.code), {
    'xmlns:xdomea': NAMESPACE[h.version], produkt: PRODUCT.name, produkthersteller: PRODUCT.vendor, standard: 'xdomea', version: '4.0.0',
  },
  x('nachrichtenkopf',
    x('identifikation.nachricht', el('nachrichtenUUID', h.messageId), typeCode(h.version, h.code, false), el('erstellungszeitpunkt', ts)),
    contact4('leser', h.recipient),
    contact4('autor', h.sender),
    x('ProzessID', h.processId),
  ),
  afterHead,
  body,
  );
}

/** Child elements by local name (any namespace prefix). */
export const children = (e: XmlElement | null | undefined, name?: string): XmlElement[] => {
  const out: XmlElement[] = [];
  for (let c = e?.firstChild ?? null; c; c = c.next) {
    if (isElement(c) && (name === undefined || c.name === name)) out.push(c);
  }
  return out;
};
const isElement = (n: unknown): n is XmlElement => n instanceof XmlElement;
export const child = (e: XmlElement | null | undefined, name: string): XmlElement | null => children(e, name)[0] ?? null;
export const textOf = (e: XmlElement | null | undefined, ...path: string[]): string | null => {
  let cur: XmlElement | null | undefined = e;
  for (const p of path) cur = child(cur, p);
  return cur ? cur.content.trim() : null;
};

/** What every message's head tells: type, process, message id, sender (3.0.0 Absender / 4.0.0 autor), time. */
export function readHead(root: XmlElement, version: XdomeaVersion) {
  if (version === '3.0.0') {
    const kopf = child(root, 'Kopf');
    return {
      code: textOf(kopf, 'Nachrichtentyp', 'code'),
      processId: textOf(kopf, 'ProzessID'),
      messageId: textOf(kopf, 'ProzessID'),
      createdAt: textOf(kopf, 'Erstellungszeitpunkt'),
      sender: textOf(kopf, 'Absender', 'Institution', 'Name'),
      recipient: textOf(kopf, 'Empfaenger', 'Institution', 'Name'),
    };
  }
  const kopf = child(root, 'nachrichtenkopf');
  return {
    code: textOf(kopf, 'identifikation.nachricht', 'nachrichtentyp', 'code'),
    processId: textOf(kopf, 'ProzessID'),
    messageId: textOf(kopf, 'identifikation.nachricht', 'nachrichtenUUID'),
    createdAt: textOf(kopf, 'identifikation.nachricht', 'erstellungszeitpunkt'),
    sender: textOf(kopf, 'autor', 'NameInstitution', 'Name'),
    recipient: textOf(kopf, 'leser', 'NameInstitution', 'Name'),
  };
}
