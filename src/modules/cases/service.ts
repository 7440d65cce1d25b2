import { uuidv7 } from 'uuidv7';
import { actorOf, authorize } from '../../auth/permissions.js';
import type { TenantTx, Tx } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { formatOptionalDate } from '../../lib/dates.js';
import { etagOf } from '../../lib/etag.js';
import { checkMetadata } from '../../lib/metadata.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Principal } from '../../plugins/auth.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import { appendAudit, appendChange } from '../audit/writer.js';
import type { Versioned } from '../../lib/reply.js';
import { fileRepo } from '../files/repo.js';
import { closeDate } from '../files/service.js';
import { caseRepo, type CaseWithFile } from './repo.js';
import type { CreateCase, RecordCase, UpdateCase } from './schemas.js';

export function toRecordCase(row: CaseWithFile): RecordCase {
  return {
    id: row.id,
    fileId: row.fileId,
    reference: row.reference,
    title: row.title,
    description: row.description,
    metadata: row.metadata as Record<string, unknown>,
    status: row.status,
    closedOn: formatOptionalDate(row.closedOn),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

const versioned = (row: CaseWithFile): Versioned<RecordCase> => ({ value: toRecordCase(row), etag: etagOf(row.id, row.rowVersion) });

/** Cases (Vorgänge) inside files. */
export function createCaseService(deps: { tx: TenantTx }) {
  const { tx } = deps;

  async function loadForWrite(t: Tx, tenant: TenantRef, id: string, ifMatch: string | undefined) {
    const row = await caseRepo.findById(t, tenant.id, id);
    if (!row) throw errors.notFound('case');
    // Lock the file first, then read again: closing the file and changing the case exclude each other.
    await fileRepo.lock(t, tenant.id, row.fileId);
    const current = (await caseRepo.findById(t, tenant.id, id))!;
    requireIfMatch(ifMatch, etagOf(current.id, current.rowVersion));
    return current;
  }

  /** Reloads the case after a change and records old and new values in the audit trail. */
  async function audited(t: Tx, tenant: TenantRef, caller: Principal, action: string, before: CaseWithFile, extra: Record<string, unknown> = {}) {
    const after = versioned((await caseRepo.findById(t, tenant.id, before.id))!);
    await appendChange(t, tenant.id, caller, { action, objectType: 'case', objectId: before.id, before: toRecordCase(before), after: after.value, extra });
    return after;
  }

  return {
    /** Opens a case in an open file; its reference is the file's plus a running number. */
    async createCase(caller: Principal, tenant: TenantRef, fileId: string, input: CreateCase): Promise<Versioned<RecordCase>> {
      authorize(caller, 'records:write');
      checkMetadata(input.metadata);
      return tx(tenant.id, async (t) => {
        if (!(await fileRepo.lock(t, tenant.id, fileId))) throw errors.notFound('file');
        const file = (await fileRepo.findById(t, tenant.id, fileId))!;
        if (file.status === 'closed') throw errors.objectClosed('file');
        const number = await fileRepo.nextCaseNumber(t, tenant.id, fileId);
        const row = await caseRepo.create(t, {
          id: uuidv7(),
          tenantId: tenant.id,
          fileId,
          reference: `${file.reference}-${String(number).padStart(3, '0')}`,
          title: input.title,
          description: input.description ?? null,
          metadata: (input.metadata ?? {}) as object,
          createdBy: actorOf(caller),
        });
        const v = versioned(row);
        await appendAudit(t, tenant.id, caller, { action: 'case.created', objectType: 'case', objectId: row.id, new: v.value });
        return v;
      });
    },

    async getCase(caller: Principal, tenant: TenantRef, id: string): Promise<Versioned<RecordCase>> {
      authorize(caller, 'records:read');
      const row = await tx(tenant.id, (t) => caseRepo.findById(t, tenant.id, id));
      if (!row) throw errors.notFound('case');
      return versioned(row);
    },

    async listCases(caller: Principal, tenant: TenantRef, fileId: string, q: { limit: number; cursor?: string; status?: 'open' | 'closed' }) {
      authorize(caller, 'records:read');
      const after = afterId(q.cursor);
      return tx(tenant.id, async (t) => {
        if (!(await fileRepo.findById(t, tenant.id, fileId))) throw errors.notFound('file');
        const rows = await caseRepo.pageOfFile(t, tenant.id, fileId, { status: q.status, afterId: after, limit: q.limit + 1 });
        return idPage(rows, q.limit, toRecordCase);
      });
    },

    async updateCase(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, input: UpdateCase) {
      authorize(caller, 'records:write');
      checkMetadata(input.metadata);
      return tx(tenant.id, async (t) => {
        const row = await loadForWrite(t, tenant, id, ifMatch);
        if (row.file.status === 'closed') throw errors.objectClosed('file');
        if (row.status === 'closed') throw errors.objectClosed('case');
        await caseRepo.update(t, tenant.id, id, row.rowVersion, { ...input, metadata: input.metadata as object | undefined });
        return audited(t, tenant, caller, 'case.updated', row);
      });
    },

    /** Closes a case (zdA) on `closedOn` (default today). */
    async closeCase(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, closedOn?: string) {
      authorize(caller, 'records:write');
      const date = closeDate(closedOn);
      return tx(tenant.id, async (t) => {
        const row = await loadForWrite(t, tenant, id, ifMatch);
        if (row.status === 'closed') throw errors.objectClosed('case');
        await caseRepo.update(t, tenant.id, id, row.rowVersion, { status: 'closed', closedOn: date });
        return audited(t, tenant, caller, 'case.closed', row);
      });
    },

    /** Reopens a closed case of an open file (records managers, with a reason). */
    async reopenCase(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, reason: string) {
      authorize(caller, 'records:reopen');
      return tx(tenant.id, async (t) => {
        const row = await loadForWrite(t, tenant, id, ifMatch);
        if (row.file.status === 'closed') throw errors.objectClosed('file');
        if (row.status !== 'closed') throw errors.conflict('The case is not closed');
        await caseRepo.update(t, tenant.id, id, row.rowVersion, { status: 'open', closedOn: null });
        return audited(t, tenant, caller, 'case.reopened', row, { reason });
      });
    },
  };
}

export type CaseService = ReturnType<typeof createCaseService>;
