import type { Tx } from '../../db/tenant-tx.js';
import type { AuditEvent as AuditRow, Prisma } from '../../generated/prisma/client.js';
import type { StoredEvent } from './chain.js';

export type { AuditRow };

export interface AuditFilter {
  objectId?: string;
  objectType?: string;
  action?: string;
  actor?: string;
  grantId?: string;
  from?: Date;
  to?: Date;
  afterSeq?: number;
}

export const toStored = (r: AuditRow): StoredEvent => ({
  tenantId: r.tenantId,
  seq: Number(r.seq),
  id: r.id,
  at: r.at.toISOString(),
  actorTenant: r.actorTenant,
  actorSub: r.actorSub,
  clientId: r.clientId,
  grantId: r.grantId,
  action: r.action,
  objectType: r.objectType,
  objectId: r.objectId,
  oldValues: r.oldValues ?? null,
  newValues: r.newValues ?? null,
  requestId: r.requestId,
  prevHash: r.prevHash,
  hash: r.hash,
});

const where = (tenantId: string, f: AuditFilter): Prisma.AuditEventWhereInput => ({
  tenantId,
  objectId: f.objectId,
  objectType: f.objectType,
  action: f.action,
  actorSub: f.actor,
  grantId: f.grantId,
  at: f.from || f.to ? { gte: f.from, lt: f.to } : undefined,
  seq: f.afterSeq !== undefined ? { gt: BigInt(f.afterSeq) } : undefined,
});

export const auditRepo = {
  /**
   * The chain head of a tenant, under a transaction-scoped advisory lock: appends of one tenant are
   * serialised until commit, so sequence numbers and previous hashes never fork.
   */
  async lockHead(tx: Tx, tenantId: string): Promise<{ seq: number; hash: string } | null> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || ${tenantId}, 0))`;
    const head = await tx.auditEvent.findFirst({ where: { tenantId }, orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
    return head ? { seq: Number(head.seq), hash: head.hash } : null;
  },

  insert: (tx: Tx, e: StoredEvent) =>
    tx.auditEvent.create({
      data: {
        ...e,
        seq: BigInt(e.seq),
        at: new Date(e.at),
        oldValues: (e.oldValues ?? undefined) as Prisma.InputJsonValue | undefined,
        newValues: (e.newValues ?? undefined) as Prisma.InputJsonValue | undefined,
      },
    }),

  page: (tx: Tx, tenantId: string, f: AuditFilter, limit: number) =>
    tx.auditEvent.findMany({ where: where(tenantId, f), orderBy: { seq: 'asc' }, take: limit }),
};
