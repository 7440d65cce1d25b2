import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { noTelemetry, type Telemetry } from '../telemetry/index.js';
import { tracePool } from './traced-pool.js';

export type Db = PrismaClient;

/**
 * The group role that holds the API's privileges: owns no table, cannot bypass row-level
 * security (migration 20261125020000). The API's login role is a member of it and nothing more.
 */
export const APP_ROLE = 'en_akte_app';

/** The login role of the embedded default (and the test harness), created by `ensureApiLogin`. */
export const API_LOGIN = 'en_akte_api';

/**
 * The Prisma client over a node-postgres pool (Prisma 7's driver adapter; no query engine binary),
 * connected as whatever login the URL names: the API's own login, which owns nothing, or the
 * owner for migrations and the seed.
 */
/** The node-postgres pool under each client, for the pool gauges of /metrics. */
const pools = new WeakMap<Db, pg.Pool>();
export const poolOf = (db: Db): pg.Pool | undefined => pools.get(db);

export function createDb(url: string, poolMax: number, telemetry: Telemetry = noTelemetry): Db {
  const pool = new pg.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 5_000 });
  // With tracing on, a span per statement (src/db/traced-pool.ts); off, the pool is untouched.
  if (telemetry.enabled) tracePool(pool, telemetry, url);
  // An idle connection that the server drops (restart, failover) must not crash the process; the
  // pool replaces it and the next query reports any lasting problem.
  pool.on('error', () => undefined);
  const db = new PrismaClient({ adapter: new PrismaPg(pool) });
  pools.set(db, pool);
  return db;
}
