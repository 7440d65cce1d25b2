import type { Db } from './client.js';
import { sqlState } from './tenant-tx.js';

/**
 * Where heavy reads go when a streaming replica is configured (DATABASE_REPLICA_URL), and what
 * keeps a caller's read after its own write consistent.
 *
 * After a unit of work that wrote, the primary's WAL position (`pg_current_wal_lsn()`, taken after
 * the commit, so at or past its commit record) is remembered for that caller. A heavy read of that
 * caller goes to the replica only once the replica has replayed past it
 * (`pg_last_wal_replay_lsn()`, asked in the replica transaction itself); until then it goes to the
 * primary. Other callers read from the replica at once and may see it up to its lag behind.
 *
 * A replica that cannot be reached (or cancels a read for a recovery conflict) sends the read to
 * the primary; after a connection failure the replica is left alone for `retryAfterMs`.
 */
export interface ReadRouter {
  /** Remembers that `caller` just committed a write, at the primary's current WAL position. */
  wrote(caller: string): Promise<void>;
  /** The WAL position a read of `caller` must see, if it wrote lately. */
  mustSee(caller: string): string | undefined;
  /** The replica has replayed past `caller`'s write: forget it. */
  caughtUp(caller: string): void;
  /** Whether the replica is worth trying now (not failed within `retryAfterMs`). */
  replicaUsable(): boolean;
  replicaFailed(): void;
  readonly replica: Db;
  /** Reads answered by each server since start (en_akte_db_reads_total). */
  readonly counts: { replica: number; primary: number; fallback: number };
}

/** Remembered writes: a caller's entry lives until the replica passed it, or `ttlMs` at most. */
const MAX_CALLERS = 10_000;

export function createReadRouter(primary: Db, replica: Db, opts: { ttlMs?: number; retryAfterMs?: number } = {}): ReadRouter {
  const ttlMs = opts.ttlMs ?? 5 * 60_000;
  const retryAfterMs = opts.retryAfterMs ?? 5_000;
  const recent = new Map<string, { lsn: string; until: number }>();
  let failedAt = 0;
  return {
    replica,
    counts: { replica: 0, primary: 0, fallback: 0 },
    async wrote(caller) {
      const [row] = await primary.$queryRaw<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
      recent.delete(caller);
      recent.set(caller, { lsn: row!.lsn, until: Date.now() + ttlMs });
      // Oldest first (insertion order): a burst of callers never grows the map without bound.
      while (recent.size > MAX_CALLERS) recent.delete(recent.keys().next().value!);
    },
    mustSee(caller) {
      const entry = recent.get(caller);
      if (!entry) return undefined;
      if (entry.until < Date.now()) {
        recent.delete(caller);
        return undefined;
      }
      return entry.lsn;
    },
    caughtUp(caller) {
      recent.delete(caller);
    },
    replicaUsable: () => Date.now() - failedAt >= retryAfterMs,
    replicaFailed() {
      failedAt = Date.now();
    },
  };
}

/**
 * Whether an error of a replica read means "ask the primary instead": the replica is unreachable,
 * shutting down or in recovery trouble (SQLSTATE classes 08, 57P0x), or cancelled the read for a
 * conflict with recovery (40001). Anything else (a rule of the domain, bad input) is the answer.
 */
export function replicaUnavailable(err: unknown): boolean {
  const state = sqlState(err);
  if (state && (state.startsWith('08') || state.startsWith('57P') || state === '40001')) return true;
  const text = `${(err as Error)?.message ?? ''} ${String((err as { cause?: unknown })?.cause ?? '')}`;
  return /ECONNREFUSED|ECONNRESET|Connection terminated|connection timeout|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down)|Can't reach database|DatabaseNotReachable|Server has closed the connection/i.test(
    text,
  );
}
