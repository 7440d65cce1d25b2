import type { RawQuery, WriteQuery } from '../../db/read-tx.js';
import type { Tx } from '../../db/tenant-tx.js';
import { Prisma, type AuditEvent as AuditRow } from '../../generated/prisma/client.js';
import type { ChainTemplate, StoredEvent } from './chain.js';

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

type Appended = { seq: number; hash: string };
const appended = (rows: unknown[]): Appended => {
  const row = rows[0] as { seq: bigint; hash: string };
  return { seq: Number(row.seq), hash: row.hash };
};

/**
 * Appending to the audit trail of one tenant: one statement of its own SQL, so it runs in a unit
 * of work and in an SQL unit alike.
 */
export const auditAppender = (sql: RawQuery | WriteQuery, tenantId: string) => {
  /**
   * The append in one statement (`audit_append`: the head under the tenant's advisory lock, the
   * hash, the insert) and, in the same statement, the outbox rows of the events it carries, with
   * the event's place in the chain.
   */
  function statement(e: Omit<StoredEvent, 'seq' | 'prevHash' | 'hash'>, template: ChainTemplate, outbox: OutboxRow[]): Prisma.Sql {
    const call = Prisma.sql`
      SELECT audit_seq AS seq, audit_hash AS hash FROM audit_append(${tenantId}::uuid, ${e.id}::uuid, ${e.at}::timestamptz, ${e.actorTenant},
        ${e.actorSub}, ${e.clientId}, ${e.grantId}::uuid, ${e.action}, ${e.objectType}, ${e.objectId}::uuid, ${json(e.oldValues)}::jsonb,
        ${json(e.newValues)}::jsonb, ${e.requestId}, ${template.beforePrev}, ${template.beforeSeq}, ${template.afterSeq})`;
    if (outbox.length === 0) return call;
    const values = Prisma.join(
      outbox.map((o) => Prisma.sql`(${o.id}::uuid, ${o.type}, ${o.subjectType}, ${o.subjectId}::uuid, ${json(o.parents)}::jsonb, ${json(o.data)}::jsonb)`),
    );
    return Prisma.sql`
      WITH a AS MATERIALIZED (${call}),
      o AS (
        INSERT INTO outbox_event (id, tenant_id, type, occurred_at, subject_type, subject_id, parents, data, audit_seq, audit_hash)
        SELECT v.id, ${tenantId}::uuid, v.type, ${e.at}::timestamptz, v.subject_type, v.subject_id, v.parents, v.data, a.seq, a.hash
        FROM a, (VALUES ${values}) AS v (id, type, subject_type, subject_id, parents, data))
      SELECT seq, hash FROM a`;
  }

  return {
    /** Appends an event (and its outbox rows) now; its place in the chain comes back. */
    async append(e: Omit<StoredEvent, 'seq' | 'prevHash' | 'hash'>, template: ChainTemplate, outbox: OutboxRow[]): Promise<Appended> {
      return appended(await sql.$queryRaw<unknown[]>(statement(e, template, outbox)));
    },

    /**
     * Appends as the transaction's last statement, sent with its COMMIT where the transaction can
     * (an SQL unit), else now; `then` gets the event's place in the chain.
     */
    async appendLast(e: Omit<StoredEvent, 'seq' | 'prevHash' | 'hash'>, template: ChainTemplate, outbox: OutboxRow[], then: (a: Appended) => void): Promise<void> {
      const s = statement(e, template, outbox);
      if ('atCommit' in sql) sql.atCommit(s, (rows) => then(appended(rows)));
      else then(appended(await sql.$queryRaw<unknown[]>(s)));
    },
  };
};

/** The audit trail of one tenant, bound to a unit of work's transaction. */
export const auditRepo = (tx: Tx, tenantId: string) => ({
  ...auditAppender(tx, tenantId),

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
