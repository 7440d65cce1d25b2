import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import { outageOf } from '../../src/lib/unavailable.js';

/**
 * A transaction that cannot get a connection in time (every connection of the pool busy: P2028
 * from Prisma) is the database being unavailable for now, answered 503 with Retry-After, not a 500.
 */
let db: Db;
beforeAll(() => {
  db = createDb(inject('databaseUrl'), 1);
});
afterAll(() => db.$disconnect());

describe('a pool with every connection busy', () => {
  it('makes a transaction fail to start (P2028), which counts as a database outage', async () => {
    let release!: () => void;
    let started!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inside = new Promise<void>((resolve) => (started = resolve));
    // The pool's one connection, held by an open transaction.
    const holder = db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      started();
      await held;
    }, { maxWait: 5_000, timeout: 60_000 });
    await inside;
    const err = await db.$transaction(async (tx) => tx.$queryRaw`SELECT 1`, { maxWait: 200, timeout: 5_000 }).then(() => null, (e: unknown) => e);
    release();
    await holder;
    expect((err as { code?: string } | null)?.code).toBe('P2028');
    expect(outageOf(err)).toBe('database');
  });
});
