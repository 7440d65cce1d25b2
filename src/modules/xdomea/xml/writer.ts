/**
 * A small XML writer for the messages EN-Akte produces: elements in the exact order of the
 * schema's sequences, text escaped, characters XML 1.0 cannot carry dropped. Every message is
 * validated against its XSD before it leaves (src/modules/xdomea/xml/validate.ts).
 */
export interface XmlElementNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlChild[];
}
type XmlChild = XmlElementNode | string;
/** What `el` accepts as children: nodes, text, and nothing (null, undefined, false are skipped), nested in arrays. */
export type XmlContent = XmlChild | null | undefined | false | XmlContent[];

function flatten(content: XmlContent[], out: XmlChild[] = []): XmlChild[] {
  for (const c of content) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) flatten(c, out);
    else out.push(c);
  }
  return out;
}

/** An element with children (text or elements). */
export const el = (name: string, ...children: XmlContent[]): XmlElementNode => ({ name, attrs: {}, children: flatten(children) });

/** An element with attributes. */
export const elA = (name: string, attrs: Record<string, string | undefined>, ...children: XmlContent[]): XmlElementNode => ({
  name,
  attrs: Object.fromEntries(Object.entries(attrs).filter((e): e is [string, string] => e[1] !== undefined)),
  children: flatten(children),
});

/** An element with text, or nothing when the value is absent (optional elements). */
export const opt = (name: string, value: string | number | boolean | null | undefined): XmlElementNode | null =>
  value === null || value === undefined || value === '' ? null : el(name, String(value));

// Characters outside XML 1.0's Char production (C0 controls but tab, LF, CR; lone surrogates; FFFE/FFFF).
// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const escapeText = (s: string) => s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

/** Serialises `root` with an XML declaration, two-space indentation, UTF-8. */
export function serialize(root: XmlElementNode): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  const write = (node: XmlElementNode, depth: number) => {
    const pad = '  '.repeat(depth);
    const attrs = Object.entries(node.attrs).map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
    if (node.children.length === 0) {
      out.push(`${pad}<${node.name}${attrs}/>\n`);
    } else if (node.children.every((c) => typeof c === 'string')) {
      out.push(`${pad}<${node.name}${attrs}>${escapeText(node.children.join(''))}</${node.name}>\n`);
    } else {
      out.push(`${pad}<${node.name}${attrs}>\n`);
      for (const c of node.children) {
        if (typeof c === 'string') out.push(`${pad}  ${escapeText(c)}\n`);
        else write(c, depth + 1);
      }
      out.push(`${pad}</${node.name}>\n`);
    }
  };
  write(root, 0);
  return out.join('');
}
