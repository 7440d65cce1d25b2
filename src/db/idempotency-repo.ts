import type { TenantTx } from './tenant-tx.js';

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

/** Idempotency-Key records in PostgreSQL (every instance sees them), each access in its tenant's scope. */
export function createIdempotencyRepo(tx: TenantTx) {
  return {
    /** Claims the key; false when a record already exists. */
    claim: (id: IdempotencyKeyId, fingerprint: string): Promise<boolean> =>
      tx(id.tenantId, async (t) => {
        const rows = await t.$executeRaw`
          INSERT INTO idempotency_record (tenant_id, principal, key, fingerprint)
          VALUES (${id.tenantId}::uuid, ${id.principal}, ${id.key}, ${fingerprint})
          ON CONFLICT DO NOTHING`;
        return rows === 1;
      }),

    find: (id: IdempotencyKeyId): Promise<IdempotencyRecordRow | null> =>
      tx(id.tenantId, async (t) => {
        const row = await t.idempotencyRecord.findUnique({
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
      }),

    /** Takes over a claim that was abandoned (its request died) before `staleBefore`. */
    takeOver: (id: IdempotencyKeyId, fingerprint: string, staleBefore: Date): Promise<boolean> =>
      tx(id.tenantId, async (t) => {
        const { count } = await t.idempotencyRecord.updateMany({
          where: { ...id, completedAt: null, createdAt: { lt: staleBefore } },
          data: { fingerprint, createdAt: new Date() },
        });
        return count === 1;
      }),

    complete: (id: IdempotencyKeyId, status: number, headers: Record<string, string>, body: string): Promise<void> =>
      tx(id.tenantId, async (t) => {
        await t.idempotencyRecord.updateMany({
          where: id,
          data: { responseStatus: status, responseHeaders: headers, responseBody: body, completedAt: new Date() },
        });
      }),

    release: (id: IdempotencyKeyId): Promise<void> =>
      tx(id.tenantId, async (t) => {
        await t.idempotencyRecord.deleteMany({ where: { ...id, completedAt: null } });
      }),

    purgeOlderThan: (tenantId: string, before: Date): Promise<number> =>
      tx(tenantId, async (t) => (await t.idempotencyRecord.deleteMany({ where: { tenantId, createdAt: { lt: before } } })).count),
  };
}
export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
