import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLogin } from '../../src/bootstrap.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { prepareWithApiLogin } from '../support/postgres.js';
import { recordFactories } from '../support/records.js';
import { onServer, startPrimaryWithStandby, waitForReplay, type PrimaryWithStandby } from '../support/replica.js';

/**
 * The app on a real PostgreSQL primary with a real hot standby streaming from it
 * (test/support/replica.ts: a low-level base backup of the same PostgreSQL 18 binaries). Heavy
 * reads (file lists, the audit trail; search goes the same way) come from the standby; a caller's read after its own write sees
 * the write; another caller may see the standby's lag; a standby that is down sends reads to the
 * primary. Replay is paused on the standby to make the lag visible: no timing involved.
 */
const TOWN = 'witten';
let pgs: PrimaryWithStandby;
let t: TestApp;

async function metricReads(): Promise<Record<string, number>> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer test-metrics-token-0123456789' } });
  const out: Record<string, number> = {};
  for (const m of res.body.matchAll(/^en_akte_db_reads_total\{server="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

beforeAll(async () => {
  pgs = await startPrimaryWithStandby();
  const apiPrimary = await prepareWithApiLogin(pgs.primaryUrl);
  // The API's login on the standby: the same role (a physical copy), another port.
  const api = new URL(apiPrimary);
  const apiStandby = new URL(withLogin(pgs.standbyUrl, decodeURIComponent(api.username), decodeURIComponent(api.password)));
  await waitForReplay(pgs.primaryUrl, pgs.standbyUrl);
  t = await buildTestApp({ DATABASE_URL: apiPrimary, DATABASE_OWNER_URL: pgs.primaryUrl, DATABASE_REPLICA_URL: apiStandby.toString() });
}, 180_000);

afterAll(async () => {
  await t?.close();
  await pgs?.stop();
});

describe('a streaming replica for heavy reads', () => {
  it('is a real hot standby that streams from the primary', async () => {
    expect(await onServer(pgs.standbyUrl, 'SELECT pg_is_in_recovery() AS recovery')).toEqual([{ recovery: true }]);
    const rows = await onServer<{ state: string; usename: string }>(pgs.primaryUrl, 'SELECT state, usename FROM pg_stat_replication');
    expect(rows).toEqual([{ state: 'streaming', usename: pgs.replicationRole }]);
  });

  it('answers file lists and the audit export from the standby, a caller\'s own writes from the primary, and falls back when the standby is down', async () => {
    const f = recordFactories(t, TOWN);
    const alice = f.as(['clerk'], 'alice@witten');
    const bob = f.as(['reader'], 'bob@witten');
    const auditor = f.as(['auditor'], 'carla@witten');
    const title = `Replikat-Akte ${Date.now()}`;
    const listed = async (who: typeof alice) => {
      const res = await who.get(`/files?limit=100&titlePrefix=${encodeURIComponent(title)}`);
      expect(res.statusCode).toBe(200);
      return (res.json() as { items: { id: string }[] }).items.map((i) => i.id);
    };
    const exported = async (id: string) => {
      const res = await auditor.get(`/audit/export?objectId=${id}`);
      expect(res.statusCode).toBe(200);
      return res.body.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { action: string }).action);
    };

    const first = await f.file({ title }, alice);
    await waitForReplay(pgs.primaryUrl, pgs.standbyUrl);
    const before = await metricReads();
    expect(await listed(bob)).toEqual([first.id]);
    expect(await metricReads()).toEqual({ ...before, replica: (before.replica ?? 0) + 1 });

    // Replay stops: the standby falls behind the primary from here on.
    await onServer(pgs.standbyUrl, 'SELECT pg_wal_replay_pause()');
    const second = await f.file({ title: `${title} zwei` }, alice);

    // Alice wrote it and reads at once: her read goes to the primary and sees it.
    const m0 = await metricReads();
    expect((await listed(alice)).sort()).toEqual([first.id, second.id].sort());
    expect(await metricReads()).toEqual({ ...m0, primary: (m0.primary ?? 0) + 1 });
    // Bob did not write: his reads come from the standby, which has not replayed the new file yet.
    expect(await listed(bob)).toEqual([first.id]);
    expect(await exported(second.id)).toEqual([]);
    expect(await metricReads()).toEqual({ ...m0, primary: (m0.primary ?? 0) + 1, replica: (m0.replica ?? 0) + 2 });
    // Row-level security holds on the standby: another town sees none of Witten's files.
    const other = recordFactories(t, 'hattingen').as(['reader'], 'dora@hattingen');
    expect(await listed(other)).toEqual([]);

    // Replay resumes: the standby catches up, and Bob sees what Alice wrote.
    await onServer(pgs.standbyUrl, 'SELECT pg_wal_replay_resume()');
    await waitForReplay(pgs.primaryUrl, pgs.standbyUrl);
    expect((await listed(bob)).sort()).toEqual([first.id, second.id].sort());
    expect(await exported(second.id)).toEqual(['file.created']);
    // Alice's write is replayed now: her next read goes to the standby again.
    const m1 = await metricReads();
    expect((await listed(alice)).sort()).toEqual([first.id, second.id].sort());
    expect(await metricReads()).toEqual({ ...m1, replica: m1.replica! + 1 });

    const [lag] = await onServer<{ replay_lag: unknown; bytes: string }>(
      pgs.primaryUrl,
      'SELECT replay_lag, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS bytes FROM pg_stat_replication',
    );
    console.warn(`[replica] lag after catching up: ${JSON.stringify(lag)}`);

    // The standby goes down: reads go to the primary, none fails.
    await pgs.stopStandby();
    const m2 = await metricReads();
    expect((await listed(bob)).sort()).toEqual([first.id, second.id].sort());
    expect(await exported(first.id)).toEqual(['file.created']);
    const m3 = await metricReads();
    expect(m3.fallback).toBe((m2.fallback ?? 0) + 1);
    expect(m3.primary).toBe((m2.primary ?? 0) + 2);
    expect(m3.replica).toBe(m2.replica);
  }, 120_000);
});

