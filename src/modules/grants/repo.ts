import type { Tx } from '../../db/tenant-tx.js';
import type { SupportGrant as GrantRow } from '../../generated/prisma/client.js';

export type { GrantRow };

export interface NewGrant {
  id: string;
  tenantId: string;
  grantee: string;
  requestedBy: string;
  scope: 'read' | 'read_write';
  fileId: string | null;
  reason: string;
  ticket: string | null;
  durationHours: number;
}

export type GrantChanges = Partial<Pick<GrantRow, 'status' | 'decidedBy' | 'decidedAt' | 'validFrom' | 'validUntil' | 'revokedBy' | 'revokedAt'>>;

export const grantRepo = {
  create: (tx: Tx, g: NewGrant) => tx.supportGrant.create({ data: g }),

  findById: (tx: Tx, tenantId: string, id: string) => tx.supportGrant.findFirst({ where: { tenantId, id } }),

  /** `expired` is approved with validUntil passed; `approved` means still valid. */
  page: (tx: Tx, tenantId: string, q: { status?: GrantRow['status'] | 'expired'; party?: string; afterId?: string; limit: number }) =>
    tx.supportGrant.findMany({
      where: {
        tenantId,
        ...(q.status === 'expired'
          ? { status: 'approved', validUntil: { lte: new Date() } }
          : q.status === 'approved'
            ? { status: 'approved', validUntil: { gt: new Date() } }
            : { status: q.status }),
        ...(q.party ? { OR: [{ grantee: q.party }, { requestedBy: q.party }] } : {}),
        id: q.afterId ? { gt: q.afterId } : undefined,
      },
      orderBy: { id: 'asc' },
      take: q.limit,
    }),

  /** Approved, unexpired grants of a staff member in a tenant. */
  active: (tx: Tx, tenantId: string, grantee: string, now: Date) =>
    tx.supportGrant.findMany({
      where: { tenantId, grantee, status: 'approved', validFrom: { lte: now }, validUntil: { gt: now } },
      orderBy: { validUntil: 'desc' },
    }),

  async update(tx: Tx, tenantId: string, id: string, rowVersion: number, changes: GrantChanges): Promise<boolean> {
    const { count } = await tx.supportGrant.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },

  /** The file an object belongs to (for grants limited to one file); null when unknown. */
  async fileOf(tx: Tx, tenantId: string, ref: { fileId?: string; caseId?: string; documentId?: string }): Promise<string | null> {
    if (ref.fileId) return ref.fileId;
    if (ref.caseId) return (await tx.recordCase.findFirst({ where: { tenantId, id: ref.caseId }, select: { fileId: true } }))?.fileId ?? null;
    if (ref.documentId) {
      const doc = await tx.recordDocument.findFirst({ where: { tenantId, id: ref.documentId }, select: { case: { select: { fileId: true } } } });
      return doc?.case.fileId ?? null;
    }
    return null;
  },
};
