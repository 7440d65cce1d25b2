import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, TEST_ISSUER, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const get = (authorization?: string) =>
  t.app.inject({ method: 'GET', url: '/v1/tenants', headers: authorization ? { authorization } : {} });

/** Signs with the service's own key file but lets a test choose every claim and header. */
async function ownKey(): Promise<{ key: CryptoKey; kid: string }> {
  const { readFile } = await import('node:fs/promises');
  const { importJWK } = await import('jose');
  const stored = JSON.parse(await readFile(t.config.auth.keyFile, 'utf8')).keys[0];
  return { key: (await importJWK(stored, 'ES256')) as CryptoKey, kid: stored.kid };
}

async function craft(opts: {
  iss?: string; aud?: string; exp?: number; nbf?: number; claims?: Record<string, unknown>; key?: CryptoKey; kid?: string; alg?: string; typ?: string | null;
}) {
  const own = await ownKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant: 'witten', roles: ['clerk'], ...opts.claims })
    .setProtectedHeader({ alg: opts.alg ?? 'ES256', kid: opts.kid ?? own.kid, ...(opts.typ === null ? {} : { typ: opts.typ ?? 'at+jwt' }) })
    .setSubject('alice')
    .setIssuer(opts.iss ?? TEST_ISSUER)
    .setAudience(opts.aud ?? 'en-akte')
    .setIssuedAt(now)
    .setNotBefore(opts.nbf ?? now)
    .setExpirationTime(opts.exp ?? now + 300)
    .sign(opts.key ?? own.key);
}

describe('bearer authentication on /v1', () => {
  it('accepts a token signed by the service key', async () => {
    const res = await get(`Bearer ${await craft({})}`);
    expect(res.statusCode).toBe(200);
  });

  it('reads the scheme case-insensitively, after one or more spaces (RFC 9110 §11.1, §11.4), on a /v1 route', async () => {
    const token = await t.tokenFor('witten', ['clerk'], 'scheme@witten');
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `bEaReR ${token}`, `Bearer   ${token}`, `bearer ${token}  `]) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/tenants/witten/files?limit=1', headers: { authorization: header } });
      expect(res.statusCode, header).toBe(200);
      expect(Object.keys(res.json()), header).toEqual(['items', 'next']);
    }
    // Still exactly one token after the scheme: no scheme without a space, no tab, nothing else appended.
    for (const header of [`Bearer${token}`, `Bearer\t${token}`, `Bearer ${token} extra`, `Bearers ${token}`]) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/tenants/witten/files?limit=1', headers: { authorization: header } });
      expect(res.statusCode, header).toBe(401);
      expect(res.json()).toMatchObject({ code: 'invalid-token', detail: 'The Authorization header must be `Bearer <JWT>`' });
    }
  });

  it('caches a verified token by its exact string: a repeat is accepted, the same claims with another signature are not', async () => {
    const token = await craft({ claims: { roles: ['clerk', 'cached'] } });
    expect((await get(`Bearer ${token}`)).statusCode).toBe(200);
    expect((await get(`Bearer ${token}`)).statusCode).toBe(200);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(64, 7).toString('base64url')}`;
    for (let i = 0; i < 2; i++) {
      const res = await get(`Bearer ${forged}`);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'invalid-token', detail: 'The token signature is not valid' });
    }
    // A token signed by a key the service does not hold is refused every time, too.
    const { privateKey } = await generateKeyPair('ES256');
    const stranger = await craft({ key: privateKey });
    for (let i = 0; i < 2; i++) expect((await get(`Bearer ${stranger}`)).statusCode).toBe(401);
  });

  it('answers 401 unauthenticated without a token, with WWW-Authenticate', async () => {
    const res = await get();
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toMatchObject({ status: 401, code: 'unauthenticated', type: `${TEST_ISSUER}/problems/unauthenticated` });
  });

  const cases: [string, () => Promise<string>, string][] = [
    ['a non-Bearer scheme', async () => 'Basic d2l0dGVuOnNlY3JldA==', 'The Authorization header must be `Bearer <JWT>`'],
    ['garbage', async () => 'Bearer not-a-jwt', 'The Authorization header must be `Bearer <JWT>`'],
    ['a wrong issuer', async () => `Bearer ${await craft({ iss: 'https://evil.example' })}`, 'The token was issued by an issuer this service does not trust'],
    ['a wrong audience', async () => `Bearer ${await craft({ aud: 'other-service' })}`, 'The token is meant for another audience'],
    ['an expired token', async () => `Bearer ${await craft({ exp: Math.floor(Date.now() / 1000) - 60 })}`, 'The token has expired'],
    ['a token not yet valid', async () => `Bearer ${await craft({ nbf: Math.floor(Date.now() / 1000) + 600 })}`, 'The token is not yet valid'],
    ['a forged signature (another key, same kid)', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return `Bearer ${await craft({ key: privateKey })}`;
    }, 'The token signature is not valid'],
    ['an unknown key id', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return `Bearer ${await craft({ key: privateKey, kid: 'unknown-kid' })}`;
    }, 'The token is signed with an unknown key'],
    ['an algorithm outside the allow-list (HS256)', async () => {
      const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
      const token = await new SignJWT({ tenant: 'witten', roles: [] })
        .setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(TEST_ISSUER).setAudience('en-akte')
        .setExpirationTime('5m').sign(secret);
      return `Bearer ${token}`;
    }, 'The token is signed with an algorithm that is not allowed'],
    ['alg none', async () => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `Bearer ${enc({ alg: 'none' })}.${enc({ sub: 'x', tenant: 'witten', iss: TEST_ISSUER, aud: 'en-akte', exp: 9999999999 })}.x`;
    }, 'The token is signed with an algorithm that is not allowed'],
    ['a token of the service key without the access-token type (typ JWT)', async () => `Bearer ${await craft({ typ: 'JWT' })}`, 'The token is not an access token (typ must be at+jwt)'],
    ['a token of the service key without any type', async () => `Bearer ${await craft({ typ: null })}`, 'The token is not an access token (typ must be at+jwt)'],
    ['an audit checkpoint signed with the service key, presented as a token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: 'alice', tenant: 'witten', roles: ['clerk'], iss: TEST_ISSUER, aud: 'en-akte', exp: now + 300 };
      return `Bearer ${await t.deps.keys.signDocument(claims, 'en-akte-audit-anchor+jws')}`;
    }, 'The token is not an access token (typ must be at+jwt)'],
    ['no tenant claim', async () => `Bearer ${await craft({ claims: { tenant: undefined } })}`, "The token has no valid 'tenant' claim"],
    ['a malformed tenant claim', async () => `Bearer ${await craft({ claims: { tenant: '../witten' } })}`, "The token has no valid 'tenant' claim"],
    ['malformed roles', async () => `Bearer ${await craft({ claims: { roles: [1, 2] } })}`, "The token's 'roles' claim is malformed"],
  ];

  for (const [name, header, detail] of cases) {
    it(`answers 401 invalid-token for ${name}`, async () => {
      const res = await get(await header());
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ status: 401, code: 'invalid-token', detail });
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });
  }

  it('publishes the verification key at /.well-known/jwks.json without the private part', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    const { keys } = res.json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: (await ownKey()).kid });
    expect(keys[0].d).toBeUndefined();
  });

  it('never leaks a public JWK with a private component even when exported from a private key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    expect((await exportJWK(privateKey)).d).toBeDefined(); // the file holds private keys…
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(JSON.stringify(res.json())).not.toContain('"d"'); // …the endpoint never does
  });
});
