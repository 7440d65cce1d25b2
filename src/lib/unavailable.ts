import { sqlState } from '../db/tenant-tx.js';

/**
 * Whether an error means a dependency (PostgreSQL, object storage, the disk) is unreachable or
 * out of space right now, rather than a bug: the request is answered 503 with Retry-After, and a
 * retry later (with the same Idempotency-Key) can succeed. Errors are followed through `cause`,
 * because Prisma's driver adapter and minio-js wrap what node-postgres and node:http throw.
 */
export type Outage = 'database' | 'storage' | 'disk-full' | 'dependency';

/** Node's socket errors: the peer is down, restarting or unreachable. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * PostgreSQL states of a server going away or not accepting work yet: class 08 (connection
 * exception), 57P01 admin_shutdown (fast shutdown), 57P02 crash_shutdown, 57P03 cannot_connect_now
 * (starting up, shutting down, in recovery), 53300 too_many_connections.
 */
const isDatabaseState = (state: string | undefined) => !!state && (state.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(state));

/** Messages of node-postgres and pg-pool for a lost or refused connection (they carry no code). */
const PG_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /the database system is (starting up|shutting down|in recovery mode)/i, /terminating connection due to administrator command/i, /Cannot use a pool after calling end/i];

/** S3 answers of a server that is up but cannot serve yet (MinIO starting, a lost quorum). */
const S3_CODES = new Set(['XMinioServerNotInitialized', 'SlowDown', 'ServiceUnavailable', 'XMinioStorageFull', 'XMinioReadQuorum', 'XMinioWriteQuorum']);

export function outageOf(err: unknown): Outage | null {
  let database = false;
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && typeof e === 'object' && depth < 8; e = e.cause as Record<string, unknown> | undefined, depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const message = typeof e.message === 'string' ? e.message : '';
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'XMinioStorageFull') return 'disk-full';
    if (isDatabaseState(sqlState(e)) || isDatabaseState(typeof e.originalCode === 'string' ? e.originalCode : undefined)) return 'database';
    if (code && /^(08|57P0[123]|53300)/.test(code) && code.length === 5) return 'database';
    if (PG_MESSAGES.some((re) => re.test(message))) database = true;
    // Prisma's names for a lost or saturated database: P1001 unreachable, P1002 timed out, P1017
    // closed, P2024 pool timeout, P2028 a transaction that could not start in time (every
    // connection busy) or outlived its timeout: a retry later can succeed.
    if (code && ['P1001', 'P1002', 'P1017', 'P2024', 'P2028'].includes(code)) return 'database';
    if (code && S3_CODES.has(code)) return 'storage';
    if (code && SOCKET_CODES.has(code)) return database ? 'database' : 'dependency';
  }
  return database ? 'database' : null;
}
