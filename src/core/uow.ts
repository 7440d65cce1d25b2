import type pg from 'pg';
import { poolOf, type Db } from '../db/client.js';
import { createReadTx, createWriteTx, type RawQuery, type TenantTxOf, type WriteQuery } from '../db/read-tx.js';
import { replicaUnavailable, type ReadRouter } from '../db/replica.js';
import { createTenantTx, sqlState, type Tx } from '../db/tenant-tx.js';
import type { AuditLog } from './audit.js';
import type { RequestContext } from './context.js';
import type { DomainEvent } from './events.js';
import type { TenantRef } from './tenant.js';

/**
 * Builds a repository bound to one transaction and tenant (repos never take the tenant id by
 * hand) and, where it filters by who asks (confidentiality), to the request context.
 */
export type RepoFactory<R> = (tx: Tx, tenantId: string, ctx: RequestContext) => R;

/**
 * One transaction in one tenant (row-level security set once), carrying what every service
 * needs: the request context, tenant-bound repositories, the audit trail and the events written
 * so far. Several services can act in one unit; it commits or rolls back as a whole.
 */
export interface UnitOfWork {
  readonly ctx: RequestContext;
  readonly tenant: TenantRef;
  /** The repository of `factory`, bound to this unit (one instance per unit). */
  repo<R>(factory: RepoFactory<R>): R;
  readonly audit: AuditLog;
  /** The events this unit wrote to the outbox (delivered by the jobs once it commits). */
  readonly events: { readonly emitted: readonly DomainEvent[] };
  /** Queued work, written in this unit's transaction: it exists exactly when the unit commits. */
  readonly jobs: JobSender;
}

/** Opens a unit of work for `ctx`, runs `work` in it and commits. */
export type Scope = <T>(ctx: RequestContext, work: (uow: UnitOfWork) => Promise<T>) => Promise<T>;

/**
 * A repository of reads only: it needs nothing of its transaction but `$queryRaw`, so it runs in a
 * unit of work and in a read unit alike.
 */
export type ReadRepoFactory<R> = (q: RawQuery, tenantId: string, ctx: RequestContext) => R;

/**
 * A read-only unit in one tenant (row-level security set once, READ ONLY): the hot reads, with
 * read repositories only, no audit, no events, no jobs. A UnitOfWork is a ReadUnit too, so a read
 * operation runs inside a larger unit unchanged.
 */
export interface ReadUnit {
  readonly ctx: RequestContext;
  readonly tenant: TenantRef;
  repo<R>(factory: ReadRepoFactory<R>): R;
}

/** Opens a read unit for `ctx` and runs `work` in it. */
export type ReadOnlyScope = <T>(ctx: RequestContext, work: (unit: ReadUnit) => Promise<T>) => Promise<T>;

/**
 * A unit of work whose repositories send only their own SQL (`$queryRaw`): reads, writes, locks,
 * the audit and its events, but no Prisma model calls and no jobs. It runs on node-postgres
 * directly, without Prisma's interactive transaction (the write path of adding a version, issue
 * #14); a UnitOfWork is an SqlUnit too, so its operations also run inside a larger unit unchanged.
 */
export interface SqlUnit extends ReadUnit {
  readonly audit: AuditLog;
  readonly events: { readonly emitted: readonly DomainEvent[] };
}

/** Opens an SQL unit for `ctx`, runs `work` in it and commits. */
export type SqlScope = <T>(ctx: RequestContext, work: (unit: SqlUnit) => Promise<T>) => Promise<T>;

/** The audit trail needs only `$queryRaw`, so it writes in a unit of work and an SQL unit alike. */
export type AuditLogFactory = (tx: RawQuery, ctx: RequestContext, emitted: DomainEvent[]) => AuditLog;

export interface JobOptions {
  /** Start no earlier than this many seconds from now. */
  startAfterSeconds?: number;
  retryLimit?: number;
  /** Seconds before the first retry; with `retryBackoff` it doubles each time, with jitter. */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** An active job that has not finished after this long counts as failed (and is retried). */
  expireInSeconds?: number;
  singletonKey?: string;
}

/** Puts jobs on a queue (pg-boss) inside a transaction. */
export interface JobSender {
  send(queue: string, data: object, options?: JobOptions): Promise<void>;
  /** Several jobs of one queue in one statement. */
  sendMany(queue: string, jobs: { data: object; options?: JobOptions }[]): Promise<void>;
}

