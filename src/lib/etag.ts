import { createHash } from 'node:crypto';

/** Strong ETag of a resource representation, derived from its id and its last change (row version or timestamp). */
export function etagOf(id: string, change: string | number | Date): string {
  const stamp = change instanceof Date ? change.toISOString() : String(change);
  return `"${createHash('sha256').update(`${id}@${stamp}`).digest('base64url').slice(0, 27)}"`;
}

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3)
const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")/;

/** The opaque tags of an If-None-Match / If-Match list (`#entity-tag`, RFC 9110 §13.1.1-2), weak or not; null for `*`. */
function entityTags(header: string): { tag: string; weak: boolean }[] | null {
  if (header.trim() === '*') return null;
  const tags: { tag: string; weak: boolean }[] = [];
  let rest = header;
  for (;;) {
    rest = rest.replace(/^[\s,]+/, '');
    if (rest === '') return tags;
    const m = ENTITY_TAG.exec(rest);
    if (!m) {
      // Not an entity-tag (e.g. an unquoted value): skip to the next list member.
      const comma = rest.indexOf(',');
      if (comma < 0) return tags;
      rest = rest.slice(comma + 1);
      continue;
    }
    tags.push({ tag: m[2]!, weak: m[1] !== undefined });
    rest = rest.slice(m[0].length);
  }
}

/**
 * Does an If-None-Match header match this ETag (RFC 9110 §13.1.2)? `*` matches any current
 * representation; otherwise one listed tag must match by weak comparison (`W/"x"` matches `"x"`).
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined || header.trim() === '') return false;
  const tags = entityTags(header);
  if (tags === null) return true;
  const current = etag.replace(/^W\//, '');
  return tags.some((t) => t.tag === current);
}
