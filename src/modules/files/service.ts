import { uuidv7 } from 'uuidv7';
import { actorOf, authorize } from '../../auth/permissions.js';
import { isUniqueViolation, type TenantTx, type Tx } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { formatOptionalDate, parseDate, today } from '../../lib/dates.js';
import { etagOf } from '../../lib/etag.js';
import { checkMetadata } from '../../lib/metadata.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Principal } from '../../plugins/auth.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import { appendAudit, appendChange } from '../audit/writer.js';
import { caseRepo } from '../cases/repo.js';
import { filePlanRepo } from '../file-plan/repo.js';
import type { Versioned } from '../../lib/reply.js';
import { germanYear, referenceScope, renderReference } from './reference.js';
import { fileRepo, type FileWithUnit } from './repo.js';
import type { CreateFile, FileListQuery, RecordFile, UpdateFile } from './schemas.js';

export function toRecordFile(row: FileWithUnit): RecordFile {
  return {
    id: row.id,
    reference: row.reference,
    planUnitId: row.planUnitId,
    planCode: row.planUnit.code,
    title: row.title,
    description: row.description,
    confidentiality: row.confidentiality as RecordFile['confidentiality'],
    leadOrgUnit: row.leadOrgUnit,
    metadata: row.metadata as Record<string, unknown>,
    status: row.status,
    closedOn: formatOptionalDate(row.closedOn),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

const versioned = (row: FileWithUnit): Versioned<RecordFile> => ({ value: toRecordFile(row), etag: etagOf(row.id, row.rowVersion) });

/** A zdA date may be today or in the past, never in the future. */
export function closeDate(closedOn: string | undefined): Date {
  const date = closedOn ?? today();
  if (date > today()) {
    throw errors.validation('closedOn lies in the future', [{ path: 'body/closedOn', message: 'must not be after today' }]);
  }
  return parseDate(date);
}

/** Files (Akten): created under a file-plan unit with a generated reference, changed, closed, reopened. */
export function createFileService(deps: { tx: TenantTx; referencePattern: (tx: Tx, tenantId: string) => Promise<string> }) {
  const { tx } = deps;

  async function loadForWrite(t: Tx, tenant: TenantRef, id: string, ifMatch: string | undefined) {
    if (!(await fileRepo.lock(t, tenant.id, id))) throw errors.notFound('file');
    const row = (await fileRepo.findById(t, tenant.id, id))!;
    requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
    return row;
  }

  /** Reloads the file after a change and records old and new values in the audit trail. */
  async function audited(t: Tx, tenant: TenantRef, caller: Principal, action: string, before: FileWithUnit, extra: Record<string, unknown> = {}) {
    const after = versioned((await fileRepo.findById(t, tenant.id, before.id))!);
    await appendChange(t, tenant.id, caller, { action, objectType: 'file', objectId: before.id, before: toRecordFile(before), after: after.value, extra });
    return after;
  }

  return {
    /**
     * Creates a file (Akte) and assigns its reference. Many clients may create files at once:
     * the counter row serialises them per scope, so references are unique and never reused.
     */
    async createFile(caller: Principal, tenant: TenantRef, input: CreateFile): Promise<Versioned<RecordFile>> {
      authorize(caller, 'records:write');
      checkMetadata(input.metadata);
      if ((input.planUnitId === undefined) === (input.planCode === undefined)) {
        throw errors.validation('Give either planUnitId or planCode', [{ path: 'body', message: 'needs exactly one of planUnitId, planCode' }]);
      }
      return tx(tenant.id, async (t) => {
        const unit = input.planUnitId
          ? await filePlanRepo.findById(t, tenant.id, input.planUnitId)
          : await filePlanRepo.findByCode(t, tenant.id, input.planCode!);
        if (!unit) throw errors.unprocessable('The file-plan unit does not exist');
        if (unit.retiredAt) throw errors.unitRetired(unit.code);
        const pattern = await deps.referencePattern(t, tenant.id);
        const parts = { plan: unit.code, year: germanYear() };
        const scope = referenceScope(pattern, parts);
        // A pattern like {plan}{seq} can render the same text in two scopes; skip numbers already taken.
        for (let attempt = 0; attempt < 20; attempt++) {
          const reference = renderReference(pattern, parts, await fileRepo.nextSequence(t, tenant.id, scope));
          if (await fileRepo.referenceExists(t, tenant.id, reference)) continue;
          try {
            const row = await fileRepo.create(t, {
              id: uuidv7(),
              tenantId: tenant.id,
              planUnitId: unit.id,
              reference,
              title: input.title,
              description: input.description ?? null,
              confidentiality: input.confidentiality ?? '003',
              leadOrgUnit: input.leadOrgUnit ?? null,
              metadata: (input.metadata ?? {}) as object,
              createdBy: actorOf(caller),
            });
            const v = versioned(row);
            await appendAudit(t, tenant.id, caller, { action: 'file.created', objectType: 'file', objectId: row.id, new: v.value });
            return v;
          } catch (err) {
            if (isUniqueViolation(err)) throw errors.conflict('The reference was taken concurrently; retry');
            throw err;
          }
        }
        throw errors.conflict('No free reference found for this pattern; check the tenant reference pattern');
      });
    },

    async getFile(caller: Principal, tenant: TenantRef, id: string): Promise<Versioned<RecordFile>> {
      authorize(caller, 'records:read');
      const row = await tx(tenant.id, (t) => fileRepo.findById(t, tenant.id, id));
      if (!row) throw errors.notFound('file');
      return versioned(row);
    },

    async listFiles(caller: Principal, tenant: TenantRef, q: FileListQuery): Promise<{ items: RecordFile[]; next: string | null }> {
      authorize(caller, 'records:read');
      const after = afterId(q.cursor);
      const rows = await tx(tenant.id, (t) =>
        fileRepo.page(t, tenant.id, {
          planUnitId: q.planUnitId,
          status: q.status,
          referencePrefix: q.referencePrefix,
          titlePrefix: q.titlePrefix,
          createdFrom: q.createdFrom ? new Date(q.createdFrom) : undefined,
          createdTo: q.createdTo ? new Date(q.createdTo) : undefined,
          afterId: after,
          limit: q.limit + 1,
        }),
      );
      return idPage(rows, q.limit, toRecordFile);
    },

    async updateFile(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, input: UpdateFile) {
      authorize(caller, 'records:write');
      checkMetadata(input.metadata);
      return tx(tenant.id, async (t) => {
        const row = await loadForWrite(t, tenant, id, ifMatch);
        if (row.status === 'closed') throw errors.objectClosed('file');
        await fileRepo.update(t, tenant.id, id, row.rowVersion, {
          ...input,
          metadata: input.metadata as object | undefined,
        });
        return audited(t, tenant, caller, 'file.updated', row);
      });
    },

    /** Closes a file (zdA). Open cases block it unless closeOpenCases closes them on the same date. */
    async closeFile(
      caller: Principal,
      tenant: TenantRef,
      id: string,
      ifMatch: string | undefined,
      input: { closedOn?: string; closeOpenCases?: boolean },
    ) {
      authorize(caller, 'records:write');
      const closedOn = closeDate(input.closedOn);
      return tx(tenant.id, async (t) => {
        const row = await loadForWrite(t, tenant, id, ifMatch);
        if (row.status === 'closed') throw errors.objectClosed('file');
        const open = await caseRepo.countOpenInFile(t, tenant.id, id);
        if (open > 0 && !input.closeOpenCases) throw errors.openCases(open);
        if (open > 0) await caseRepo.closeAllOpenInFile(t, tenant.id, id, closedOn);
        await fileRepo.update(t, tenant.id, id, row.rowVersion, { status: 'closed', closedOn });
        return audited(t, tenant, caller, 'file.closed', row, { casesClosed: open });
      });
    },

    /** Reopens a closed file: a deliberate act of a records manager, with a reason. Cases stay closed. */
    async reopenFile(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, reason: string) {
      authorize(caller, 'records:reopen');
      return tx(tenant.id, async (t) => {
        const row = await loadForWrite(t, tenant, id, ifMatch);
        if (row.status !== 'closed') throw errors.conflict('The file is not closed');
        await fileRepo.update(t, tenant.id, id, row.rowVersion, { status: 'open', closedOn: null });
        return audited(t, tenant, caller, 'file.reopened', row, { reason });
      });
    },
  };
}

export type FileService = ReturnType<typeof createFileService>;
