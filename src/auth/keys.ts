import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import {
  CompactSign,
  compactVerify,
  createLocalJWKSet,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  errors as jose,
  importJWK,
  SignJWT,
  type JWTVerifyGetKey,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { uuidv7 } from 'uuidv7';
import { createSealer } from '../lib/sealed.js';

export const SIGNING_ALG = 'ES256';

interface StoredKey extends JWK {
  kid: string;
  alg: string;
}

/** The service's own signing keys. The first key signs; all keys verify (rotation keeps old ones). */
export interface SigningKeys {
  /** The public keys as they are now (a rotation elsewhere shows after the next reload). */
  readonly jwks: JSONWebKeySet;
  /** Resolves a token's key among the current keys (jose's getKey); an unknown kid reloads first. */
  verificationKey: JWTVerifyGetKey;
  sign(claims: TokenClaims, opts: { issuer: string; audience: string; ttlSeconds: number }): Promise<string>;
  /** A signed document (compact JWS, `typ` in its header), e.g. an audit checkpoint. */
  signDocument(payload: object, typ: string): Promise<string>;
  /** The payload of a document this service signed (with any key still in its key file); null when the signature fails. */
  verifyDocument(jws: string, typ: string): Promise<{ payload: unknown; kid: string } | null>;
  /** Stops the reloads and closes the connection (keys shared through PostgreSQL). */
  close(): Promise<void>;
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
  return keysOf(stored);
}

/** Public parts only, in the JWKS's shape. */
function publicJwk({ kid, alg, kty, crv, x, y, n, e }: StoredKey): JWK {
  return Object.fromEntries(Object.entries({ kid, alg, kty, crv, x, y, n, e, use: 'sig' }).filter(([, v]) => v !== undefined)) as JWK;
}

interface KeyState {
  active: { kid: string; alg: string; key: CryptoKey };
  jwks: JSONWebKeySet;
  local: JWTVerifyGetKey;
}

async function stateOf(active: StoredKey, all: JWK[]): Promise<KeyState> {
  const jwks: JSONWebKeySet = { keys: all };
  return { active: { kid: active.kid, alg: active.alg, key: (await importJWK(active, active.alg)) as CryptoKey }, jwks, local: createLocalJWKSet(jwks) };
}

/** SigningKeys over a state that `reload` may replace (shared keys pick up rotations). */
function keysOver(current: () => KeyState, reload: () => Promise<boolean>, close: () => Promise<void>): SigningKeys {
  return {
    get jwks() {
      return current().jwks;
    },
    async verificationKey(header, token) {
      const tried = current();
      try {
        return await tried.local(header, token);
      } catch (err) {
        // A token of a key another instance just added: look again (or take what a reload that ran
        // meanwhile found), then decide.
        if (err instanceof jose.JWKSNoMatchingKey && ((await reload()) || current() !== tried)) return current().local(header, token);
        throw err;
      }
    },
    close,
    signDocument: (payload, typ) => {
      const { active } = current();
      return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: active.alg, kid: active.kid, typ }).sign(active.key);
    },
    async verifyDocument(jws, typ) {
      const tried = current();
      const verify = () => compactVerify(jws, current().local, { algorithms: [SIGNING_ALG] });
      try {
        let result;
        try {
          result = await verify();
        } catch (err) {
          if (!(err instanceof jose.JWKSNoMatchingKey && ((await reload()) || current() !== tried))) throw err;
          result = await verify();
        }
        if (result.protectedHeader.typ !== typ) return null;
        return { payload: JSON.parse(new TextDecoder().decode(result.payload)) as unknown, kid: result.protectedHeader.kid ?? '' };
      } catch {
        return null;
      }
    },
    async sign(claims, opts) {
      const { active } = current();
      return new SignJWT(claims)
        .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(opts.issuer)
        .setAudience(opts.audience)
        .setIssuedAt()
        .setNotBefore('0s')
        .setJti(uuidv7())
        .setExpirationTime(`${opts.ttlSeconds}s`)
        .sign(active.key);
    },
  };
}

async function keysOf(stored: StoredKey[]): Promise<SigningKeys> {
  const state = await stateOf(stored[0]!, stored.map(publicJwk));
  return keysOver(() => state, async () => false, async () => undefined);
}

/** How often an instance looks for keys another instance (or keys:rotate) added. */
export const SIGNING_KEYS_RELOAD_MS = 30_000;
/** An unknown kid reloads at most this often (a flood of made-up kids costs one query per interval). */
const RELOAD_ON_UNKNOWN_KID_MS = 1_000;
const KEYS_LOCK = 'en_akte.signing_key';

interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  private_sealed: string;
}

async function insertKeys(client: pg.ClientBase, keys: StoredKey[], seal: (plain: string) => string): Promise<void> {
  // Oldest first, so that created_at (clock_timestamp) orders them as the list does: the first signs.
  for (const key of [...keys].reverse()) {
    await client.query('INSERT INTO signing_key (kid, alg, public_jwk, private_sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (kid) DO NOTHING', [
      key.kid,
      key.alg,
      JSON.stringify(publicJwk(key)),
      seal(JSON.stringify(key)),
    ]);
  }
}

