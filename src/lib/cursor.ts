import { errors } from '../errors.js';

/** Opaque, URL-safe cursors: base64url of a small JSON value. Clients must not build them. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, isValid: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw errors.badRequest('The cursor is not valid; use the `next` value of a previous page');
  }
  if (!isValid(value)) throw errors.badRequest('The cursor is not valid; use the `next` value of a previous page');
  return value;
}

const isIdCursor = (v: unknown): v is { after: string } =>
  typeof v === 'object' && v !== null && typeof (v as { after?: unknown }).after === 'string';

/** The id after which the next page starts, from an opaque cursor (undefined for the first page). */
export const afterId = (cursor: string | undefined): string | undefined =>
  cursor ? decodeCursor(cursor, isIdCursor).after : undefined;

/**
 * A page from `limit + 1` rows ordered by id (UUIDv7, so by creation): the extra row only says
 * that there is a next page. Keyset pagination: stable while others insert, as fast deep as first.
 */
export function idPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): { items: T[]; next: string | null } {
  const page = rows.slice(0, limit);
  return { items: page.map(map), next: rows.length > limit ? encodeCursor({ after: page.at(-1)!.id }) : null };
}
