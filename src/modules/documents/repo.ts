import type { Tx } from '../../db/tenant-tx.js';
import type { Prisma, RecordDocument as DocumentRow } from '../../generated/prisma/client.js';

export type { DocumentRow };
export type DocumentWithParents = DocumentRow & { case: { status: 'open' | 'closed'; fileId: string; file: { status: 'open' | 'closed' } } };

export interface NewDocument {
  id: string;
  tenantId: string;
  caseId: string;
  title: string;
  kind: string;
  receivedOn: Date | null;
  sentOn: Date | null;
  sender: string | null;
  addressee: string | null;
  metadata: Prisma.InputJsonValue;
  createdBy: string;
}

export type DocumentChanges = Partial<Omit<NewDocument, 'id' | 'tenantId' | 'caseId' | 'createdBy'>> & {
  checkedOutBy?: string | null;
  checkedOutUntil?: Date | null;
  versionCount?: number;
};

const withParents = { case: { select: { status: true, fileId: true, file: { select: { status: true } } } } } as const;

export const documentRepo = {
  findById: (tx: Tx, tenantId: string, id: string): Promise<DocumentWithParents | null> =>
    tx.recordDocument.findFirst({ where: { tenantId, id }, include: withParents }),

  /**
   * Locks file and case (shared) and the document (exclusive), in that order, then reads the
   * document: closing a file or case cannot slip between a check and a write.
   */
  async lockForWrite(tx: Tx, tenantId: string, id: string): Promise<DocumentWithParents | null> {
    const doc = await tx.recordDocument.findFirst({ where: { tenantId, id }, select: { caseId: true, case: { select: { fileId: true } } } });
    if (!doc) return null;
    await tx.$queryRaw`SELECT 1 FROM record_file WHERE id = ${doc.case.fileId}::uuid FOR SHARE`;
    await tx.$queryRaw`SELECT 1 FROM record_case WHERE id = ${doc.caseId}::uuid FOR SHARE`;
    await tx.$queryRaw`SELECT 1 FROM record_document WHERE id = ${id}::uuid FOR UPDATE`;
    return tx.recordDocument.findFirst({ where: { tenantId, id }, include: withParents });
  },

  create: (tx: Tx, d: NewDocument): Promise<DocumentWithParents> => tx.recordDocument.create({ data: d, include: withParents }),

  pageOfCase: (tx: Tx, tenantId: string, caseId: string, q: { afterId?: string; limit: number }) =>
    tx.recordDocument.findMany({
      where: { tenantId, caseId, id: q.afterId ? { gt: q.afterId } : undefined },
      include: withParents,
      orderBy: { id: 'asc' },
      take: q.limit,
    }),

  async update(tx: Tx, tenantId: string, id: string, rowVersion: number, changes: DocumentChanges): Promise<boolean> {
    const { count } = await tx.recordDocument.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },
};
