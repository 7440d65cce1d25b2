import type { XmlDocument } from 'libxml2-wasm';
import { errors } from '../../errors.js';
import { MESSAGE_TYPES, readHead, type MessageCode } from './messages/header.js';
import { parseUntrusted } from './xml/safe.js';
import { schemaErrors, versionOfNamespace, type XdomeaVersion } from './xml/validate.js';
import { bufferSource, openSafeZip, readEntry, type SafeZip, type ZipLimits } from './zip/safe-zip.js';

/** A received message, parsed and validated against its version's schema. The caller disposes `doc`. */
export interface ReceivedMessage {
  doc: XmlDocument;
  version: XdomeaVersion;
  code: MessageCode;
  head: ReturnType<typeof readHead>;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
export const isZip = (b: Uint8Array) => ZIP_MAGIC.every((m, i) => b[i] === m) || (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x05 && b[3] === 0x06);

/**
 * Parses and validates an untrusted message: well-formed UTF-8 without DTD, an XDOMEA namespace
 * EN-Akte speaks, valid against that version's XSD, of one of the `expected` types. Every refusal
 * is a 422 (message-invalid with the schema errors), and nothing has been written yet.
 */
export function receiveMessage(bytes: Uint8Array, maxBytes: number, expected: readonly MessageCode[]): ReceivedMessage {
  const doc = parseUntrusted(bytes, maxBytes);
  try {
    const version = versionOfNamespace(doc.root.namespaceUri);
    if (!version) {
      throw errors.messageInvalid(`The root element is not in an XDOMEA namespace EN-Akte reads (urn:xoev-de:xdomea:schema:3.0.0 or 4.0.0); it is ${JSON.stringify(doc.root.namespaceUri.slice(0, 100))}`);
    }
    const list = schemaErrors(doc, version);
    if (list.length) throw errors.messageInvalid(`The message is not valid against the XDOMEA ${version} schema`, list);
    const code = /\.(\d{4})$/.exec(doc.root.name)?.[1] as MessageCode | undefined;
    if (!code || !(code in MESSAGE_TYPES) || !expected.includes(code)) {
      throw errors.messageInvalid(`Expected a message of type ${expected.map((c) => `${MESSAGE_TYPES[c]}.${c}`).join(' or ')}, got ${doc.root.name.slice(0, 100)}`);
    }
    return { doc, version, code, head: readHead(doc.root, version) };
  } catch (e) {
    doc.dispose();
    throw e;
  }
}

/**
 * The message entry of a container: the one `.xml` entry whose name ends in `_<code>.xml` or
 * `_<code>_<n>.xml` (XDOMEA naming: `<process-uuid>_<Name>.<code>.xml` in 3.0.0, `<uuid>_<code>_<n>.xml` in 4.0.0),
 * else the only `.xml` entry at the top level.
 */
export function messageEntryName(zip: SafeZip, codes: readonly MessageCode[]): string {
  const xml = zip.entries.filter((e) => !e.name.includes('/') && e.name.toLowerCase().endsWith('.xml'));
  const named = xml.filter((e) => codes.some((c) => new RegExp(`[._]${c}(_\\d+)?\\.xml$`, 'i').test(e.name)));
  const pick = named.length ? named : xml;
  if (pick.length !== 1) {
    throw errors.containerRejected(pick.length === 0 ? 'The container holds no XDOMEA message (.xml at its top level)' : `The container holds ${pick.length} candidate messages; one is expected`);
  }
  return pick[0]!.name;
}

/** A message sent as plain XML or as a ZIP container in memory: the message bytes (and the container, open). */
export async function messageBytes(body: Buffer, codes: readonly MessageCode[], maxXmlBytes: number, limits: ZipLimits): Promise<{ xml: Buffer; zip: SafeZip | null; entry: string | null }> {
  if (!isZip(body)) return { xml: body, zip: null, entry: null };
  const zip = await openSafeZip(bufferSource(body), limits);
  try {
    const entry = messageEntryName(zip, codes);
    return { xml: await readEntry(zip, entry, maxXmlBytes), zip, entry };
  } catch (e) {
    zip.close();
    throw e;
  }
}
