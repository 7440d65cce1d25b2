import pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';

/**
 * What a read repository needs of a transaction: Prisma's tagged `$queryRaw`. A Prisma transaction
 * client has it, and so has the lean read transaction below, so one repository serves both.
 */
export interface RawQuery {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T>;
}

/** Runs `fn` in one transaction scoped to a tenant, handing it `Q` to query with. */
export type TenantTxOf<Q> = <T>(tenantId: string, fn: (tx: Q) => Promise<T>) => Promise<T>;

const { builtins } = pg.types;
const defaultParser = (oid: number) => pg.types.getTypeParser(oid, 'text') as (value: string) => unknown;

/**
 * Values as Prisma's raw queries give them, so a row reads the same on either path: int8 as bigint,
 * numeric as Decimal, date and timestamp (without zone) as UTC `Date`s; timestamptz, json, int4,
 * bool and text as node-postgres parses them (so does Prisma).
 */
const PARSERS = new Map<number, (value: string) => unknown>([
  [builtins.INT8, (v) => BigInt(v)],
  [builtins.NUMERIC, (v) => new Prisma.Decimal(v)],
  [builtins.DATE, (v) => new Date(`${v}T00:00:00Z`)],
  [builtins.TIMESTAMP, (v) => new Date(`${v.replace(' ', 'T')}Z`)],
]);
const PRISMA_TYPES = {
  getTypeParser: (oid: number) => PARSERS.get(oid) ?? defaultParser(oid),
} as pg.CustomTypesConfig;

/** Parameters as Prisma sends them: instants in UTC (node-postgres would send local time), bigints as text. */
const param = (value: unknown): unknown => {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
};

function rawQueryOver(client: pg.PoolClient): RawQuery {
  return {
    async $queryRaw<T>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T> {
      const sql = query instanceof Prisma.Sql ? query : Prisma.sql(query, ...(values as Prisma.Sql[]));
      const result = await client.query({ text: sql.text, values: sql.values.map(param), types: PRISMA_TYPES });
      return result.rows as T;
    },
  };
}

export const SET_TENANT = `SELECT set_config('app.tenant_id', $1, true)`;

/**
 * A read-only transaction in one tenant on node-postgres directly, on the same pool as Prisma:
 * `BEGIN READ ONLY; set_config('app.tenant_id', …, true); …; COMMIT`, the statements of the
 * Prisma path, without its interactive-transaction machinery (issue #14: it cost the hot reads more
 * CPU than all of our own code). Row-level security is exactly as strict: the same role, the same
 * setting, local to the transaction. READ ONLY makes any write or row lock in it fail.
 */
export function createReadTx(pool: pg.Pool): TenantTxOf<RawQuery> {
  return async (tenantId, fn) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(SET_TENANT, [tenantId]);
      const result = await fn(rawQueryOver(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is not given back to the pool.
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error('ROLLBACK failed');
      });
      throw err;
    } finally {
      client.release(broken);
    }
  };
}
