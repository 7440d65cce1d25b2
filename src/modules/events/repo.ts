import type { Tx } from '../../db/tenant-tx.js';

export interface OutboxRow {
  id: string;
  type: string;
  occurredAt: Date;
  subjectType: string;
  subjectId: string;
  parents: Record<string, string>;
  data: Record<string, unknown>;
  auditSeq: bigint;
  auditHash: string;
}

const COLUMNS = 'id, type, occurred_at AS "occurredAt", subject_type AS "subjectType", subject_id AS "subjectId", parents, data, audit_seq AS "auditSeq", audit_hash AS "auditHash"';

/**
 * The outbox of one tenant: events written with their audit events (by the audit writer, in the
 * same statement), read here by the dispatcher until every consumer has them.
 */
export const outboxRepo = (tx: Tx, tenantId: string) => ({
  /** The oldest undispatched events, locked; a dispatcher running elsewhere skips them. */
  claimPending: (limit: number) =>
    tx.$queryRawUnsafe<OutboxRow[]>(
      `SELECT ${COLUMNS} FROM outbox_event WHERE tenant_id = $1::uuid AND dispatched_at IS NULL ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      tenantId,
      limit,
    ),

  async markDispatched(ids: string[]): Promise<void> {
    await tx.outboxEvent.updateMany({ where: { tenantId, id: { in: ids } }, data: { dispatchedAt: new Date() } });
  },

  hasPending: async (): Promise<boolean> => (await tx.outboxEvent.findFirst({ where: { tenantId, dispatchedAt: null }, select: { id: true } })) !== null,

  find: async (id: string): Promise<OutboxRow | null> =>
    (await tx.$queryRawUnsafe<OutboxRow[]>(`SELECT ${COLUMNS} FROM outbox_event WHERE tenant_id = $1::uuid AND id = $2::uuid`, tenantId, id))[0] ?? null,

  /** Dispatched events older than `before` that no delivery refers to any more. */
  async purgeDispatched(before: Date): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM outbox_event e WHERE e.tenant_id = ${tenantId}::uuid AND e.dispatched_at < ${before.toISOString()}::timestamptz
        AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.event_id = e.id)`;
  },
});
