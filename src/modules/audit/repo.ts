import type { Tx } from '../../db/tenant-tx.js';
import { Prisma, type AuditEvent as AuditRow } from '../../generated/prisma/client.js';
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

/** An outbox row written with its audit event (src/core/events.ts describes the shape). */
export interface OutboxRow {
  id: string;
  type: string;
  subjectType: string;
  subjectId: string;
  parents: object;
  data: object;
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

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** The audit trail of one tenant, bound to a unit of work's transaction. */
export const auditRepo = (tx: Tx, tenantId: string) => ({
  /**
   * The chain head, under a transaction-scoped advisory lock: appends of one tenant are
   * serialised until commit, so sequence numbers and previous hashes never fork.
   */
  async lockHead(): Promise<{ seq: number; hash: string } | null> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || ${tenantId}, 0))`;
    const head = await tx.auditEvent.findFirst({ where: { tenantId }, orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
    return head ? { seq: Number(head.seq), hash: head.hash } : null;
  },

  /** The newest event's sequence and hash (no lock: a checkpoint of what is committed). */
  async head(): Promise<{ seq: number; hash: string } | null> {
    const head = await tx.auditEvent.findFirst({ where: { tenantId }, orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
    return head ? { seq: Number(head.seq), hash: head.hash } : null;
  },

  /** The hash of the event at `seq`, if there is one. */
  async hashAt(seq: number): Promise<string | null> {
    const row = await tx.auditEvent.findFirst({ where: { tenantId, seq: BigInt(seq) }, select: { hash: true } });
    return row?.hash ?? null;
  },

  /** Inserts the event and, in the same statement, the outbox rows of the events it carries. */
  async insert(e: StoredEvent, outbox: OutboxRow[]): Promise<void> {
    const audit = Prisma.sql`
      INSERT INTO audit_event (tenant_id, seq, id, at, actor_tenant, actor_sub, client_id, grant_id, action, object_type,
                               object_id, old_values, new_values, request_id, prev_hash, hash)
      VALUES (${tenantId}::uuid, ${e.seq}::bigint, ${e.id}::uuid, ${e.at}::timestamptz, ${e.actorTenant}, ${e.actorSub},
              ${e.clientId}, ${e.grantId}::uuid, ${e.action}, ${e.objectType}, ${e.objectId}::uuid, ${json(e.oldValues)}::jsonb,
              ${json(e.newValues)}::jsonb, ${e.requestId}, ${e.prevHash}, ${e.hash})`;
    if (outbox.length === 0) {
      await tx.$executeRaw(audit);
      return;
    }
    const rows = Prisma.join(
      outbox.map((o) => Prisma.sql`(${o.id}::uuid, ${o.type}, ${o.subjectType}, ${o.subjectId}::uuid, ${json(o.parents)}::jsonb, ${json(o.data)}::jsonb)`),
    );
    await tx.$executeRaw`
      WITH a AS (${audit} RETURNING seq, hash, at)
      INSERT INTO outbox_event (id, tenant_id, type, occurred_at, subject_type, subject_id, parents, data, audit_seq, audit_hash)
      SELECT e.id, ${tenantId}::uuid, e.type, a.at, e.subject_type, e.subject_id, e.parents, e.data, a.seq, a.hash
      FROM a, (VALUES ${rows}) AS e (id, type, subject_type, subject_id, parents, data)`;
  },

  page: (f: AuditFilter, limit: number) =>
    tx.auditEvent.findMany({
      where: {
        tenantId,
        objectId: f.objectId,
        objectType: f.objectType,
        action: f.action,
        actorSub: f.actor,
        grantId: f.grantId,
        at: f.from || f.to ? { gte: f.from, lt: f.to } : undefined,
        seq: f.afterSeq !== undefined ? { gt: BigInt(f.afterSeq) } : undefined,
      },
      orderBy: { seq: 'asc' },
      take: limit,
    }),
});
