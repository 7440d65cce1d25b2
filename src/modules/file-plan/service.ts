import { uuidv7 } from 'uuidv7';
import { actorOf, authorize } from '../../auth/permissions.js';
import { isUniqueViolation, type TenantTx } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { formatOptionalDate, optionalDate } from '../../lib/dates.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Versioned } from '../../lib/reply.js';
import type { Principal } from '../../plugins/auth.js';
import type { TenantRef } from '../../plugins/tenant-context.js';
import { appendAudit, appendChange } from '../audit/writer.js';
import { filePlanRepo as repo, type NewPlanUnit, type PlanUnitRow } from './repo.js';
import type { CreatePlanUnit, PlanTreeNode, PlanUnit, UpdatePlanUnit } from './schemas.js';

/** The parent of `32.10.05` is `32.10`; top-level codes have none. */
export const parentCodeOf = (code: string): string | null => {
  const i = code.lastIndexOf('.');
  return i < 0 ? null : code.slice(0, i);
};

export function toPlanUnit(row: PlanUnitRow): PlanUnit {
  return {
    id: row.id,
    code: row.code,
    parentCode: parentCodeOf(row.code),
    title: row.title,
    description: row.description,
    retentionYears: row.retentionYears,
    disposal: row.disposal,
    validFrom: formatOptionalDate(row.validFrom),
    validUntil: formatOptionalDate(row.validUntil),
    retired: row.retiredAt !== null,
    retiredAt: row.retiredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const versioned = (row: PlanUnitRow): Versioned<PlanUnit> => ({ value: toPlanUnit(row), etag: etagOf(row.id, row.rowVersion) });

function checkValidity(from: string | null | undefined, until: string | null | undefined) {
  if (from && until && until < from) {
    throw errors.validation('validUntil is before validFrom', [{ path: 'body/validUntil', message: 'must not be before validFrom' }]);
  }
}

/** File plan (Aktenplan): units are created, changed and retired, never deleted. */
export function createFilePlanService(deps: { tx: TenantTx }) {
  const { tx } = deps;

  const newUnit = (tenant: TenantRef, input: CreatePlanUnit, parentId: string | null, actor: string): NewPlanUnit => ({
    id: uuidv7(),
    tenantId: tenant.id,
    code: input.code,
    parentId,
    title: input.title,
    description: input.description ?? null,
    retentionYears: input.retentionYears,
    disposal: input.disposal,
    validFrom: optionalDate(input.validFrom) ?? null,
    validUntil: optionalDate(input.validUntil) ?? null,
    createdBy: actor,
  });

  return {
    /** Creates one unit under its parent (derived from the code). */
    async createUnit(caller: Principal, tenant: TenantRef, input: CreatePlanUnit): Promise<Versioned<PlanUnit>> {
      authorize(caller, 'plan:write');
      checkValidity(input.validFrom, input.validUntil);
      return tx(tenant.id, async (t) => {
        const parentCode = parentCodeOf(input.code);
        let parentId: string | null = null;
        if (parentCode) {
          const parent = await repo.findByCode(t, tenant.id, parentCode);
          if (!parent) throw errors.unprocessable(`Parent unit ${parentCode} does not exist; create it first`);
          if (parent.retiredAt) throw errors.unitRetired(parentCode);
          parentId = parent.id;
        }
        let created: PlanUnitRow;
        try {
          created = await repo.create(t, newUnit(tenant, input, parentId, actorOf(caller)));
        } catch (err) {
          if (isUniqueViolation(err)) throw errors.conflict(`Unit ${input.code} already exists`);
          throw err;
        }
        const v = versioned(created);
        await appendAudit(t, tenant.id, caller, { action: 'unit.created', objectType: 'file-plan-unit', objectId: created.id, new: v.value });
        return v;
      });
    },

    /**
     * Imports a whole plan at once, all or nothing: parents may come from the same batch or exist
     * already; any duplicate or missing parent rejects the whole import.
     */
    async importPlan(caller: Principal, tenant: TenantRef, units: CreatePlanUnit[]): Promise<{ created: number }> {
      authorize(caller, 'plan:write');
      const seen = new Set<string>();
      const duplicates = units.filter((u) => (seen.has(u.code) ? true : (seen.add(u.code), false))).map((u) => u.code);
      if (duplicates.length) throw errors.conflict(`Codes appear twice in the import: ${[...new Set(duplicates)].join(', ')}`);
      for (const u of units) checkValidity(u.validFrom, u.validUntil);
      // Parents before children: sort by depth, then code.
      const depth = (code: string) => code.split('.').length;
      const ordered = [...units].sort((a, b) => depth(a.code) - depth(b.code) || a.code.localeCompare(b.code));
      return tx(tenant.id, async (t) => {
        const existing = new Map((await repo.all(t, tenant.id)).map((r) => [r.code, r]));
        const clashes = ordered.filter((u) => existing.has(u.code)).map((u) => u.code);
        if (clashes.length) throw errors.conflict(`Units already exist: ${clashes.slice(0, 20).join(', ')}`);
        const ids = new Map<string, string>();
        const rows: NewPlanUnit[] = [];
        for (const u of ordered) {
          const parentCode = parentCodeOf(u.code);
          let parentId: string | null = null;
          if (parentCode) {
            const fromExisting = existing.get(parentCode);
            if (fromExisting?.retiredAt) throw errors.unitRetired(parentCode);
            parentId = ids.get(parentCode) ?? fromExisting?.id ?? null;
            if (!parentId) throw errors.unprocessable(`Unit ${u.code}: parent ${parentCode} is neither in the import nor in the plan`);
          }
          const row = newUnit(tenant, u, parentId, actorOf(caller));
          ids.set(u.code, row.id);
          rows.push(row);
        }
        try {
          await repo.createMany(t, rows);
        } catch (err) {
          if (isUniqueViolation(err)) throw errors.conflict('A unit of the import was created concurrently; nothing was imported');
          throw err;
        }
        await appendAudit(t, tenant.id, caller, {
          action: 'plan.imported',
          objectType: 'file-plan',
          new: { created: rows.length, codes: rows.map((r) => r.code) },
        });
        return { created: rows.length };
      });
    },

    async getUnit(caller: Principal, tenant: TenantRef, id: string): Promise<Versioned<PlanUnit>> {
      authorize(caller, 'plan:read');
      const row = await tx(tenant.id, (t) => repo.findById(t, tenant.id, id));
      if (!row) throw errors.notFound('file-plan unit');
      return versioned(row);
    },

    async listUnits(
      caller: Principal,
      tenant: TenantRef,
      q: { limit: number; cursor?: string; parentCode?: string; retired?: boolean },
    ): Promise<{ items: PlanUnit[]; next: string | null }> {
      authorize(caller, 'plan:read');
      const after = afterId(q.cursor);
      return tx(tenant.id, async (t) => {
        let parentId: string | undefined;
        if (q.parentCode) {
          const parent = await repo.findByCode(t, tenant.id, q.parentCode);
          if (!parent) return { items: [], next: null };
          parentId = parent.id;
        }
        const rows = await repo.page(t, tenant.id, { parentId, retired: q.retired, afterId: after, limit: q.limit + 1 });
        return idPage(rows, q.limit, toPlanUnit);
      });
    },

    /** The whole plan as a tree, ordered by code. */
    async getTree(caller: Principal, tenant: TenantRef, includeRetired: boolean): Promise<PlanTreeNode[]> {
      authorize(caller, 'plan:read');
      const rows = await tx(tenant.id, (t) => repo.all(t, tenant.id));
      const nodes = new Map<string, PlanTreeNode>();
      const roots: PlanTreeNode[] = [];
      for (const row of rows) {
        if (!includeRetired && row.retiredAt) continue;
        nodes.set(row.id, { ...toPlanUnit(row), children: [] });
      }
      for (const row of rows) {
        const node = nodes.get(row.id);
        if (!node) continue;
        const parent = row.parentId ? nodes.get(row.parentId) : undefined;
        if (parent) parent.children.push(node);
        else if (!row.parentId) roots.push(node);
      }
      return roots;
    },

    async updateUnit(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined, input: UpdatePlanUnit) {
      authorize(caller, 'plan:write');
      return tx(tenant.id, async (t) => {
        const row = await repo.findById(t, tenant.id, id);
        if (!row) throw errors.notFound('file-plan unit');
        requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
        if (row.retiredAt) throw errors.unitRetired(row.code);
        const from = input.validFrom !== undefined ? input.validFrom : formatOptionalDate(row.validFrom);
        const until = input.validUntil !== undefined ? input.validUntil : formatOptionalDate(row.validUntil);
        checkValidity(from, until);
        const ok = await repo.update(t, tenant.id, id, row.rowVersion, {
          title: input.title,
          description: input.description,
          retentionYears: input.retentionYears,
          disposal: input.disposal,
          validFrom: optionalDate(input.validFrom),
          validUntil: optionalDate(input.validUntil),
        });
        if (!ok) throw errors.preconditionFailed();
        const after = versioned((await repo.findById(t, tenant.id, id))!);
        await appendChange(t, tenant.id, caller, { action: 'unit.updated', objectType: 'file-plan-unit', objectId: id, before: toPlanUnit(row), after: after.value });
        return after;
      });
    },

    /** Retires (stilllegen) a unit: it keeps its files, takes no new ones. Irreversible. */
    async retireUnit(caller: Principal, tenant: TenantRef, id: string, ifMatch: string | undefined) {
      authorize(caller, 'plan:write');
      return tx(tenant.id, async (t) => {
        const row = await repo.findById(t, tenant.id, id);
        if (!row) throw errors.notFound('file-plan unit');
        requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
        if (row.retiredAt) throw errors.unitRetired(row.code);
        if (!(await repo.update(t, tenant.id, id, row.rowVersion, { retiredAt: new Date() }))) throw errors.preconditionFailed();
        const after = versioned((await repo.findById(t, tenant.id, id))!);
        await appendChange(t, tenant.id, caller, { action: 'unit.retired', objectType: 'file-plan-unit', objectId: id, before: toPlanUnit(row), after: after.value });
        return after;
      });
    },
  };
}

export type FilePlanService = ReturnType<typeof createFilePlanService>;
