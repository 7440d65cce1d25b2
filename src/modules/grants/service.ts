import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, can, GRANT_SCOPE_ROLES } from '../../auth/permissions.js';
import type { TenantTx } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Principal } from '../../plugins/auth.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import { appendAudit } from '../audit/writer.js';
import type { Versioned } from '../../lib/reply.js';
import { fileRepo } from '../files/repo.js';
import { COMPETENCE_CENTRE } from '../tenants/service.js';
import { grantRepo, type GrantRow } from './repo.js';
import type { RequestGrant, SupportGrant } from './schemas.js';

export function toSupportGrant(row: GrantRow, now = new Date()): SupportGrant {
  const expired = row.status === 'approved' && row.validUntil !== null && row.validUntil <= now;
  return {
    id: row.id,
    grantee: row.grantee,
    requestedBy: row.requestedBy,
    scope: row.scope === 'read_write' ? 'read-write' : 'read',
    fileId: row.fileId,
    reason: row.reason,
    ticket: row.ticket,
    durationHours: row.durationHours,
    status: expired ? 'expired' : row.status,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    validFrom: row.validFrom?.toISOString() ?? null,
    validUntil: row.validUntil?.toISOString() ?? null,
    revokedBy: row.revokedBy,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

const versioned = (row: GrantRow): Versioned<SupportGrant> => ({ value: toSupportGrant(row), etag: etagOf(row.id, row.rowVersion) });

const isCompetenceCentre = (p: Principal) => p.tenant === COMPETENCE_CENTRE;

/** The access a competence-centre caller has in a town right now, if any. */
export interface ActiveGrant {
  id: string;
  roles: readonly string[];
  scope: 'read' | 'read_write';
  fileId: string | null;
}

/**
 * Support grants: the competence centre asks, the town decides (approve, reject, revoke), and only
 * an approved, unexpired grant lets a competence-centre token act in the town, within its scope.
 */
export function createGrantService(deps: { tx: TenantTx }) {
  const { tx } = deps;

  async function decide(
    caller: Principal,
    tenant: TenantRef,
    id: string,
    ifMatch: string | undefined,
    action: 'approve' | 'reject' | 'revoke',
    note: string | undefined,
  ) {
    authorize(caller, 'grants:decide');
    if (isCompetenceCentre(caller)) throw errors.forbidden('Only the town decides on its grants');
    return tx(tenant.id, async (t) => {
      const row = await grantRepo.findById(t, tenant.id, id);
      if (!row) throw errors.notFound('support grant');
      requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
      const now = new Date();
      const actor = actorOf(caller);
      let changed: boolean;
      if (action === 'revoke') {
        if (row.status !== 'approved' && row.status !== 'requested') throw errors.conflict(`A ${row.status} grant cannot be revoked`);
        changed = await grantRepo.update(t, tenant.id, id, row.rowVersion, { status: 'revoked', revokedBy: actor, revokedAt: now });
      } else {
        if (row.status !== 'requested') throw errors.conflict(`The grant is already ${row.status}`);
        changed = await grantRepo.update(t, tenant.id, id, row.rowVersion, {
          status: action === 'approve' ? 'approved' : 'rejected',
          decidedBy: actor,
          decidedAt: now,
          ...(action === 'approve' ? { validFrom: now, validUntil: new Date(now.getTime() + row.durationHours * 3600_000) } : {}),
        });
      }
      // A concurrent decision won: this one never took effect, so it is neither answered nor recorded as one.
      if (!changed) throw errors.preconditionFailed();
      const after = versioned((await grantRepo.findById(t, tenant.id, id))!);
      await appendAudit(t, tenant.id, caller, {
        action: `grant.${action === 'approve' ? 'approved' : action === 'reject' ? 'rejected' : 'revoked'}`,
        objectType: 'support-grant',
        objectId: id,
        old: { status: toSupportGrant(row).status },
        new: { status: after.value.status, validUntil: after.value.validUntil, ...(note ? { note } : {}) },
      });
      return after;
    });
  }

  return {
    /** A competence-centre staff member asks a town for access. */
    async requestGrant(caller: Principal, tenant: TenantRef, input: RequestGrant): Promise<Versioned<SupportGrant>> {
      if (!isCompetenceCentre(caller)) throw errors.forbidden('Only competence-centre staff request support grants');
      authorize(caller, 'grants:request');
      if (tenant.slug === COMPETENCE_CENTRE) throw errors.unprocessable('The competence centre needs no grant for itself');
      return tx(tenant.id, async (t) => {
        if (input.fileId && !(await fileRepo.findById(t, tenant.id, input.fileId))) throw errors.unprocessable('The file does not exist');
        const row = await grantRepo.create(t, {
          id: uuidv7(),
          tenantId: tenant.id,
          grantee: input.grantee ?? caller.subject,
          requestedBy: caller.subject,
          scope: input.scope === 'read-write' ? 'read_write' : 'read',
          fileId: input.fileId ?? null,
          reason: input.reason,
          ticket: input.ticket ?? null,
          durationHours: input.durationHours,
        });
        const v = versioned(row);
        await appendAudit(t, tenant.id, caller, { action: 'grant.requested', objectType: 'support-grant', objectId: row.id, new: v.value });
        return v;
      });
    },

    /** The town sees every grant; competence-centre staff see those they asked for or hold (cc-admin: all). */
    async listGrants(caller: Principal, tenant: TenantRef, q: { limit: number; cursor?: string; status?: SupportGrant['status'] }) {
      const cc = isCompetenceCentre(caller);
      if (cc) authorize(caller, 'grants:request');
      else authorize(caller, 'grants:read');
      const party = cc && !caller.roles.includes('cc-admin') ? caller.subject : undefined;
      const after = afterId(q.cursor);
      const rows = await tx(tenant.id, (t) => grantRepo.page(t, tenant.id, { status: q.status, party, afterId: after, limit: q.limit + 1 }));
      return idPage(rows, q.limit, (r) => toSupportGrant(r));
    },

    async getGrant(caller: Principal, tenant: TenantRef, id: string): Promise<Versioned<SupportGrant>> {
      const cc = isCompetenceCentre(caller);
      if (cc) authorize(caller, 'grants:request');
      else authorize(caller, 'grants:read');
      const row = await tx(tenant.id, (t) => grantRepo.findById(t, tenant.id, id));
      if (!row) throw errors.notFound('support grant');
      if (cc && !caller.roles.includes('cc-admin') && row.grantee !== caller.subject && row.requestedBy !== caller.subject) {
        throw errors.notFound('support grant');
      }
      return versioned(row);
    },

    approve: (caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, note?: string) =>
      decide(caller, tenant, id, ifMatch, 'approve', note),
    reject: (caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, note?: string) =>
      decide(caller, tenant, id, ifMatch, 'reject', note),
    revoke: (caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, note?: string) =>
      decide(caller, tenant, id, ifMatch, 'revoke', note),

    /**
     * The grant a competence-centre caller may use for this request, or null. Read grants allow
     * only reads; a grant for one file only requests about that file, its cases and documents.
     */
    async activeGrantFor(
      caller: Principal,
      tenant: TenantRef,
      request: { write: boolean; params: { fileId?: string; caseId?: string; documentId?: string } },
    ): Promise<ActiveGrant | null> {
      if (!isCompetenceCentre(caller) || !can(caller, 'grants:request')) return null;
      return tx(tenant.id, async (t) => {
        const grants = await grantRepo.active(t, tenant.id, caller.subject, new Date());
        const usable = grants.filter((g) => !request.write || g.scope === 'read_write');
        const whole = usable.find((g) => g.fileId === null);
        const chosen = whole ?? (await (async () => {
          const fileScoped = usable.filter((g) => g.fileId !== null);
          if (!fileScoped.length) return undefined;
          const file = await grantRepo.fileOf(t, tenant.id, request.params);
          return file ? fileScoped.find((g) => g.fileId === file) : undefined;
        })());
        return chosen ? { id: chosen.id, scope: chosen.scope, fileId: chosen.fileId, roles: GRANT_SCOPE_ROLES[chosen.scope] } : null;
      });
    },
  };
}

export type GrantService = ReturnType<typeof createGrantService>;
