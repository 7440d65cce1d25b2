import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../src/modules/audit/chain.js';
import { toStored } from '../../src/modules/audit/repo.js';
import { BlobLockedError, createBlobStore } from '../../src/storage/index.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { recordFactories } from '../support/records.js';

/**
 * Audit anchors: signed, object-locked checkpoints of the chain head in MinIO. The database owner
 * can delete the newest events or recompute the whole chain so that it verifies on its own; the
 * checkpoints give both away, with the first sequence that disagrees.
 */
let t: TestApp;
let owner: pg.Client;

beforeAll(async () => {
  const db = await isolatedDatabase('anchors');
  t = await buildTestApp({ ...db.env, AUDIT_ANCHOR_LOCK_MODE: 'COMPLIANCE', AUDIT_ANCHOR_RETENTION_DAYS: '1' });
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

const tenantId = async (slug: string) => (await owner.query<{ id: string }>('SELECT id FROM tenant WHERE slug = $1', [slug])).rows[0]!.id;

async function events(slug: string, n: number) {
  const f = recordFactories(t, slug);
  for (let i = 0; i < n; i++) await f.unit({ title: `Einheit ${i}` });
}
const auditor = (slug: string) => recordFactories(t, slug).as(['auditor'], `pruefer@${slug}`);
const verify = async (slug: string) => (await auditor(slug).get('/audit/verify')).json();
const anchorNow = async (slug: string) => {
  const res = await auditor(slug).post('/audit/anchors', undefined);
  expect(res.statusCode).toBe(201);
  return res.json() as { seq: number; hash: string; at: string; key: string };
};

/** What an owner with the database to itself can do: recompute every hash from `fromSeq` on, after an edit. */
async function recomputeChain(id: string) {
  const { rows } = await owner.query('SELECT * FROM audit_event WHERE tenant_id = $1 ORDER BY seq', [id]);
  let prev = GENESIS_HASH;
  for (const r of rows) {
    const e = toStored({
      tenantId: r.tenant_id, seq: BigInt(r.seq), id: r.id, at: r.at, actorTenant: r.actor_tenant, actorSub: r.actor_sub,
      clientId: r.client_id, grantId: r.grant_id, action: r.action, objectType: r.object_type, objectId: r.object_id,
      oldValues: r.old_values, newValues: r.new_values, requestId: r.request_id, prevHash: prev, hash: '',
    });
    const { hash: _h, ...fields } = e;
    const hash = eventHash(fields);
    await owner.query('UPDATE audit_event SET prev_hash = $3, hash = $4 WHERE tenant_id = $1 AND seq = $2', [id, r.seq, prev, hash]);
    prev = hash;
  }
}

describe('audit checkpoints', () => {
  it('are signed, written to the tenant bucket with a COMPLIANCE lock, and an intact chain agrees with them', async () => {
    await events('witten', 3);
    const anchor = await anchorNow('witten');
    expect(anchor.key).toMatch(new RegExp(`^audit-anchors/${await tenantId('witten')}/\\d{16}\\.jws$`));
    // Anchoring again without a new event is the same checkpoint.
    expect(await anchorNow('witten')).toEqual(anchor);
    const storage = createBlobStore(t.config.storage);
    const protection = await storage.protection('witten', anchor.key);
    expect(protection?.retention?.mode).toBe('COMPLIANCE');
    // Not even MinIO's root user (the service's S3 credentials) can remove it before its date.
    await expect(storage.delete('witten', anchor.key, { bypassGovernance: true })).rejects.toBeInstanceOf(BlobLockedError);
    const result = await verify('witten');
    expect(result).toMatchObject({ ok: true, firstBroken: null, anchors: { checked: 1, latest: { seq: anchor.seq, at: anchor.at }, firstMismatch: null } });
    const listed = (await auditor('witten').get('/audit/anchors')).json();
    expect(listed.items[0]).toEqual(anchor);
  });

  it('find deleted newest events: the chain ends before the checkpoint', async () => {
    await events('hattingen', 4);
    const anchor = await anchorNow('hattingen');
    const id = await tenantId('hattingen');
    // The owner deletes the two newest events; what is left is an intact, shorter chain.
    await owner.query('DELETE FROM audit_event WHERE tenant_id = $1 AND seq > $2', [id, anchor.seq - 2]);
    const result = await verify('hattingen');
    expect(result).toMatchObject({
      ok: false,
      events: anchor.seq - 2,
      firstBroken: { seq: anchor.seq - 1, reason: `the chain ends at ${anchor.seq - 2}, but the checkpoint of ${anchor.at} holds event ${anchor.seq}: events were removed` },
      anchors: { checked: 1, latest: { seq: anchor.seq, at: anchor.at } },
    });
  });

  it('find a chain recomputed by the owner: it verifies on its own, but not against the checkpoints, with the first one that disagrees', async () => {
    await events('herdecke', 3);
    const first = await anchorNow('herdecke');
    await events('herdecke', 3);
    const second = await anchorNow('herdecke');
    await events('herdecke', 2);
    const id = await tenantId('herdecke');
    // Forge an event after the first checkpoint and recompute every hash from the beginning.
    await owner.query(`UPDATE audit_event SET new_values = jsonb_set(new_values, '{title}', '"gefälscht"') WHERE tenant_id = $1 AND seq = $2`, [id, first.seq + 1]);
    await recomputeChain(id);
    const result = await verify('herdecke');
    expect(result.events).toBe(second.seq + 2);
    expect(result.ok).toBe(false);
    // The chain itself is consistent again; the earliest checkpoint that disagrees is the second.
    expect(result.firstBroken).toEqual({ seq: second.seq, reason: `the hash differs from the checkpoint of ${second.at}: the chain was rewritten up to here` });
    expect(result.anchors.firstMismatch).toEqual(result.firstBroken);
    expect(result.anchors.checked).toBeGreaterThanOrEqual(2);
  });
});
