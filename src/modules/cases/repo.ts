import type { Tx } from '../../db/tenant-tx.js';
import type { Prisma, RecordCase as CaseRow } from '../../generated/prisma/client.js';

export type { CaseRow };
export type CaseWithFile = CaseRow & { file: { status: 'open' | 'closed' } };

export interface NewCase {
  id: string;
  tenantId: string;
  fileId: string;
  reference: string;
  title: string;
  description: string | null;
  metadata: Prisma.InputJsonValue;
  createdBy: string;
}

export type CaseChanges = Partial<Pick<NewCase, 'title' | 'description' | 'metadata'>> & {
  status?: 'open' | 'closed';
  closedOn?: Date | null;
};

const withFile = { file: { select: { status: true } } } as const;

export const caseRepo = {
  findById: (tx: Tx, tenantId: string, id: string): Promise<CaseWithFile | null> =>
    tx.recordCase.findFirst({ where: { tenantId, id }, include: withFile }),

  create: (tx: Tx, c: NewCase): Promise<CaseWithFile> => tx.recordCase.create({ data: c, include: withFile }),

  pageOfFile: (tx: Tx, tenantId: string, fileId: string, q: { status?: 'open' | 'closed'; afterId?: string; limit: number }) =>
    tx.recordCase.findMany({
      where: { tenantId, fileId, status: q.status, id: q.afterId ? { gt: q.afterId } : undefined },
      include: withFile,
      orderBy: { id: 'asc' },
      take: q.limit,
    }),

  countOpenInFile: (tx: Tx, tenantId: string, fileId: string) =>
    tx.recordCase.count({ where: { tenantId, fileId, status: 'open' } }),

  /** Closes every open case of a file on `closedOn` (closing the file with closeOpenCases). */
  async closeAllOpenInFile(tx: Tx, tenantId: string, fileId: string, closedOn: Date): Promise<number> {
    const { count } = await tx.recordCase.updateMany({
      where: { tenantId, fileId, status: 'open' },
      data: { status: 'closed', closedOn, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count;
  },

  async update(tx: Tx, tenantId: string, id: string, rowVersion: number, changes: CaseChanges): Promise<boolean> {
    const { count } = await tx.recordCase.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },
};
