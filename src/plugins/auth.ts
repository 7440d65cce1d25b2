import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createRemoteJWKSet, decodeJwt, errors as jose, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import { isConfidentiality, type Caller } from '../core/index.js';
import { errors } from '../errors.js';
import { bearerJwt } from '../lib/authorization.js';
import { publicAccess } from '../schemas/access.js';
import { ACCESS_TOKEN_TYPE, JWKS_MAX_KEYS, type SigningKeys, type TokenClaims } from '../auth/keys.js';
import { createTokenCache } from '../auth/token-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for routes that need a bearer token. */
    authenticate: (request: FastifyRequest) => Promise<void>;
    /** Issues tokens signed with the service's own key (dev tokens, OAuth clients, tests). */
    tokens: { sign(claims: TokenClaims, ttlSeconds?: number): Promise<string>; jwks: SigningKeys['jwks'] };
  }
  interface FastifyRequest {
    /** The verified caller of a /v1 request (set by `authenticate`). */
    caller: Caller | null;
  }
}

const SLUG = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

function describeJoseError(err: unknown): string {
  if (err instanceof jose.JWTExpired) return 'The token has expired';
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'The token is not yet valid';
    if (err.claim === 'iss') return 'The token was issued by an issuer this service does not trust';
    if (err.claim === 'aud') return 'The token is meant for another audience';
    if (err.claim === 'typ') return `The token is not an access token (typ must be ${ACCESS_TOKEN_TYPE})`;
    return `The token claim '${err.claim}' is missing or not acceptable`;
  }
  if (err instanceof jose.JOSEAlgNotAllowed) return 'The token is signed with an algorithm that is not allowed';
  if (err instanceof jose.JWSSignatureVerificationFailed) return 'The token signature is not valid';
  if (err instanceof jose.JWKSNoMatchingKey) return 'The token is signed with an unknown key';
  if (err instanceof jose.JWKSMultipleMatchingKeys) return 'The token key id is ambiguous';
  if (err instanceof jose.JWKSTimeout || err instanceof jose.JWKSInvalid) return 'The signing keys could not be fetched';
  if (err instanceof jose.JWSInvalid || err instanceof jose.JWTInvalid || err instanceof jose.JOSENotSupported) {
    return 'The token is malformed';
  }
  return 'The token is not valid';
}

/** A claim by dotted path (`realm_access.roles`); a key containing dots is tried whole first. */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return (payload as Record<string, unknown>)[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

interface ClaimMap {
  tenantClaim: string;
  rolesClaim: string;
  clearanceClaim: string;
}
const OWN_CLAIMS: ClaimMap = { tenantClaim: 'tenant', rolesClaim: 'roles', clearanceClaim: 'clearance' };

function toCaller(payload: JWTPayload, map: ClaimMap = OWN_CLAIMS): Caller {
  const tenant = claimAt(payload, map.tenantClaim);
  if (typeof tenant !== 'string' || !SLUG.test(tenant)) throw errors.invalidToken("The token has no valid 'tenant' claim");
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) {
    throw errors.invalidToken("The token has no valid 'sub' claim");
  }
  const raw = claimAt(payload, map.rolesClaim);
  const roles = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  if (!roles.every((r): r is string => typeof r === 'string' && r.length > 0 && r.length <= 64)) {
    throw errors.invalidToken("The token's 'roles' claim is malformed");
  }
  const clearance = claimAt(payload, map.clearanceClaim);
  if (clearance !== undefined && !isConfidentiality(clearance)) {
    throw errors.invalidToken("The token's 'clearance' claim is not a confidentiality level (003, 002, 005, 001, 004)");
  }
  return {
    tenant,
    subject: payload.sub,
    roles,
    clearance,
    // Keycloak puts the client of a client-credentials token in azp (and client_id).
    clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined,
    tokenId: payload.jti,
  };
}

/**
 * Bearer-token authentication with `jose`. Tokens of the service itself (issuer PUBLIC_URL; its own
 * keys, published at /.well-known/jwks.json) and, when configured, of an external IdP such as
 * Keycloak (AUTH_ISSUER, keys from AUTH_JWKS_URL fetched with a cooldown so a burst of unknown key
 * ids cannot flood it; tenant and roles read from configurable claims).
 */
