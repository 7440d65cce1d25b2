import type { Tx } from '../../db/tenant-tx.js';
import type { FilePlanUnit } from '../../generated/prisma/client.js';
import type { DisposalCode } from '../../generated/prisma/enums.js';

export type PlanUnitRow = FilePlanUnit;

export interface NewPlanUnit {
  id: string;
  code: string;
  parentId: string | null;
  title: string;
  description: string | null;
  retentionYears: number | null;
  disposal: DisposalCode;
  validFrom: Date | null;
  validUntil: Date | null;
  createdBy: string;
}

export type PlanUnitChanges = Partial<Pick<NewPlanUnit, 'title' | 'description' | 'retentionYears' | 'disposal' | 'validFrom' | 'validUntil'>> & {
  retiredAt?: Date;
};

/** The file plan of one tenant, bound to a unit of work's transaction. */
export const filePlanRepo = (tx: Tx, tenantId: string) => ({
  findById: (id: string) => tx.filePlanUnit.findFirst({ where: { tenantId, id } }),

  findByCode: (code: string) => tx.filePlanUnit.findFirst({ where: { tenantId, code } }),

  all: () => tx.filePlanUnit.findMany({ where: { tenantId }, orderBy: { code: 'asc' } }),

  count: () => tx.filePlanUnit.count({ where: { tenantId } }),

  page: (q: { parentId?: string | null; retired?: boolean; afterId?: string; limit: number }) =>
    tx.filePlanUnit.findMany({
      where: {
        tenantId,
        ...(q.parentId !== undefined ? { parentId: q.parentId } : {}),
        ...(q.retired === undefined ? {} : q.retired ? { retiredAt: { not: null } } : { retiredAt: null }),
        ...(q.afterId ? { id: { gt: q.afterId } } : {}),
      },
      orderBy: { id: 'asc' },
      take: q.limit,
    }),

  create: (unit: NewPlanUnit) => tx.filePlanUnit.create({ data: { ...unit, tenantId } }),

  createMany: (units: NewPlanUnit[]) => tx.filePlanUnit.createMany({ data: units.map((u) => ({ ...u, tenantId })) }),

  /** Applies changes only if the row still has `rowVersion`; false when someone else changed it first. */
  async update(id: string, rowVersion: number, changes: PlanUnitChanges): Promise<boolean> {
    const { count } = await tx.filePlanUnit.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },
});
