import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { TokenClaims } from '../../auth/keys.js';
import { actorOf, authorize } from '../../auth/permissions.js';
import { hashSecret, newSecret, verifySecret } from '../../auth/secrets.js';
import type { Db } from '../../db/client.js';
import type { TenantTx } from '../../db/tenant-tx.js';
import { AppError, errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Principal } from '../../plugins/auth.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import { appendAudit } from '../audit/writer.js';
import type { Versioned } from '../../lib/reply.js';
import { clientRepo, type ClientRow } from './repo.js';
import type { ApiClient } from './schemas.js';

export function toApiClient(row: ClientRow): ApiClient {
  return {
    id: row.id,
    clientId: row.clientId,
    name: row.name,
    roles: row.roles as ApiClient['roles'],
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
  const base = status === 401 ? errors.invalidToken(description) : errors.badRequest(description);
  return new AppError(status, base.code, base.title, description, { error, error_description: description },
    status === 401 ? { 'www-authenticate': 'Basic realm="en-akte"' } : {});
}

/** Machine clients of a tenant and the OAuth 2.0 client-credentials token endpoint. */
export function createClientService(deps: {
  tx: TenantTx;
  db: Db;
  sign: (claims: TokenClaims) => Promise<string>;
  tokenTtl: number;
}) {
  const { tx } = deps;

  async function changeSecretOrState(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, what: 'rotate' | 'disable') {
    authorize(caller, 'clients:manage');
    const secret = what === 'rotate' ? newSecret() : undefined;
    const secretHash = secret ? await hashSecret(secret) : undefined;
    const v = await tx(tenant.id, async (t) => {
      const row = await clientRepo.findById(t, tenant.id, id);
      if (!row) throw errors.notFound('client');
      requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
      if (row.disabledAt) throw errors.conflict('The client is disabled');
      const changed = await clientRepo.update(
        t, tenant.id, id, row.rowVersion,
        what === 'rotate' ? { secretHash, secretRotatedAt: new Date() } : { disabledAt: new Date() },
      );
      // Someone changed it since it was read (a concurrent rotation): this secret would never work.
      if (!changed) throw errors.preconditionFailed();
      await appendAudit(t, tenant.id, caller, {
        action: what === 'rotate' ? 'client.secret-rotated' : 'client.disabled',
        objectType: 'client',
        objectId: id,
        new: { clientId: row.clientId },
      });
      return versioned((await clientRepo.findById(t, tenant.id, id))!);
    });
    return { ...v, secret };
  }

  return {
    /** Registers a client; the secret is returned once and stored only as a scrypt hash. */
    async createClient(caller: Principal, tenant: TenantRef, input: { name: string; roles: string[] }) {
      authorize(caller, 'clients:manage');
      const secret = newSecret();
      const secretHash = await hashSecret(secret);
      const v = await tx(tenant.id, async (t) => {
        const row = await clientRepo.create(t, {
          id: uuidv7(),
          tenantId: tenant.id,
          clientId: newClientId(tenant.slug, input.name),
          name: input.name,
          roles: input.roles,
          secretHash,
          createdBy: actorOf(caller),
        });
        const created = versioned(row);
        await appendAudit(t, tenant.id, caller, { action: 'client.created', objectType: 'client', objectId: row.id, new: created.value });
        return created;
      });
      return { ...v, secret };
    },

    async listClients(caller: Principal, tenant: TenantRef, q: { limit: number; cursor?: string }) {
      authorize(caller, 'clients:manage');
      const after = afterId(q.cursor);
      const rows = await tx(tenant.id, (t) => clientRepo.page(t, tenant.id, { afterId: after, limit: q.limit + 1 }));
      return idPage(rows, q.limit, toApiClient);
    },

    async getClient(caller: Principal, tenant: TenantRef, id: string) {
      authorize(caller, 'clients:manage');
      const row = await tx(tenant.id, (t) => clientRepo.findById(t, tenant.id, id));
      if (!row) throw errors.notFound('client');
      return versioned(row);
    },

    rotateSecret: (caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined) =>
      changeSecretOrState(caller, tenant, id, ifMatch, 'rotate'),
    disableClient: (caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined) =>
      changeSecretOrState(caller, tenant, id, ifMatch, 'disable'),

    /** OAuth 2.0 client credentials (RFC 6749 §4.4): a short-lived token with the client's tenant and roles. */
    async issueToken(input: { grantType?: string; clientId?: string; clientSecret?: string }) {
      if (input.grantType !== 'client_credentials') {
        throw oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
      }
      if (!input.clientId || !input.clientSecret) throw oauthError(401, 'invalid_client', 'Client authentication failed');
      const client = await clientRepo.forToken(deps.db, input.clientId);
      // Hash even when the client is unknown, so timing does not tell which client ids exist.
      const ok = await verifySecret(input.clientSecret, client?.secretHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(43));
      if (!client || !ok || client.disabled) throw oauthError(401, 'invalid_client', 'Client authentication failed');
      const token = await deps.sign({ sub: input.clientId, client_id: input.clientId, tenant: client.tenantSlug, roles: client.roles });
      return { access_token: token, token_type: 'Bearer' as const, expires_in: deps.tokenTtl };
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
