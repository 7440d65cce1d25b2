import type { Tx } from '../../db/tenant-tx.js';
import type { FilePlanUnit } from '../../generated/prisma/client.js';
import type { DisposalCode } from '../../generated/prisma/enums.js';

export type PlanUnitRow = FilePlanUnit;

export interface NewPlanUnit {
  id: string;
  tenantId: string;
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

export const filePlanRepo = {
  findById: (tx: Tx, tenantId: string, id: string) => tx.filePlanUnit.findFirst({ where: { tenantId, id } }),

  findByCode: (tx: Tx, tenantId: string, code: string) => tx.filePlanUnit.findFirst({ where: { tenantId, code } }),

  findByCodes: (tx: Tx, tenantId: string, codes: string[]) =>
    tx.filePlanUnit.findMany({ where: { tenantId, code: { in: codes } } }),

  all: (tx: Tx, tenantId: string) => tx.filePlanUnit.findMany({ where: { tenantId }, orderBy: { code: 'asc' } }),

  page: (tx: Tx, tenantId: string, q: { parentId?: string | null; retired?: boolean; afterId?: string; limit: number }) =>
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

  create: (tx: Tx, unit: NewPlanUnit) => tx.filePlanUnit.create({ data: unit }),

  createMany: (tx: Tx, units: NewPlanUnit[]) => tx.filePlanUnit.createMany({ data: units }),

  /** Applies changes only if the row still has `rowVersion`; false when someone else changed it first. */
  async update(tx: Tx, tenantId: string, id: string, rowVersion: number, changes: PlanUnitChanges): Promise<boolean> {
    const { count } = await tx.filePlanUnit.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },
};
