import { uuidv7 } from 'uuidv7';
import { actorOf, authorize, type UnitOfWork } from '../../core/index.js';
import { isUniqueViolation } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { formatOptionalDate, optionalDate } from '../../lib/dates.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Versioned } from '../../lib/reply.js';
import { filePlanRepo, type NewPlanUnit, type PlanUnitChanges, type PlanUnitRow } from './repo.js';
import { PLAN_UNITS_MAX, type CreatePlanUnit, type PlanTreeNode, type PlanUnit, type UpdatePlanUnit } from './schemas.js';

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

const newUnit = (input: CreatePlanUnit, parentId: string | null, actor: string): NewPlanUnit => ({
  id: uuidv7(),
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

/** Locks nothing: unit rows change under optimistic concurrency (row version in the UPDATE). */
async function loadForWrite(uow: UnitOfWork, id: string, ifMatch: string | undefined) {
  const row = await uow.repo(filePlanRepo).findById(id);
  if (!row) throw errors.notFound('file-plan unit');
  requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
  if (row.retiredAt) throw errors.unitRetired(row.code);
  return row;
}

/** File plan (Aktenplan): units are created, changed and retired, never deleted. */
export const filePlanOps = {
  /** Creates one unit under its parent (derived from the code). */
  async createUnit(uow: UnitOfWork, input: CreatePlanUnit): Promise<Versioned<PlanUnit>> {
    authorize(uow.ctx, 'plan:write');
    checkValidity(input.validFrom, input.validUntil);
    const repo = uow.repo(filePlanRepo);
    const parentCode = parentCodeOf(input.code);
    let parentId: string | null = null;
    if (parentCode) {
      const parent = await repo.findByCode(parentCode);
      if (!parent) throw errors.parentMissing(`Parent unit ${parentCode} does not exist; create it first`, input.code, parentCode);
      if (parent.retiredAt) throw errors.unitRetired(parentCode);
      parentId = parent.id;
    }
    if ((await repo.count()) >= PLAN_UNITS_MAX) throw errors.limitReached(`The file plan holds at most ${PLAN_UNITS_MAX} units`);
    let created: PlanUnitRow;
    try {
      created = await repo.create(newUnit(input, parentId, actorOf(uow.ctx.caller)));
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.unitExists(`Unit ${input.code} already exists`, [input.code]);
      throw err;
    }
    const v = versioned(created);
    await uow.audit.append({ action: 'unit.created', objectType: 'file-plan-unit', objectId: created.id, new: v.value });
    return v;
  },

  /**
   * Imports a whole plan at once, all or nothing: parents may come from the same batch or exist
   * already; any duplicate or missing parent rejects the whole import.
   */
  async importPlan(uow: UnitOfWork, units: CreatePlanUnit[]): Promise<{ created: number }> {
    authorize(uow.ctx, 'plan:write');
    const seen = new Set<string>();
    const duplicates = units.filter((u) => (seen.has(u.code) ? true : (seen.add(u.code), false))).map((u) => u.code);
    if (duplicates.length) throw errors.duplicateCodes([...new Set(duplicates)]);
    for (const u of units) checkValidity(u.validFrom, u.validUntil);
    // Parents before children: sort by depth, then code.
    const depth = (code: string) => code.split('.').length;
    const ordered = [...units].sort((a, b) => depth(a.code) - depth(b.code) || a.code.localeCompare(b.code));
    const repo = uow.repo(filePlanRepo);
    const existing = new Map((await repo.all()).map((r) => [r.code, r]));
    const clashes = ordered.filter((u) => existing.has(u.code)).map((u) => u.code);
    if (clashes.length) throw errors.unitExists(`Units already exist: ${clashes.slice(0, 20).join(', ')}`, clashes.slice(0, 1000));
    if (existing.size + ordered.length > PLAN_UNITS_MAX) {
      throw errors.limitReached(`The file plan holds at most ${PLAN_UNITS_MAX} units; it has ${existing.size}, the import adds ${ordered.length}`);
    }
    const ids = new Map<string, string>();
    const rows: NewPlanUnit[] = [];
    for (const u of ordered) {
      const parentCode = parentCodeOf(u.code);
      let parentId: string | null = null;
      if (parentCode) {
        const fromExisting = existing.get(parentCode);
        if (fromExisting?.retiredAt) throw errors.unitRetired(parentCode);
        parentId = ids.get(parentCode) ?? fromExisting?.id ?? null;
        if (!parentId) throw errors.parentMissing(`Unit ${u.code}: parent ${parentCode} is neither in the import nor in the plan`, u.code, parentCode);
      }
      const row = newUnit(u, parentId, actorOf(uow.ctx.caller));
      ids.set(u.code, row.id);
      rows.push(row);
    }
    try {
      await repo.createMany(rows);
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.unitExists('A unit of the import was created concurrently; nothing was imported', []);
      throw err;
    }
    await uow.audit.append({
      action: 'plan.imported',
      objectType: 'file-plan',
      new: { created: rows.length, codes: rows.map((r) => r.code) },
    });
    return { created: rows.length };
  },

  async getUnit(uow: UnitOfWork, id: string): Promise<Versioned<PlanUnit>> {
    authorize(uow.ctx, 'plan:read');
    const row = await uow.repo(filePlanRepo).findById(id);
    if (!row) throw errors.notFound('file-plan unit');
    return versioned(row);
  },

  async listUnits(uow: UnitOfWork, q: { limit: number; cursor?: string; parentCode?: string; retired?: boolean }): Promise<{ items: PlanUnit[]; next: string | null }> {
    authorize(uow.ctx, 'plan:read');
    const after = afterId(q.cursor);
    const repo = uow.repo(filePlanRepo);
    let parentId: string | undefined;
    if (q.parentCode) {
      const parent = await repo.findByCode(q.parentCode);
      if (!parent) return { items: [], next: null };
      parentId = parent.id;
    }
    const rows = await repo.page({ parentId, retired: q.retired, afterId: after, limit: q.limit + 1 });
    return idPage(rows, q.limit, toPlanUnit);
  },

  /** The whole plan as a tree, ordered by code. */
  async getTree(uow: UnitOfWork, includeRetired: boolean): Promise<PlanTreeNode[]> {
    authorize(uow.ctx, 'plan:read');
    const rows = await uow.repo(filePlanRepo).all();
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

  async updateUnit(uow: UnitOfWork, id: string, ifMatch: string | undefined, input: UpdatePlanUnit) {
    authorize(uow.ctx, 'plan:write');
    const row = await loadForWrite(uow, id, ifMatch);
    const from = input.validFrom !== undefined ? input.validFrom : formatOptionalDate(row.validFrom);
    const until = input.validUntil !== undefined ? input.validUntil : formatOptionalDate(row.validUntil);
    checkValidity(from, until);
    return changeUnit(uow, row, 'unit.updated', {
      title: input.title,
      description: input.description,
      retentionYears: input.retentionYears,
      disposal: input.disposal,
      validFrom: optionalDate(input.validFrom),
      validUntil: optionalDate(input.validUntil),
    });
  },

  /** Retires (stilllegen) a unit: it keeps its files, takes no new ones. Irreversible. */
  async retireUnit(uow: UnitOfWork, id: string, ifMatch: string | undefined) {
    authorize(uow.ctx, 'plan:write');
    return changeUnit(uow, await loadForWrite(uow, id, ifMatch), 'unit.retired', { retiredAt: new Date() });
  },

  /**
   * The unit a new file is filed under (records context): 422 when it does not exist, 409
   * unit-retired when it takes no new files.
   */
  async unitForFiling(uow: UnitOfWork, ref: { planUnitId?: string; planCode?: string }): Promise<{ id: string; code: string }> {
    const repo = uow.repo(filePlanRepo);
    const unit = ref.planUnitId ? await repo.findById(ref.planUnitId) : await repo.findByCode(ref.planCode!);
    if (!unit) throw errors.unprocessable('The file-plan unit does not exist');
    if (unit.retiredAt) throw errors.unitRetired(unit.code);
    return { id: unit.id, code: unit.code };
  },
};

/** Applies a change under the row version read, and records its old and new values. */
async function changeUnit(uow: UnitOfWork, row: PlanUnitRow, action: string, changes: PlanUnitChanges) {
  const repo = uow.repo(filePlanRepo);
  if (!(await repo.update(row.id, row.rowVersion, changes))) throw errors.preconditionFailed();
  const after = versioned((await repo.findById(row.id))!);
  await uow.audit.change({ action, objectType: 'file-plan-unit', objectId: row.id, before: toPlanUnit(row), after: after.value });
  return after;
}

export type FilePlanOps = typeof filePlanOps;