const jwkPart = (description: string) => ({ type: 'string', maxLength: 2000, pattern: '^[A-Za-z0-9_-]+$', description }) as const;
/** A public key of the JWKS (RFC 7517), as src/auth/keys.ts publishes it: RSA (n, e) or elliptic-curve (crv, x, y) members. */
const PUBLIC_JWK = {
  type: 'object',
  required: ['kid', 'kty', 'alg', 'use'],
  additionalProperties: false,
  properties: {
    kid: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_.-]+$', description: 'Key id (the JWK thumbprint, RFC 7638): the `kid` in the header of the tokens it verifies' },
    kty: { type: 'string', enum: ['RSA', 'EC', 'OKP'], description: 'Key type' },
    alg: { type: 'string', maxLength: 10, pattern: '^[A-Za-z0-9]+$', description: 'Signing algorithm of the key (ES256 for keys this service makes)' },
    use: { type: 'string', enum: ['sig'], description: 'Always sig: the key verifies signatures' },
    crv: { type: 'string', enum: ['P-256', 'P-384', 'P-521', 'Ed25519'], description: 'Curve (EC and OKP keys)' },
    x: jwkPart('Public x coordinate, base64url (EC and OKP keys)'),
    y: jwkPart('Public y coordinate, base64url (EC keys)'),
    n: jwkPart('Modulus, base64url (RSA keys)'),
    e: jwkPart('Public exponent, base64url (RSA keys)'),
  },
} as const;

export default fp(
  async function authPlugin(app: FastifyInstance, opts: { auth: Config['auth']; keys: SigningKeys }) {
    const { auth, keys } = opts;
    // The keys as they are now: shared keys pick up a rotation without a restart (src/auth/keys.ts).
    const own = keys.verificationKey;
    const external = auth.external
      ? {
          ...auth.external,
          keys: createRemoteJWKSet(new URL(auth.external.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 }),
        }
      : undefined;

    // Verified tokens for the rest of their lifetime, while their key is still trusted: the own key
    // set as it is now (keys.jwks), the IdP's as last fetched (an entry is not used when the IdP's
    // keys are not cached: the verifier fetches them again).
    const cache = createTokenCache();
    const trusted = (source: 'own' | 'external', kid: string | undefined) => {
      const set = source === 'own' ? keys.jwks : external?.keys.jwks();
      return !!set && set.keys.some((k) => k.kid === kid);
    };

    app.decorateRequest('caller', null);
    app.decorate('tokens', {
      get jwks() {
        return keys.jwks;
      },
      sign: (claims: TokenClaims, ttlSeconds = auth.tokenTtl) =>
        keys.sign(claims, { issuer: auth.issuer, audience: auth.audience, ttlSeconds }),
    });
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      if (!header) throw errors.unauthenticated();
      const jwt = bearerJwt(header);
      if (!jwt) throw errors.invalidToken('The Authorization header must be `Bearer <JWT>`');
      const cached = cache.get(jwt, trusted);
      if (cached) {
        request.caller = cached;
        return;
      }
      // The (unverified) issuer only picks the key set; the verification then pins that issuer.
      let issuer: unknown;
      try {
        issuer = decodeJwt(jwt).iss;
      } catch {
        throw errors.invalidToken('The token is malformed');
      }
      const source = issuer === auth.issuer ? undefined : external && issuer === external.issuer ? external : null;
      if (source === null) throw errors.invalidToken('The token was issued by an issuer this service does not trust');
      let payload: JWTPayload;
      let kid: string | undefined;
      try {
        ({ payload, protectedHeader: { kid } } = await jwtVerify(jwt, source ? source.keys : own, {
          issuer: source ? source.issuer : auth.issuer,
          audience: auth.audience,
          // Our own tokens are explicitly typed; an external IdP's typing is its own affair.
          ...(source ? {} : { typ: ACCESS_TOKEN_TYPE }),
          algorithms: auth.algorithms,
          clockTolerance: auth.clockTolerance,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        throw errors.invalidToken(describeJoseError(err));
      }
      const caller = toCaller(payload, source ?? OWN_CLAIMS);
      if (source && !caller.clientId && typeof payload.azp === 'string' && payload.sub?.startsWith('service-account-')) {
        caller.clientId = payload.azp;
      }
      cache.set(jwt, caller, payload.exp!, source ? 'external' : 'own', kid);
      request.caller = caller;
    });

    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          tags: ['auth'],
          operationId: 'getJwks',
          summary: 'Public keys that verify tokens issued by this service',
          ...publicAccess(
            'JSON Web Key Set (RFC 7517). Keys are rotated by adding a new first key; old keys stay until their tokens expired. ' +
              'Cacheable for 5 minutes (Cache-Control). Not rate-limited.',
            'no token; for token verifiers',
          ),
          response: {
            200: {
              description: 'The key set',
              type: 'object',
              properties: { keys: { type: 'array', maxItems: JWKS_MAX_KEYS, items: PUBLIC_JWK } },
              required: ['keys'],
            },
          },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return keys.jwks;
      },
    );
  },
  { name: 'auth', dependencies: ['errors'], fastify: '5.x' },
);
