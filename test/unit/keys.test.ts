import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jwtVerify, createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSigningKeys, rotateSigningKeys } from '../../src/auth/keys.js';

const opts = { issuer: 'http://en-akte.test', audience: 'en-akte', ttlSeconds: 300 };

describe('signing key rotation', () => {
  it('signs with the new key and keeps verifying tokens of the previous ones', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'en-akte-keys-')), 'keys', 'signing-key.json');
    const before = await loadOrCreateSigningKeys(file);
    const oldToken = await before.sign({ sub: 'alice', tenant: 'witten', roles: [] }, opts);
    const { kid, retained } = await rotateSigningKeys(file);
    expect(retained).toBe(2);
    const after = await loadOrCreateSigningKeys(file);
    expect(after.jwks.keys.map((k) => k.kid)).toEqual([kid, before.jwks.keys[0]!.kid]);
    const newToken = await after.sign({ sub: 'alice', tenant: 'witten', roles: [] }, opts);
    const keys = createLocalJWKSet(after.jwks);
    expect((await jwtVerify(oldToken, keys, { issuer: opts.issuer, audience: opts.audience })).protectedHeader.kid).toBe(before.jwks.keys[0]!.kid);
    expect((await jwtVerify(newToken, keys, { issuer: opts.issuer, audience: opts.audience })).protectedHeader.kid).toBe(kid);
  });

  it('keeps at most three keys and stores the file with mode 0600', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'en-akte-keys-')), 'signing-key.json');
    await loadOrCreateSigningKeys(file);
    for (let i = 0; i < 4; i++) await rotateSigningKeys(file);
    const stored = JSON.parse(await readFile(file, 'utf8')).keys;
    expect(stored).toHaveLength(3);
    const { stat } = await import('node:fs/promises');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('never publishes private key material', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'en-akte-keys-')), 'signing-key.json');
    const keys = await loadOrCreateSigningKeys(file);
    for (const k of keys.jwks.keys) expect(Object.keys(k).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });
});
