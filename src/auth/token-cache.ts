import type { Caller } from '../core/index.js';

/** Most verified tokens kept (a few hundred bytes each, so a few MiB at most). */
export const TOKEN_CACHE_MAX = 5_000;

interface Entry {
  caller: Caller;
  /** `exp` of the token, in ms: the entry is gone from then on. */
  expiresAt: number;
  /** The key that verified the signature: the entry holds only while that key is still trusted. */
  kid: string | undefined;
  /** Which key set (own or external) that key belongs to. */
  source: 'own' | 'external';
}

/**
 * Tokens whose signature and claims were verified, by their exact string, for the rest of their
 * lifetime: a repeated token skips the ES256 verification (about 0.4 ms of CPU per request). Only a
 * token that passed every check is stored, so an invalid token always reaches the verifier. An
 * entry is used only before the token's `exp` and while its key is still in the key set the
 * verifier would use (`trusted`), so a rotation that drops a key, or an IdP that stops publishing
 * it, ends its tokens here as it does in the verifier. Least recently used entries go first.
 */
export function createTokenCache(max = TOKEN_CACHE_MAX, now: () => number = Date.now) {
  const entries = new Map<string, Entry>();
  return {
    get(token: string, trusted: (source: Entry['source'], kid: string | undefined) => boolean): Caller | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.expiresAt <= now() || !trusted(entry.source, entry.kid)) {
        entries.delete(token);
        return undefined;
      }
      // Most recently used last (Map keeps insertion order).
      entries.delete(token);
      entries.set(token, entry);
      // A copy: what a request does with its caller never reaches the next request.
      return { ...entry.caller, roles: [...entry.caller.roles] };
    },
    set(token: string, caller: Caller, exp: number, source: Entry['source'], kid: string | undefined): void {
      const expiresAt = exp * 1000;
      if (expiresAt <= now()) return;
      entries.delete(token);
      entries.set(token, { caller: { ...caller, roles: [...caller.roles] }, expiresAt, kid, source });
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
    clear: () => entries.clear(),
  };
}
export type TokenCache = ReturnType<typeof createTokenCache>;
