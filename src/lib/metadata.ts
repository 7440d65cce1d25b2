import { errors } from '../errors.js';

export const METADATA_MAX_BYTES = 16 * 1024;

/** Free metadata is size-limited so a client cannot turn records into a blob store. */
export function checkMetadata(value: Record<string, unknown> | undefined): void {
  if (value === undefined) return;
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > METADATA_MAX_BYTES) {
    throw errors.validation(`metadata is ${size} bytes; at most ${METADATA_MAX_BYTES} are allowed`, [
      { path: 'body/metadata', message: `must be at most ${METADATA_MAX_BYTES} bytes serialised` },
    ]);
  }
}
