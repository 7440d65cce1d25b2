import { uuidv7 } from 'uuidv7';
import {
  actorOf,
  authorize,
  can,
  COMPETENCE_CENTRE,
  eventOf,
  GRANT_SCOPE_ROLES,
  type Caller,
  type GrantRef,
  type UnitOfWork,
} from '../../core/index.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Versioned } from '../../lib/reply.js';
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

const isCompetenceCentre = (c: Caller) => c.tenant === COMPETENCE_CENTRE;

/** The access a competence-centre caller has in a town right now, if any. */
export interface ActiveGrant extends GrantRef {
  roles: readonly string[];
}

/** What grants need from the records context. */
export interface GrantDeps {
  fileExists(uow: UnitOfWork, fileId: string): Promise<boolean>;
  fileOfObject(uow: UnitOfWork, ref: { fileId?: string; caseId?: string; documentId?: string }): Promise<string | null>;
}

const DECISIONS = {
  approve: { status: 'approved', event: 'grant.approved' },
  reject: { status: 'rejected', event: 'grant.rejected' },
  revoke: { status: 'revoked', event: 'grant.revoked' },
} as const;
type Decision = keyof typeof DECISIONS;

/**
 * Support grants: the competence centre asks, the town decides (approve, reject, revoke), and only
 * an approved, unexpired grant lets a competence-centre token act in the town, within its scope.
 */
