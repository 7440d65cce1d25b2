import { errors } from '../errors.js';

/**
 * Optimistic concurrency: writes must send the ETag they read. Missing → 428, different → 412.
 * `*` matches any current representation.
 */
export function requireIfMatch(header: string | undefined, currentEtag: string): void {
  if (!header) throw errors.preconditionRequired();
  if (header.trim() === '*') return;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.some((t) => t.startsWith('W/'))) throw errors.preconditionFailed('If-Match needs a strong ETag, not a weak one');
  if (!tags.includes(currentEtag)) throw errors.preconditionFailed();
}

