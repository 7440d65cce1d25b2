import type { Tx } from '../../db/tenant-tx.js';
import type { Prisma, RecordFile as FileRow } from '../../generated/prisma/client.js';

export type { FileRow };
export type FileWithUnit = FileRow & { planUnit: { code: string } };

export interface NewFile {
  id: string;
  tenantId: string;
  planUnitId: string;
  reference: string;
  title: string;
  description: string | null;
  confidentiality: string;
  leadOrgUnit: string | null;
  metadata: Prisma.InputJsonValue;
  createdBy: string;
}

export type FileChanges = Partial<Pick<NewFile, 'title' | 'description' | 'confidentiality' | 'leadOrgUnit' | 'metadata'>> & {
  status?: 'open' | 'closed';
  closedOn?: Date | null;
};

/** Prisma's startsWith becomes LIKE 'x%' without escaping (prisma/prisma#19506): `%` and `_` are literal here. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, '\\$&');

const withUnit = { planUnit: { select: { code: true } } } as const;

export const fileRepo = {
  findById: (tx: Tx, tenantId: string, id: string): Promise<FileWithUnit | null> =>
    tx.recordFile.findFirst({ where: { tenantId, id }, include: withUnit }),

  /** Locks the file row until the transaction ends (closing, adding cases). */
  async lock(tx: Tx, tenantId: string, id: string): Promise<boolean> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM record_file WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid FOR UPDATE`;
    return rows.length === 1;
  },

  /** Next number in a reference scope; the counter row stays locked until commit, so numbers never repeat. */
  async nextSequence(tx: Tx, tenantId: string, scope: string): Promise<number> {
    const rows = await tx.$queryRaw<{ last_seq: number }[]>`
      INSERT INTO reference_counter (tenant_id, scope, last_seq) VALUES (${tenantId}::uuid, ${scope}, 1)
      ON CONFLICT (tenant_id, scope) DO UPDATE SET last_seq = reference_counter.last_seq + 1
      RETURNING last_seq`;
    return rows[0]!.last_seq;
  },

  referenceExists: async (tx: Tx, tenantId: string, reference: string) =>
    (await tx.recordFile.count({ where: { tenantId, reference } })) > 0,

  create: (tx: Tx, file: NewFile): Promise<FileWithUnit> => tx.recordFile.create({ data: file, include: withUnit }),

  page: (
    tx: Tx,
    tenantId: string,
    q: {
      planUnitId?: string;
      status?: 'open' | 'closed';
      referencePrefix?: string;
      titlePrefix?: string;
      createdFrom?: Date;
      createdTo?: Date;
      afterId?: string;
      limit: number;
    },
  ): Promise<FileWithUnit[]> =>
    tx.recordFile.findMany({
      where: {
        tenantId,
        planUnitId: q.planUnitId,
        status: q.status,
        reference: q.referencePrefix ? { startsWith: likeLiteral(q.referencePrefix) } : undefined,
        title: q.titlePrefix ? { startsWith: likeLiteral(q.titlePrefix) } : undefined,
        createdAt: q.createdFrom || q.createdTo ? { gte: q.createdFrom, lt: q.createdTo } : undefined,
        id: q.afterId ? { gt: q.afterId } : undefined,
      },
      include: withUnit,
      orderBy: { id: 'asc' },
      take: q.limit,
    }),

  async update(tx: Tx, tenantId: string, id: string, rowVersion: number, changes: FileChanges): Promise<boolean> {
    const { count } = await tx.recordFile.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },

  /** Counts up the file's case numbers under the row lock. */
  async nextCaseNumber(tx: Tx, tenantId: string, id: string): Promise<number> {
    const rows = await tx.$queryRaw<{ case_count: number }[]>`
      UPDATE record_file SET case_count = case_count + 1 WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid
      RETURNING case_count`;
    return rows[0]!.case_count;
  },
};
