import { ParseOption, XmlDocument, XmlParseError } from 'libxml2-wasm';
import { errors } from '../../../errors.js';
import type { SchemaError } from './validate.js';

/**
 * Untrusted XML in: messages of other systems. A DTD is refused outright (it is where external
 * entities, XXE, and entity expansion, "billion laughs", live); the parser runs without network,
 * without external entities and without entity substitution, on UTF-8 only. Whatever is refused
 * answers 422 message-invalid with the reason, never a 500.
 */

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Why the prolog (before the root element) is refused, or null. Only the XML declaration, comments, PIs and whitespace may stand there. */
export function prologProblem(text: string): string | null {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || text[i] === '\n')) i++;
  };
  ws();
  if (text.startsWith('<?xml', i) && /[\s?]/.test(text[i + 5] ?? '')) {
    const end = text.indexOf('?>', i);
    if (end < 0) return 'The XML declaration is not closed';
    const decl = text.slice(i, end);
    const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(decl)?.[1];
    if (enc !== undefined && !/^utf-?8$/i.test(enc)) return `Only UTF-8 is accepted, the message declares ${enc.slice(0, 40)}`;
    i = end + 2;
  }
  for (;;) {
    ws();
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return 'A comment is not closed';
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return 'A processing instruction is not closed';
      i = end + 2;
    } else if (text.startsWith('<!', i)) {
      return 'The message contains a document type declaration (DTD); DTDs are refused (no entities, no external references)';
    } else {
      return null;
    }
  }
}

const refuse = (detail: string, list: SchemaError[] = []) => errors.messageInvalid(detail, list);

/**
 * Parses an untrusted XDOMEA message. The caller disposes the document. 413 above `maxBytes`,
 * 422 for anything not well-formed, not UTF-8, or with a DTD.
 */
export function parseUntrusted(bytes: Uint8Array, maxBytes: number): XmlDocument {
  if (bytes.byteLength > maxBytes) throw errors.payloadTooLarge(maxBytes);
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    throw refuse('Only UTF-8 is accepted, the message is UTF-16');
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw refuse('The message is not valid UTF-8');
  }
  if (text.includes('\u0000')) throw refuse('The message contains NUL characters');
  const problem = prologProblem(text);
  if (problem) throw refuse(problem);
  try {
    // No NOENT (entities stay unexpanded), no DTDLOAD, NO_XXE and NONET: nothing is fetched or expanded.
    return XmlDocument.fromString(text, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE | ParseOption.XML_PARSE_NOERROR | ParseOption.XML_PARSE_NOWARNING });
  } catch (err) {
    if (err instanceof XmlParseError) {
      throw refuse('The message is not well-formed XML', err.details.slice(0, 50).map((d) => ({ line: d.line, message: d.message.trim() })));
    }
    throw err;
  }
}
