import pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';

/**
 * What a read repository needs of a transaction: Prisma's tagged `$queryRaw`. A Prisma transaction
 * client has it, and so has the lean read transaction below, so one repository serves both.
 */
export interface RawQuery {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T>;
}

/**
 * What an SQL unit's transaction offers beyond `$queryRaw`: a last statement that goes to the
 * database with the COMMIT, in one round trip (AuditLog.appendLast).
 */
export interface WriteQuery extends RawQuery {
  /** Sends `sql` with the COMMIT; `then` gets its rows once both succeeded. Nothing may be sent after it. */
  atCommit(sql: Prisma.Sql, then: (rows: unknown[]) => void): void;
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

const sqlOf = (query: TemplateStringsArray | Prisma.Sql, values: unknown[]) =>
  query instanceof Prisma.Sql ? query : Prisma.sql(query, ...(values as Prisma.Sql[]));

function rawQueryOver(client: pg.PoolClient): RawQuery {
  return {
    async $queryRaw<T>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T> {
      const sql = sqlOf(query, values);
      const result = await client.query({ text: sql.text, values: sql.values.map(param), types: PRISMA_TYPES });
      return result.rows as T;
    },
  };
}

/**
 * `sql` with its parameters as literals, for the simple protocol (several statements in one
 * message, no parameters): each value through node-postgres' escapeLiteral, null as NULL.
 */
function inlined(client: pg.PoolClient, sql: Prisma.Sql): string {
  const values = sql.values.map(param);
  return sql.text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = values[Number(n) - 1];
    return v === null || v === undefined ? 'NULL' : client.escapeLiteral(String(v));
  });
}

export const SET_TENANT = `SELECT set_config('app.tenant_id', $1, true)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A write transaction's opening, one round trip (a simple query of two statements): BEGIN, the
 * tenant, and a bound on every statement after it (a lock waited on included), as Prisma's
 * interactive transactions are bounded by their timeout. The simple protocol takes no parameters,
 * so the tenant id goes in as a literal, and only when it is a UUID.
 */
export function openWriting(tenantId: string): string {
  if (!UUID.test(tenantId)) throw new Error('A tenant id is a UUID');
  return `BEGIN; SELECT set_config('app.tenant_id', '${tenantId}', true), set_config('statement_timeout', '30s', true)`;
}

/** One transaction in one tenant on node-postgres directly: `open` (BEGIN and the tenant), `fn`, COMMIT. */
function rawTx<Q extends RawQuery>(
  pool: pg.Pool,
  open: (client: pg.PoolClient, tenantId: string) => Promise<unknown>,
  over: (client: pg.PoolClient) => { q: Q; commit: () => Promise<void> },
): TenantTxOf<Q> {
  return async (tenantId, fn) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    // The server ending the session between two statements (a restart, a failover) is an error of
    // this unit, not of the process: a checked-out client has no other listener, and an 'error'
    // without one is an uncaught exception. The next statement fails, and the client is discarded.
    const lost = (err: Error) => {
      broken = err;
    };
    client.on('error', lost);
    try {
      await open(client, tenantId);
      const tx = over(client);
      const result = await fn(tx.q);
      await tx.commit();
      return result;
    } catch (err) {
      // A connection that cannot even roll back is not given back to the pool.
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error('ROLLBACK failed');
      });
      throw err;
    } finally {
      client.removeListener('error', lost);
      client.release(broken);
    }
  };
}

const plainCommit = (client: pg.PoolClient) => async () => {
  await client.query('COMMIT');
};

/** A write transaction's queries, with its last statement sent together with the COMMIT. */
function writeQueryOver(client: pg.PoolClient): { q: WriteQuery; commit: () => Promise<void> } {
  const raw = rawQueryOver(client);
  let last: { sql: Prisma.Sql; then: (rows: unknown[]) => void } | undefined;
  const q: WriteQuery = {
    $queryRaw<T>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T> {
      if (last) return Promise.reject(new Error('A statement after the unit\'s last one (atCommit)'));
      return raw.$queryRaw<T>(query, ...values);
    },
    atCommit(sql, then) {
      if (last) throw new Error('A unit has one last statement (atCommit)');
      last = { sql, then };
    },
  };
  async function commit() {
    if (!last) return plainCommit(client)();
    // Two statements in one message: an error in the first skips the COMMIT, and the caller rolls back.
    const results = (await client.query({ text: `${inlined(client, last.sql)}; COMMIT`, types: PRISMA_TYPES })) as unknown as pg.QueryResult[];
    last.then(results[0]!.rows);
  }
  return { q, commit };
}

/**
 * A read-only transaction in one tenant on node-postgres directly, on the same pool as Prisma:
 * `BEGIN READ ONLY; set_config('app.tenant_id', …, true); …; COMMIT`, the statements of the
 * Prisma path, without its interactive-transaction machinery (issue #14: it cost the hot reads more
 * CPU than all of our own code). Row-level security is exactly as strict: the same role, the same
 * setting, local to the transaction. READ ONLY makes any write or row lock in it fail.
 */
export const createReadTx = (pool: pg.Pool): TenantTxOf<RawQuery> =>
  rawTx(
    pool,
    async (client, tenantId) => {
      await client.query('BEGIN READ ONLY');
      await client.query(SET_TENANT, [tenantId]);
    },
    (client) => ({ q: rawQueryOver(client), commit: plainCommit(client) }),
  );

/**
 * A read-write transaction in one tenant on node-postgres directly, for units whose repositories
 * send only their own SQL (adding a version): the same role, the same row-level security, the
 * same tenant setting as a Prisma unit of work, each statement bounded to 30 s; opened in one
 * round trip instead of two, and its last statement (atCommit) sent with the COMMIT.
 */
export const createWriteTx = (pool: pg.Pool): TenantTxOf<WriteQuery> =>
  rawTx(pool, (client, tenantId) => client.query(openWriting(tenantId)), writeQueryOver);
