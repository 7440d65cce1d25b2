import { describe, expect, it } from 'vitest';
import { createTokenCache } from '../../src/auth/token-cache.js';
import type { Caller } from '../../src/core/index.js';

const caller = (sub: string): Caller => ({ tenant: 'witten', subject: sub, roles: ['sachbearbeitung'] });
const always = () => true;

describe('the cache of verified tokens', () => {
  it('keeps an entry until the token expires, never after', () => {
    let now = 1_000_000;
    const cache = createTokenCache(10, () => now);
    cache.set('t1', caller('a'), 1_060, 'own', 'k1'); // exp in seconds: 60 s from now
    expect(cache.get('t1', always)).toEqual(caller('a'));
    now = 1_059_999;
    expect(cache.get('t1', always)?.subject).toBe('a');
    now = 1_060_000;
    expect(cache.get('t1', always)).toBeUndefined();
    expect(cache.size).toBe(0);
    // An expired token is not stored at all.
    cache.set('t2', caller('b'), 1_000, 'own', 'k1');
    expect(cache.size).toBe(0);
  });

  it('drops an entry whose key is no longer trusted (a rotation, an IdP that stopped publishing it)', () => {
    const cache = createTokenCache(10, () => 0);
    cache.set('t1', caller('a'), 60, 'own', 'old');
    cache.set('t2', caller('b'), 60, 'external', 'idp');
    const seen: [string, string | undefined][] = [];
    const onlyNew = (source: 'own' | 'external', kid: string | undefined) => (seen.push([source, kid]), kid === 'new' || kid === 'idp');
    expect(cache.get('t1', onlyNew)).toBeUndefined();
    expect(cache.get('t2', onlyNew)?.subject).toBe('b');
    expect(seen).toEqual([['own', 'old'], ['external', 'idp']]);
    expect(cache.size).toBe(1);
  });

  it('holds at most max entries, dropping the least recently used', () => {
    const cache = createTokenCache(3, () => 0);
    for (const t of ['a', 'b', 'c']) cache.set(t, caller(t), 60, 'own', 'k');
    expect(cache.get('a', always)?.subject).toBe('a'); // a is now the most recent
    cache.set('d', caller('d'), 60, 'own', 'k');
    expect(cache.size).toBe(3);
    expect(cache.get('b', always)).toBeUndefined();
    expect(['a', 'c', 'd'].map((t) => cache.get(t, always)?.subject)).toEqual(['a', 'c', 'd']);
  });

  it('hands out copies: a request that changes its caller does not change the next one', () => {
    const cache = createTokenCache(3, () => 0);
    cache.set('t', caller('a'), 60, 'own', 'k');
    const first = cache.get('t', always)!;
    first.roles.push('admin');
    first.clientId = 'x';
    expect(cache.get('t', always)).toEqual(caller('a'));
  });
});