/** The database holds no signing key (or no signing_key table): a key made there would be one no server knows. */
export class NoSigningKeyError extends Error {
  constructor(readonly reason: 'empty' | 'no-table') {
    super(reason === 'empty' ? 'The table signing_key holds no keys' : 'The database has no table signing_key (no EN-Akte schema)');
    this.name = 'NoSigningKeyError';
  }
}

/**
 * The signing keys every instance shares through PostgreSQL (table signing_key). The private keys
 * are sealed with the data key (SECRETS_KEY_FILE), which the instances share and the database does
 * not hold. On the first start, under an advisory lock so that instances starting at once agree,
 * an existing key file (AUTH_KEY_FILE, the store before this one) is imported once, or a fresh key
 * is made. Each instance reloads every `reloadMs`, and at once when a token names a key it does
 * not know yet, so a rotation reaches every instance without a restart. `create: false` (a script
 * minting tokens) makes and imports nothing: an empty table is a NoSigningKeyError.
 */
export async function loadSharedSigningKeys(opts: {
  databaseUrl: string;
  dataKey: Buffer;
  importFile?: string;
  reloadMs?: number;
  create?: boolean;
}): Promise<SigningKeys> {
  const sealer = createSealer(opts.dataKey);
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 2, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [KEYS_LOCK]);
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM signing_key').catch((err: unknown) => {
        // 42P01 undefined_table: not a database EN-Akte ever prepared.
        if ((err as { code?: string }).code === '42P01') throw new NoSigningKeyError('no-table');
        throw err;
      });
      if (Number(rows[0]!.n) === 0) {
        if (opts.create === false) throw new NoSigningKeyError('empty');
        const keys = opts.importFile && existsSync(opts.importFile) ? await readKeys(opts.importFile) : [await newKey()];
        await insertKeys(client, keys, sealer.seal);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    const read = async (): Promise<{ kids: string; build: () => Promise<KeyState> }> => {
      const { rows } = await pool.query<KeyRow>('SELECT kid, alg, public_jwk, private_sealed FROM signing_key ORDER BY created_at DESC, kid LIMIT $1', [JWKS_MAX_KEYS]);
      if (rows.length === 0) throw new Error('The signing_key table holds no keys');
      return {
        kids: rows.map((r) => r.kid).join(','),
        build: async () => {
          let active: StoredKey;
          try {
            active = JSON.parse(sealer.open(rows[0]!.private_sealed)) as StoredKey;
          } catch {
            throw new Error(
              `The signing key ${rows[0]!.kid} cannot be opened with this data key: every instance must share the same SECRETS_KEY_FILE`,
            );
          }
          return stateOf(active, rows.map((r) => r.public_jwk));
        },
      };
    };
    const first = await read();
    let state = await first.build();
    let kids = first.kids;
    let lastReload = Date.now();
    // One reload at a time: a token of an unknown key that meets the periodic reload in flight waits for it.
    let inflight: Promise<boolean> | null = null;
    const reload = (): Promise<boolean> =>
      (inflight ??= (async () => {
        lastReload = Date.now();
        const found = await read();
        if (found.kids === kids) return false;
        state = await found.build();
        kids = found.kids;
        return true;
      })().finally(() => {
        inflight = null;
      }));
    const timer = setInterval(() => void reload().catch(() => undefined), opts.reloadMs ?? SIGNING_KEYS_RELOAD_MS);
    timer.unref();
    return keysOver(
      () => state,
      async () => {
        if (inflight) return inflight.catch(() => false);
        return Date.now() - lastReload < RELOAD_ON_UNKNOWN_KID_MS ? false : reload().catch(() => false);
      },
      async () => {
        clearInterval(timer);
        await pool.end();
      },
    );
  } catch (err) {
    await pool.end();
    throw err;
  }
}

/**
 * Rotates the shared signing keys: a new key signs on every instance from its next reload (at most
 * SIGNING_KEYS_RELOAD_MS; a token of the new key makes an instance reload at once). The previous
 * keys verify on until they drop out of the newest `keep` (deleted when `ownerUrl` is given: the
 * API login may add keys, never delete them).
 */
export async function rotateSharedSigningKeys(opts: { databaseUrl: string; ownerUrl?: string; dataKey: Buffer; keep?: number }): Promise<{ kid: string; retained: number }> {
  const keep = Math.min(JWKS_MAX_KEYS, Math.max(2, opts.keep ?? 3));
  const fresh = await newKey();
  const client = new pg.Client({ connectionString: opts.ownerUrl ?? opts.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [KEYS_LOCK]);
    await insertKeys(client, [fresh], createSealer(opts.dataKey).seal);
    if (opts.ownerUrl) {
      await client.query('DELETE FROM signing_key WHERE kid NOT IN (SELECT kid FROM signing_key ORDER BY created_at DESC, kid LIMIT $1)', [keep]);
    }
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM signing_key');
    await client.query('COMMIT');
    return { kid: fresh.kid, retained: Math.min(Number(rows[0]!.n), JWKS_MAX_KEYS) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