export type JobSenderFactory = (tx: Tx) => JobSender;

/** Whose writes a read must see: one caller (subject, client) in one tenant. */
export const callerKey = (ctx: RequestContext) => `${ctx.tenant.id}\u0000${ctx.caller.subject}\u0000${ctx.caller.clientId ?? ''}`;

function unitOver(tx: Tx, ctx: RequestContext, factories: { audit: AuditLogFactory; jobs: JobSenderFactory }): UnitOfWork {
  const repos = new Map<RepoFactory<unknown>, unknown>();
  const emitted: DomainEvent[] = [];
  return {
    ctx,
    tenant: ctx.tenant,
    repo<R>(factory: RepoFactory<R>): R {
      if (!repos.has(factory)) repos.set(factory, factory(tx, ctx.tenant.id, ctx));
      return repos.get(factory) as R;
    },
    audit: factories.audit(tx, ctx, emitted),
    events: { emitted },
    jobs: factories.jobs(tx),
  };
}

/** With a replica, whether the transaction `q` belongs to has written (then the router waits for it). */
async function wroteIn(q: RawQuery): Promise<boolean> {
  // A transaction id is assigned at the first write: none, nothing to wait for.
  const [row] = await q.$queryRaw<{ wrote: boolean }[]>`SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS wrote`;
  return row!.wrote;
}

/**
 * The unit of work on the primary. With a read replica (`router`), a unit that wrote tells the
 * router after its commit, so that the caller's next heavy read sees the write.
 */
export function createScope(db: Db, factories: { audit: AuditLogFactory; jobs: JobSenderFactory }, router?: ReadRouter): Scope {
  const tenantTx = createTenantTx(db);
  if (!router) return (ctx, work) => tenantTx(ctx.tenant.id, (tx) => work(unitOver(tx, ctx, factories)));
  return async (ctx, work) => {
    let wrote = false;
    const result = await tenantTx(ctx.tenant.id, async (tx) => {
      const value = await work(unitOver(tx, ctx, factories));
      wrote = await wroteIn(tx);
      return value;
    });
    if (wrote) await router.wrote(callerKey(ctx));
    return result;
  };
}

/** Thrown inside a replica transaction that has not yet replayed the caller's own write. */
class ReplicaBehind extends Error {}

/**
 * `work` on the replica when one is configured, reachable, and has replayed the caller's own latest
 * write; else on the primary. Row-level security is the same on both (the replica is a physical
 * copy: same roles, same policies, `app.tenant_id` set in the transaction).
 */
