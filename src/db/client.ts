import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Db = PrismaClient;

/** The role the API works as: owns no table, cannot bypass row-level security (migration 20261125020000). */
export const APP_ROLE = 'en_akte_app';

/**
 * The Prisma client over a node-postgres pool (Prisma 7's driver adapter; no query engine binary).
 * `role` is set at connection start-up (`-c role=…`), so every query, in a transaction or not,
 * runs as that role and row-level security applies. `null` keeps the login role (migrations, seed).
 */
export function createDb(url: string, poolMax: number, opts: { role?: string | null } = {}): Db {
  const role = opts.role === undefined ? APP_ROLE : opts.role;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: 5_000,
    ...(role ? { options: `-c role=${role}` } : {}),
  });
  // An idle connection that the server drops (restart, failover) must not crash the process; the
  // pool replaces it and the next query reports any lasting problem.
  pool.on('error', () => undefined);
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
