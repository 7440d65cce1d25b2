import pg from 'pg';
import type { Db } from './client.js';
import type { Prisma } from '../generated/prisma/client.js';

export type Tx = Prisma.TransactionClient;

/** Runs `fn` in one transaction scoped to a tenant (row-level security reads `app.tenant_id`). */
export type TenantTx = <T>(tenantId: string, fn: (tx: Tx) => Promise<T>) => Promise<T>;

export function createTenantTx(db: Db): TenantTx {
  return (tenantId, fn) =>
    db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`;
        return fn(tx);
      },
      { maxWait: 5_000, timeout: 30_000 },
    );
}

/** Postgres SQLSTATE of a failed query, from node-postgres or as Prisma exposes it (unique_violation is 23505). */
export function sqlState(err: unknown): string | undefined {
  if (err instanceof pg.DatabaseError) return err.code;
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } };
  if (e?.code === 'P2002') return '23505';
  return e?.meta?.driverAdapterError?.cause?.originalCode;
}

export const isUniqueViolation = (err: unknown) => sqlState(err) === '23505';
