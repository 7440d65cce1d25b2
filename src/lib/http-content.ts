/** HTTP helpers for content: file names, Content-Disposition, Range, Content-Digest. */

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const RESERVED = /[\\/:*?"<>|]/g;

/**
 * A file name safe to store and to send back: no path, no control or reserved characters,
 * Unicode NFC, at most 255 UTF-8 bytes (extension kept), never empty, never hidden (leading dot).
 * Idempotent: sanitising a sanitised name changes nothing.
 */
export function sanitizeFilename(raw: string | undefined | null, fallback = 'content'): string {
  if (!raw) return fallback;
  const base = raw.split(/[\\/]/).pop() ?? '';
  // Remove and replace first, normalise last: removing a character can make a string non-NFC.
  const clean = (s: string) => s.replace(CONTROL, '').replace(RESERVED, '_').replace(/\s+/g, ' ').normalize('NFC');
  const unhide = (s: string) => s.replace(/^[.\s]+/, '').trim();
  let name = unhide(clean(base));
  if (Buffer.byteLength(name, 'utf8') > 255) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    const chars = [...name.slice(0, name.length - ext.length)];
    while (chars.length && Buffer.byteLength(chars.join('') + ext, 'utf8') > 255) chars.pop();
    name = unhide(`${chars.join('').trimEnd()}${ext}`.normalize('NFC'));
  }
  return name || fallback;
}

/** RFC 6266 / RFC 8187: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(filename: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = filename
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The parameters of a Content-Disposition header, respecting quoted strings (RFC 6266). */
function dispositionParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9!#$&+.^_`|~*-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;\s]*)/g;
  for (const m of header.matchAll(re)) {
    const name = m[1]!.toLowerCase();
    if (!params.has(name)) params.set(name, m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!);
  }
  return params;
}

/** The filename of a request's `Content-Disposition` (filename* preferred, RFC 8187), if any. */
export function filenameFromDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const params = dispositionParams(header);
  const star = params.get('filename*');
  if (star) {
    const m = /^UTF-8'[A-Za-z0-9-]*'(.+)$/i.exec(star);
    if (m) {
      try {
        return decodeURIComponent(m[1]!);
      } catch {
        // fall back to filename
      }
    }
  }
  return params.get('filename');
}

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Parses `Range: bytes=…` for a representation of `size` bytes (RFC 9110 §14). Several ranges, or
 * a header we do not understand, yield the full representation, as the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: 'full' };
  const [, a, b] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== '' && Number(b) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** `sha-256=:<base64>:` (RFC 9530) of a hex SHA-256. */
export const sha256Digest = (hex: string) => `sha-256=:${Buffer.from(hex, 'hex').toString('base64')}:`;

/**
 * The sha-256 member of a Content-Digest / Repr-Digest header as hex; null when the header has no
 * sha-256 member (other algorithms are ignored); throws when it is malformed.
 */
export function parseSha256Digest(header: string): string | null {
  let found: string | null = null;
  for (const member of header.split(',')) {
    const m = /^\s*([a-z0-9-]+)\s*=\s*:([A-Za-z0-9+/=]*):\s*$/.exec(member);
    if (!m) throw new Error('malformed digest header');
    if (m[1] === 'sha-256') {
      const bytes = Buffer.from(m[2]!, 'base64');
      if (bytes.length !== 32) throw new Error('sha-256 digest must be 32 bytes');
      found = bytes.toString('hex');
    }
  }
  return found;
}