export function grantOps(deps: GrantDeps) {
  async function decide(uow: UnitOfWork, id: string, ifMatch: string | undefined, action: Decision, note: string | undefined) {
    authorize(uow.ctx, 'grants:decide');
    if (isCompetenceCentre(uow.ctx.caller)) throw errors.forbidden('Only the town decides on its grants');
    const repo = uow.repo(grantRepo);
    const row = await repo.findById(id);
    if (!row) throw errors.notFound('support grant');
    requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
    const now = new Date();
    const actor = actorOf(uow.ctx.caller);
    let changed: boolean;
    if (action === 'revoke') {
      if (row.status !== 'approved' && row.status !== 'requested') throw errors.conflict(`A ${row.status} grant cannot be revoked`);
      changed = await repo.update(id, row.rowVersion, { status: 'revoked', revokedBy: actor, revokedAt: now });
    } else {
      if (row.status !== 'requested') throw errors.conflict(`The grant is already ${row.status}`);
      changed = await repo.update(id, row.rowVersion, {
        status: DECISIONS[action].status,
        decidedBy: actor,
        decidedAt: now,
        ...(action === 'approve' ? { validFrom: now, validUntil: new Date(now.getTime() + row.durationHours * 3600_000) } : {}),
      });
    }
    // A concurrent decision won: this one never took effect, so it is neither answered nor recorded as one.
    if (!changed) throw errors.preconditionFailed();
    const after = versioned((await repo.findById(id))!);
    const g = after.value;
    const event =
      action === 'approve'
        ? eventOf('grant.approved', id, {}, { grantee: g.grantee, scope: g.scope, fileId: g.fileId, validUntil: g.validUntil! })
        : eventOf(DECISIONS[action].event, id, {}, { grantee: g.grantee });
    await uow.audit.append(
      {
        action: DECISIONS[action].event,
        objectType: 'support-grant',
        objectId: id,
        old: { status: toSupportGrant(row).status },
        new: { status: g.status, validUntil: g.validUntil, ...(note ? { note } : {}) },
      },
      event,
    );
    return after;
  }

  return {
    /** A competence-centre staff member asks a town for access; the town learns of it by `grant.requested`. */
    async requestGrant(uow: UnitOfWork, input: RequestGrant): Promise<Versioned<SupportGrant>> {
      const { caller } = uow.ctx;
      if (!isCompetenceCentre(caller)) throw errors.forbidden('Only competence-centre staff request support grants');
      authorize(caller, 'grants:request');
      if (uow.tenant.slug === COMPETENCE_CENTRE) throw errors.unprocessable('The competence centre needs no grant for itself');
      // A file of another tenant is as unknown here as one that never existed (README "Tenant walls").
      if (input.fileId && !(await deps.fileExists(uow, input.fileId))) throw errors.notFound('file');
      const row = await uow.repo(grantRepo).create({
        id: uuidv7(),
        grantee: input.grantee ?? caller.subject,
        requestedBy: caller.subject,
        scope: input.scope === 'read-write' ? 'read_write' : 'read',
        fileId: input.fileId ?? null,
        reason: input.reason,
        ticket: input.ticket ?? null,
        durationHours: input.durationHours,
      });
      const v = versioned(row);
      await uow.audit.append(
        { action: 'grant.requested', objectType: 'support-grant', objectId: row.id, new: v.value },
        eventOf('grant.requested', row.id, {}, { grantee: row.grantee, scope: v.value.scope, fileId: row.fileId, durationHours: row.durationHours }),
      );
      return v;
    },

    /** The town sees every grant; competence-centre staff see those they asked for or hold (cc-admin: all). */
    async listGrants(uow: UnitOfWork, q: { limit: number; cursor?: string; status?: SupportGrant['status'] }) {
      const { caller } = uow.ctx;
      const cc = isCompetenceCentre(caller);
      authorize(caller, cc ? 'grants:request' : 'grants:read');
      const party = cc && !caller.roles.includes('cc-admin') ? caller.subject : undefined;
      const rows = await uow.repo(grantRepo).page({ status: q.status, party, afterId: afterId(q.cursor), limit: q.limit + 1 });
      return idPage(rows, q.limit, (r) => toSupportGrant(r));
    },

    async getGrant(uow: UnitOfWork, id: string): Promise<Versioned<SupportGrant>> {
      const { caller } = uow.ctx;
      const cc = isCompetenceCentre(caller);
      authorize(caller, cc ? 'grants:request' : 'grants:read');
      const row = await uow.repo(grantRepo).findById(id);
      if (!row) throw errors.notFound('support grant');
      if (cc && !caller.roles.includes('cc-admin') && row.grantee !== caller.subject && row.requestedBy !== caller.subject) {
        throw errors.notFound('support grant');
      }
      return versioned(row);
    },

    approve: (uow: UnitOfWork, id: string, ifMatch: string | undefined, note?: string) => decide(uow, id, ifMatch, 'approve', note),
    reject: (uow: UnitOfWork, id: string, ifMatch: string | undefined, note?: string) => decide(uow, id, ifMatch, 'reject', note),
    revoke: (uow: UnitOfWork, id: string, ifMatch: string | undefined, note?: string) => decide(uow, id, ifMatch, 'revoke', note),

    /**
     * The grant a competence-centre caller may use for this request, or null. Read grants allow
     * only reads; a grant for one file only requests about that file, its cases and documents.
     */
    async activeGrantFor(
      uow: UnitOfWork,
      request: { write: boolean; params: { fileId?: string; caseId?: string; documentId?: string } },
    ): Promise<ActiveGrant | null> {
      const { caller } = uow.ctx;
      if (!isCompetenceCentre(caller) || !can(caller, 'grants:request')) return null;
      const grants = await uow.repo(grantRepo).active(caller.subject, new Date());
      const usable = grants.filter((g) => !request.write || g.scope === 'read_write');
      let chosen = usable.find((g) => g.fileId === null);
      if (!chosen && usable.some((g) => g.fileId !== null)) {
        const file = await deps.fileOfObject(uow, request.params);
        chosen = file ? usable.find((g) => g.fileId === file) : undefined;
      }
      return chosen ? { id: chosen.id, scope: chosen.scope, fileId: chosen.fileId, roles: GRANT_SCOPE_ROLES[chosen.scope] } : null;
    },

    /** Records every grant whose time ran out since the last run: audit event and `grant.expired` (a job). */
    async recordExpiredGrants(uow: UnitOfWork): Promise<number> {
      const repo = uow.repo(grantRepo);
      const expired = await repo.expiredUnrecorded(new Date());
      for (const g of expired) {
        await repo.markExpiryRecorded(g.id);
        await uow.audit.append(
          { action: 'grant.expired', objectType: 'support-grant', objectId: g.id, new: { status: 'expired', validUntil: g.validUntil.toISOString() } },
          eventOf('grant.expired', g.id, {}, { grantee: g.grantee, validUntil: g.validUntil.toISOString() }),
        );
      }
      return expired.length;
    },
  };
}

export type GrantOps = ReturnType<typeof grantOps>;
