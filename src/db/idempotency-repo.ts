import type { Db } from './client.js';

export interface IdempotencyRecordRow {
  fingerprint: string;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  createdAt: Date;
}

export interface IdempotencyKeyId {
  tenantId: string;
  principal: string;
  key: string;
}

/** Storage of Idempotency-Key records (PostgreSQL, so every instance sees them). */
export function createIdempotencyRepo(db: Db) {
  return {
    /** Claims the key; false when a record already exists. */
    async claim(id: IdempotencyKeyId, fingerprint: string): Promise<boolean> {
      const rows = await db.$executeRaw`
        INSERT INTO idempotency_record (tenant_id, principal, key, fingerprint)
        VALUES (${id.tenantId}::uuid, ${id.principal}, ${id.key}, ${fingerprint})
        ON CONFLICT DO NOTHING`;
      return rows === 1;
    },

    async find(id: IdempotencyKeyId): Promise<IdempotencyRecordRow | null> {
      const row = await db.idempotencyRecord.findUnique({
        where: { tenantId_principal_key: { tenantId: id.tenantId, principal: id.principal, key: id.key } },
      });
      return row
        ? {
            fingerprint: row.fingerprint,
            responseStatus: row.responseStatus,
            responseHeaders: row.responseHeaders as Record<string, string> | null,
            responseBody: row.responseBody,
            createdAt: row.createdAt,
          }
        : null;
    },

    /** Takes over a claim that was abandoned (its request died) before `staleBefore`. */
    async takeOver(id: IdempotencyKeyId, fingerprint: string, staleBefore: Date): Promise<boolean> {
      const { count } = await db.idempotencyRecord.updateMany({
        where: { ...id, completedAt: null, createdAt: { lt: staleBefore } },
        data: { fingerprint, createdAt: new Date() },
      });
      return count === 1;
    },

    async complete(id: IdempotencyKeyId, status: number, headers: Record<string, string>, body: string): Promise<void> {
      await db.idempotencyRecord.updateMany({
        where: id,
        data: { responseStatus: status, responseHeaders: headers, responseBody: body, completedAt: new Date() },
      });
    },

    async release(id: IdempotencyKeyId): Promise<void> {
      await db.idempotencyRecord.deleteMany({ where: { ...id, completedAt: null } });
    },

    async purgeOlderThan(before: Date): Promise<number> {
      const { count } = await db.idempotencyRecord.deleteMany({ where: { createdAt: { lt: before } } });
      return count;
    },
  };
}
export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
