import { createHash } from 'node:crypto';

/** Strong ETag of a resource representation, derived from its id and its last change (row version or timestamp). */
export function etagOf(id: string, change: string | number | Date): string {
  const stamp = change instanceof Date ? change.toISOString() : String(change);
  return `"${createHash('sha256').update(`${id}@${stamp}`).digest('base64url').slice(0, 27)}"`;
}

/** Does an If-None-Match header match this ETag (RFC 9110 weak comparison)? */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => strip(t) === strip(etag));
}