function overReplica<Q extends RawQuery, U>(
  router: ReadRouter,
  replicaTx: TenantTxOf<Q>,
  unitOf: (tx: Q, ctx: RequestContext) => U,
  primary: <T>(ctx: RequestContext, work: (unit: U) => Promise<T>) => Promise<T>,
) {
  return async <T>(ctx: RequestContext, work: (unit: U) => Promise<T>): Promise<T> => {
    const key = callerKey(ctx);
    if (router.replicaUsable()) {
      const lsn = router.mustSee(key);
      let working = false;
      try {
        const result = await replicaTx(ctx.tenant.id, async (tx) => {
          if (lsn) {
            const [row] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT coalesce(pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn, false) AS ok`;
            if (!row!.ok) throw new ReplicaBehind();
          }
          working = true;
          return work(unitOf(tx, ctx));
        });
        if (lsn) router.caughtUp(key);
        router.counts.replica++;
        return result;
      } catch (err) {
        if (!(err instanceof ReplicaBehind)) {
          if (working && !replicaUnavailable(err)) throw err;
          // A recovery conflict cancels one read; an unreachable replica is left alone a while.
          if (sqlState(err) !== '40001') router.replicaFailed();
          router.counts.fallback++;
        }
      }
    }
    router.counts.primary++;
    return primary(ctx, work);
  };
}

/**
 * A read-only unit of work for heavy reads (audit export, search): on the replica when one is
 * configured (see overReplica); without a replica it is the primary's scope.
 */
export function createReadScope(primary: Scope, router: ReadRouter | undefined, factories: { audit: AuditLogFactory; jobs: JobSenderFactory }): Scope {
  if (!router) return primary;
  return overReplica(router, createTenantTx(router.replica), (tx, ctx) => unitOver(tx, ctx, factories), primary);
}

function readUnitOver(q: RawQuery, ctx: RequestContext): ReadUnit {
  const repos = new Map<ReadRepoFactory<unknown>, unknown>();
  return {
    ctx,
    tenant: ctx.tenant,
    repo<R>(factory: ReadRepoFactory<R>): R {
      if (!repos.has(factory)) repos.set(factory, factory(q, ctx.tenant.id, ctx));
      return repos.get(factory) as R;
    },
  };
}

const poolFor = (db: Db): pg.Pool => {
  const pool = poolOf(db);
  if (!pool) throw new Error('The database client has no node-postgres pool (createDb makes one)');
  return pool;
};

/**
 * Read units for the hot reads (a file, a case, a document, a page of files), on node-postgres
 * under the same pool and the same tenant transaction as the units of work, without Prisma's
 * interactive transaction (src/db/read-tx.ts). `heavy` reads (a page of files) go to the replica
 * as the read scope's do; single objects are read on the primary, so a caller sees its own write.
 */
export function createReadOnlyScope(db: Db, router?: ReadRouter): { primary: ReadOnlyScope; heavy: ReadOnlyScope } {
  const readTx = createReadTx(poolFor(db));
  const primary: ReadOnlyScope = (ctx, work) => readTx(ctx.tenant.id, (q) => work(readUnitOver(q, ctx)));
  if (!router) return { primary, heavy: primary };
  return { primary, heavy: overReplica(router, createReadTx(poolFor(router.replica)), readUnitOver, primary) };
}

/**
 * SQL units on the primary, on node-postgres under the same pool and with the same tenant
 * transaction as the units of work (src/db/read-tx.ts, createWriteTx). With a read replica, a
 * unit that wrote tells the router after its commit, as the units of work do.
 */
export function createSqlScope(db: Db, factories: { audit: AuditLogFactory }, router?: ReadRouter): SqlScope {
  const writeTx = createWriteTx(poolFor(db));
  const unitOf = (q: WriteQuery, ctx: RequestContext): SqlUnit => {
    const emitted: DomainEvent[] = [];
    return { ...readUnitOver(q, ctx), audit: factories.audit(q, ctx, emitted), events: { emitted } };
  };
  if (!router) return (ctx, work) => writeTx(ctx.tenant.id, (q) => work(unitOf(q, ctx)));
  return async (ctx, work) => {
    let wrote = false;
    const result = await writeTx(ctx.tenant.id, async (q) => {
      const value = await work(unitOf(q, ctx));
      wrote = await wroteIn(q);
      return value;
    });
    if (wrote) await router.wrote(callerKey(ctx));
    return result;
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any argument list; the mapped type below keeps them exact
type Op<U> = (unit: U, ...args: any[]) => Promise<unknown>;

/** Service operations as routes call them: with a request context instead of a unit. */
export type InScope<T, U = UnitOfWork> = {
  [K in keyof T]: T[K] extends (unit: U, ...args: infer A) => Promise<infer R> ? (ctx: RequestContext, ...args: A) => Promise<R> : never;
};

/**
 * Each operation of `ops` in a unit of its own: `bound.createFile(ctx, input)` runs
 * `ops.createFile(uow, input)` in one transaction. Workflows call `ops` with a shared unit instead.
 * With a ReadOnlyScope, read operations (taking a ReadUnit) each run in a read unit of their own.
 */
export function inScope<T extends Record<string, Op<UnitOfWork>>>(scope: Scope, ops: T): InScope<T>;
export function inScope<T extends Record<string, Op<ReadUnit>>>(scope: ReadOnlyScope, ops: T): InScope<T, ReadUnit>;
export function inScope(scope: Scope | ReadOnlyScope, ops: Record<string, Op<never>>): Record<string, unknown> {
  const bound: Record<string, unknown> = {};
  for (const [name, op] of Object.entries(ops)) {
    bound[name] = (ctx: RequestContext, ...args: unknown[]) => (scope as Scope)(ctx, (uow) => (op as Op<UnitOfWork>)(uow, ...args));
  }
  return bound;
}
