import type { Tx } from '../../db/tenant-tx.js';
import type { SupportGrant as GrantRow } from '../../generated/prisma/client.js';

export type { GrantRow };

export interface NewGrant {
  id: string;
  grantee: string;
  requestedBy: string;
  scope: 'read' | 'read_write';
  fileId: string | null;
  reason: string;
  ticket: string | null;
  durationHours: number;
}

export type GrantChanges = Partial<Pick<GrantRow, 'status' | 'decidedBy' | 'decidedAt' | 'validFrom' | 'validUntil' | 'revokedBy' | 'revokedAt'>>;

/** Support grants of one tenant, bound to a unit of work's transaction. */
export const grantRepo = (tx: Tx, tenantId: string) => ({
  create: (g: NewGrant) => tx.supportGrant.create({ data: { ...g, tenantId } }),

  findById: (id: string) => tx.supportGrant.findFirst({ where: { tenantId, id } }),

  /** `expired` is approved with validUntil passed; `approved` means still valid. */
  page: (q: { status?: GrantRow['status'] | 'expired'; party?: string; afterId?: string; limit: number }) =>
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
  active: (grantee: string, now: Date) =>
    tx.supportGrant.findMany({
      where: { tenantId, grantee, status: 'approved', validFrom: { lte: now }, validUntil: { gt: now } },
      orderBy: { validUntil: 'desc' },
    }),

  async update(id: string, rowVersion: number, changes: GrantChanges): Promise<boolean> {
    const { count } = await tx.supportGrant.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },

  /** Approved grants whose time ran out and whose expiry is not yet recorded, locked (one job records each once). */
  expiredUnrecorded: (now: Date) =>
    tx.$queryRaw<{ id: string; grantee: string; validUntil: Date }[]>`
      SELECT id, grantee, valid_until AS "validUntil" FROM support_grant
      WHERE tenant_id = ${tenantId}::uuid AND status = 'approved' AND valid_until <= ${now.toISOString()}::timestamptz
        AND expiry_recorded_at IS NULL
      ORDER BY valid_until LIMIT 500 FOR UPDATE SKIP LOCKED`,

  markExpiryRecorded: (id: string) => tx.supportGrant.updateMany({ where: { tenantId, id }, data: { expiryRecordedAt: new Date() } }),
});
