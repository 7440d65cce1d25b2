import type { Tx } from './tenant-tx.js';

/** How long a key is remembered (draft-ietf-httpapi-idempotency-key-header); the sweeper purges older ones. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface IdempotencyRecordRow {
  fingerprint: string;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  createdAt: Date;
}

/** A key is per caller within a tenant. */
export interface IdempotencyKeyId {
  principal: string;
  key: string;
}

/** Idempotency-Key records in PostgreSQL (every instance sees them), bound to a unit of work's tenant. */
export const idempotencyRepo = (tx: Tx, tenantId: string) => ({
  /** Claims the key; false when a record already exists. */
  async claim(id: IdempotencyKeyId, fingerprint: string): Promise<boolean> {
    const rows = await tx.$executeRaw`
      INSERT INTO idempotency_record (tenant_id, principal, key, fingerprint)
      VALUES (${tenantId}::uuid, ${id.principal}, ${id.key}, ${fingerprint})
      ON CONFLICT DO NOTHING`;
    return rows === 1;
  },

  async find(id: IdempotencyKeyId): Promise<IdempotencyRecordRow | null> {
    const row = await tx.idempotencyRecord.findUnique({ where: { tenantId_principal_key: { tenantId, principal: id.principal, key: id.key } } });
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
    const { count } = await tx.idempotencyRecord.updateMany({
      where: { tenantId, ...id, completedAt: null, createdAt: { lt: staleBefore } },
      data: { fingerprint, createdAt: new Date() },
    });
    return count === 1;
  },

  async complete(id: IdempotencyKeyId, status: number, headers: Record<string, string>, body: string): Promise<void> {
    await tx.idempotencyRecord.updateMany({
      where: { tenantId, ...id },
      data: { responseStatus: status, responseHeaders: headers, responseBody: body, completedAt: new Date() },
    });
  },

  async release(id: IdempotencyKeyId): Promise<void> {
    await tx.idempotencyRecord.deleteMany({ where: { tenantId, ...id, completedAt: null } });
  },

  purgeOlderThan: async (before: Date): Promise<number> =>
    (await tx.idempotencyRecord.deleteMany({ where: { tenantId, createdAt: { lt: before } } })).count,
});
