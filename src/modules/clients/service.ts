import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { TokenClaims } from '../../auth/keys.js';
import { hashSecret, newSecret, verifySecret } from '../../auth/secrets.js';
import {
  actorOf,
  authorize,
  CONFIDENTIALITY_NAMES,
  DEFAULT_CLEARANCE,
  within,
  type Confidentiality,
  type RequestContext,
  type Scope,
} from '../../core/index.js';
import type { Db } from '../../db/client.js';
import { AppError, errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Versioned } from '../../lib/reply.js';
import { clientRepo, clientsForToken, type ClientRow } from './repo.js';
import type { ApiClient } from './schemas.js';

export function toApiClient(row: ClientRow): ApiClient {
  return {
    id: row.id,
    clientId: row.clientId,
    name: row.name,
    roles: row.roles as ApiClient['roles'],
    maxConfidentiality: row.maxConfidentiality as Confidentiality,
    disabled: row.disabledAt !== null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    secretRotatedAt: row.secretRotatedAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
  };
}

const versioned = (row: ClientRow): Versioned<ApiClient> => ({ value: toApiClient(row), etag: etagOf(row.id, row.rowVersion) });

/** A client id a town can read on the phone: tenant, name, random suffix. */
function newClientId(tenant: string, name: string): string {
  const slug = name.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 30) || 'client';
  return `${tenant}-${slug}-${randomBytes(5).toString('hex')}`;
}

/** RFC 6749 §5.2 error, carried in problem+json (`error` for OAuth libraries, `code` for ours). */
function oauthError(status: 400 | 401, error: string, description: string): AppError {
  const base = status === 401 ? errors.invalidClient(description) : errors.badRequest(description);
  return new AppError(status, base.code, base.title, description, { error, error_description: description }, base.headers);
}

/** Machine clients of a tenant and the OAuth 2.0 client-credentials token endpoint. */
export function createClientService(deps: {
  scope: Scope;
  db: Db;
  sign: (claims: TokenClaims) => Promise<string>;
  tokenTtl: number;
}) {
  const { scope } = deps;

  // Secrets are hashed before the unit of work opens: scrypt takes tens of milliseconds.
  async function changeSecretOrState(ctx: RequestContext, id: string, ifMatch: string | undefined, what: 'rotate' | 'disable') {
    authorize(ctx, 'clients:manage');
    const secret = what === 'rotate' ? newSecret() : undefined;
    const secretHash = secret ? await hashSecret(secret) : undefined;
    const v = await scope(ctx, async (uow) => {
      const repo = uow.repo(clientRepo);
      const row = await repo.findById(id);
      if (!row) throw errors.notFound('client');
      requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
      if (row.disabledAt) throw errors.conflict('The client is disabled');
      const changed = await repo.update(
        id, row.rowVersion,
        what === 'rotate' ? { secretHash, secretRotatedAt: new Date() } : { disabledAt: new Date() },
      );
      // Someone changed it since it was read (a concurrent rotation): this secret would never work.
      if (!changed) throw errors.preconditionFailed();
      await uow.audit.append({
        action: what === 'rotate' ? 'client.secret-rotated' : 'client.disabled',
        objectType: 'client',
        objectId: id,
        new: { clientId: row.clientId },
      });
      return versioned((await repo.findById(id))!);
    });
    return { ...v, secret };
  }

  return {
    /** Registers a client; the secret is returned once and stored only as a scrypt hash. */
    async createClient(ctx: RequestContext, input: { name: string; roles: string[]; maxConfidentiality?: Confidentiality }) {
      authorize(ctx, 'clients:manage');
      const maxConfidentiality = input.maxConfidentiality ?? DEFAULT_CLEARANCE;
      const own = ctx.caller.clearance ?? DEFAULT_CLEARANCE;
      if (!within(maxConfidentiality, own)) {
        throw errors.forbidden(`A client cleared for ${maxConfidentiality} (${CONFIDENTIALITY_NAMES[maxConfidentiality]}) needs an admin with that clearance; yours is ${own}`);
      }
      const secret = newSecret();
      const secretHash = await hashSecret(secret);
      const v = await scope(ctx, async (uow) => {
        const row = await uow.repo(clientRepo).create({
          id: uuidv7(),
          clientId: newClientId(ctx.tenant.slug, input.name),
          name: input.name,
          roles: input.roles,
          maxConfidentiality,
          secretHash,
          createdBy: actorOf(ctx.caller),
        });
        const created = versioned(row);
        await uow.audit.append({ action: 'client.created', objectType: 'client', objectId: row.id, new: created.value });
        return created;
      });
      return { ...v, secret };
    },

    async listClients(ctx: RequestContext, q: { limit: number; cursor?: string }) {
      authorize(ctx, 'clients:manage');
      const after = afterId(q.cursor);
      const rows = await scope(ctx, async (uow) => uow.repo(clientRepo).page({ afterId: after, limit: q.limit + 1 }));
      return idPage(rows, q.limit, toApiClient);
    },

    async getClient(ctx: RequestContext, id: string) {
      authorize(ctx, 'clients:manage');
      const row = await scope(ctx, async (uow) => uow.repo(clientRepo).findById(id));
      if (!row) throw errors.notFound('client');
      return versioned(row);
    },

    rotateSecret: (ctx: RequestContext, id: string, ifMatch: string | undefined) => changeSecretOrState(ctx, id, ifMatch, 'rotate'),
    disableClient: (ctx: RequestContext, id: string, ifMatch: string | undefined) => changeSecretOrState(ctx, id, ifMatch, 'disable'),

    /** OAuth 2.0 client credentials (RFC 6749 §4.4): a short-lived token with the client's tenant and roles. */
    async issueToken(input: { grantType?: string; clientId?: string; clientSecret?: string }) {
      if (input.grantType !== 'client_credentials') {
        throw oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
      }
      if (!input.clientId || !input.clientSecret) throw oauthError(401, 'invalid_client', 'Client authentication failed');
      const client = await clientsForToken(deps.db).find(input.clientId);
      // Hash even when the client is unknown, so timing does not tell which client ids exist.
      const ok = await verifySecret(input.clientSecret, client?.secretHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43));
      if (!client || !ok || client.disabled) throw oauthError(401, 'invalid_client', 'Client authentication failed');
      const token = await deps.sign({
        sub: input.clientId,
        client_id: input.clientId,
        tenant: client.tenantSlug,
        roles: client.roles,
        clearance: client.maxConfidentiality,
      });
      return { access_token: token, token_type: 'Bearer' as const, expires_in: deps.tokenTtl };
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
