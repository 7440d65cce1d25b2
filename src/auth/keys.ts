import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CompactSign,
  compactVerify,
  createLocalJWKSet,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { uuidv7 } from 'uuidv7';

export const SIGNING_ALG = 'ES256';

interface StoredKey extends JWK {
  kid: string;
  alg: string;
}

/** The service's own signing keys. The first key signs; all keys verify (rotation keeps old ones). */
export interface SigningKeys {
  jwks: JSONWebKeySet;
  sign(claims: TokenClaims, opts: { issuer: string; audience: string; ttlSeconds: number }): Promise<string>;
  /** A signed document (compact JWS, `typ` in its header), e.g. an audit checkpoint. */
  signDocument(payload: object, typ: string): Promise<string>;
  /** The payload of a document this service signed (with any key still in its key file); null when the signature fails. */
  verifyDocument(jws: string, typ: string): Promise<{ payload: unknown; kid: string } | null>;
}

export interface TokenClaims {
  sub: string;
  tenant: string;
  roles: string[];
  [claim: string]: unknown;
}

/**
 * The `typ` of the access tokens this service issues (RFC 9068; explicit typing per RFC 8725 §3.11):
 * nothing else signed with the same key (an audit checkpoint) passes as a token.
 */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Most keys the JWKS lists (the current one and those whose tokens may still be in use). */
export const JWKS_MAX_KEYS = 10;

async function newKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' };
}

/**
 * Rotates the signing key: a new key signs from the next start on; the previous ones stay in the
 * file (and the JWKS) so tokens they signed verify until they expire. Keeps `keep` keys in all.
 */
export async function rotateSigningKeys(file: string, keep = 3): Promise<{ kid: string; retained: number }> {
  const stored = (JSON.parse(await readFile(file, 'utf8')) as { keys: StoredKey[] }).keys;
  const fresh = await newKey();
  const keys = [fresh, ...stored].slice(0, Math.min(JWKS_MAX_KEYS, Math.max(2, keep)));
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
  await rename(tmp, file);
  return { kid: fresh.kid, retained: keys.length };
}

async function readKeys(file: string): Promise<StoredKey[]> {
  const stored = (JSON.parse(await readFile(file, 'utf8')) as { keys: StoredKey[] }).keys;
  if (!Array.isArray(stored) || stored.length === 0) throw new Error(`${file} holds no keys`);
  return stored;
}

/**
 * Loads the key file, creating it with a fresh ES256 key pair on first start (mode 0600). The new
 * file is written whole under a private name and linked into place, which fails if another
 * instance got there first: instances starting at once end up with the same key.
 */
export async function loadOrCreateSigningKeys(file: string): Promise<SigningKeys> {
  let stored: StoredKey[];
  try {
    stored = await readKeys(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ keys: [await newKey()] }, null, 2), { mode: 0o600 });
    try {
      await link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await unlink(tmp);
    }
    stored = await readKeys(file);
  }
  const active = stored[0]!;
  const signingKey = (await importJWK(active, active.alg)) as CryptoKey;
  const jwks: JSONWebKeySet = {
    keys: stored.map(({ kid, alg, kty, crv, x, y, n, e }) => ({ kid, alg, kty, crv, x, y, n, e, use: 'sig' })).map(
      (k) => Object.fromEntries(Object.entries(k).filter(([, v]) => v !== undefined)) as JWK,
    ),
  };
  const verificationKeys = createLocalJWKSet(jwks);
  return {
    jwks,
    signDocument: (payload, typ) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: active.alg, kid: active.kid, typ }).sign(signingKey),
    async verifyDocument(jws, typ) {
      try {
        const { payload, protectedHeader } = await compactVerify(jws, verificationKeys, { algorithms: [SIGNING_ALG] });
        if (protectedHeader.typ !== typ) return null;
        return { payload: JSON.parse(new TextDecoder().decode(payload)) as unknown, kid: protectedHeader.kid ?? '' };
      } catch {
        return null;
      }
    },
    async sign(claims, opts) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(opts.issuer)
        .setAudience(opts.audience)
        .setIssuedAt()
        .setNotBefore('0s')
        .setJti(uuidv7())
        .setExpirationTime(`${opts.ttlSeconds}s`)
        .sign(signingKey);
    },
  };
}
