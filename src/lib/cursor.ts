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
