import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobContext } from '../../src/core/index.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories, type Caller } from '../support/records.js';

// A tenant few other tests write in: the retention scan runs over the whole tenant.
const TENANT = 'gevelsberg';
const BASE = `/v1/tenants/${TENANT}`;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let services: ReturnType<typeof createServices>;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  services = createServices({ ...t.deps, version: 'test' });
});
afterAll(() => t.close());

const tenantRef = async () => { const { id, slug } = await services.tenants.resolve(TENANT); return { id, slug }; };
/** The daily job's work, run now: what the job handler calls for each tenant. */
async function scan(today = new Date()) {
  const tenant = await tenantRef();
  return services.scope(jobContext(tenant, 'retention-scan'), (uow) => services.records.markRetentionEnded(uow, new Date(today.toISOString().slice(0, 10))));
}

/** A file closed long ago under a unit of `years` (retention long over), and made due by the scan. */
async function dueFile(fields: Record<string, unknown> = {}) {
  const unit = await f.unit({ retentionYears: 5, disposal: 'B', ...fields });
  const file = await f.file({ planCode: unit.code });
  const closed = await f.closeFile(file.id, { closedOn: '2015-06-30' });
  expect(closed.statusCode).toBe(200);
  await scan();
  return file;
}

const step = async (by: Caller, fileId: string, path: string, body?: unknown) =>
  by.post(`/files/${fileId}/disposal/${path}`, body, { 'if-match': await f.etag(`/files/${fileId}`, by) });

describe('the retention scan', () => {
  it('marks closed files whose retention ended as due, once, with file.retention-ended', async () => {
    const unit = await f.unit({ retentionYears: 5, disposal: 'V' });
    const file = await f.file({ planCode: unit.code });
    await f.closeFile(file.id, { closedOn: '2015-06-30' });
    const notYet = await f.file({ planCode: (await f.unit({ retentionYears: 30 })).code });
    await f.closeFile(notYet.id, { closedOn: '2015-06-30' });
    const unlimited = await f.file({ planCode: (await f.unit({ retentionYears: null, disposal: 'A' })).code });
    await f.closeFile(unlimited.id, { closedOn: '1990-01-01' });

    expect(await scan()).toBeGreaterThanOrEqual(1);
    const got = (await f.manager.get(`/files/${file.id}`)).json();
    expect(got.retention).toEqual({ disposalCode: 'V', retentionYears: 5, endsOn: '2020-12-31', overridden: false });
    expect(got.disposal).toEqual({ state: 'due', changedAt: expect.any(String), decision: null, decidedBy: null, decidedAt: null, archiveReference: null });
    expect((await f.manager.get(`/files/${notYet.id}`)).json().disposal).toBeNull();
    expect((await f.manager.get(`/files/${unlimited.id}`)).json()).toMatchObject({ retention: { retentionYears: null, endsOn: null }, disposal: null });

    // A second scan finds nothing new for this file: one event only.
    await scan();
    const audit = await t.injectAs(TENANT, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${file.id}` });
    expect(audit.json().items.filter((e: { action: string }) => e.action === 'file.retention-ended')).toHaveLength(1);
  });

  it('does not mark a held file; the next scan after the hold is lifted does', async () => {
    const unit = await f.unit({ retentionYears: 1 });
    const file = await f.file({ planCode: unit.code });
    await f.closeFile(file.id, { closedOn: '2019-12-31' });
    const held = await f.manager.post(`/files/${file.id}/hold`, { reason: 'Klage anhängig' }, { 'if-match': await f.etag(`/files/${file.id}`) });
    expect(held.statusCode).toBe(200);
    await scan();
    expect((await f.manager.get(`/files/${file.id}`)).json().disposal).toBeNull();
    expect((await f.manager.delete(`/files/${file.id}/hold`, { 'if-match': await f.etag(`/files/${file.id}`) })).statusCode).toBe(200);
    await scan();
    expect((await f.manager.get(`/files/${file.id}`)).json().disposal.state).toBe('due');
  });
});

describe('the disposal state machine', () => {
  it('due → offered → evaluated (A) → archived, each step recorded with who and when', async () => {
    const file = await dueFile();
    const offered = await step(f.manager, file.id, 'offer');
    expect(offered.statusCode).toBe(200);
    expect(offered.json().disposal.state).toBe('offered');

    const decided = await step(f.manager, file.id, 'decision', { decision: 'A', decidedBy: 'Landesarchiv NRW, Dr. Kranz', decidedAt: '2026-11-30T09:00:00.000Z' });
    expect(decided.statusCode).toBe(200);
    expect(decided.json().disposal).toEqual({
      state: 'evaluated', changedAt: expect.any(String), decision: 'A', decidedBy: 'Landesarchiv NRW, Dr. Kranz', decidedAt: '2026-11-30T09:00:00.000Z', archiveReference: null,
    });

    const archived = await step(f.manager, file.id, 'archived', { archiveReference: 'LAV NRW W, Gevelsberg Nr. 17' });
    expect(archived.statusCode).toBe(200);
    expect(archived.json().disposal).toMatchObject({ state: 'archived', decision: 'A', archiveReference: 'LAV NRW W, Gevelsberg Nr. 17' });

    const audit = await t.injectAs(TENANT, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${file.id}` });
    const actions = audit.json().items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['file.retention-ended', 'file.offered', 'file.evaluated', 'file.archived']));
    const evaluated = audit.json().items.find((e: { action: string }) => e.action === 'file.evaluated');
    expect(evaluated.newValues).toMatchObject({
      disposal: { state: 'evaluated', decision: 'A', decidedBy: 'Landesarchiv NRW, Dr. Kranz', decidedAt: '2026-11-30T09:00:00.000Z' },
      recordedBy: 'user@gevelsberg',
    });
    expect(evaluated.oldValues).toMatchObject({ disposal: { state: 'offered', decision: null } });
  });

  it('lists files by disposal state', async () => {
    const file = await dueFile();
    await step(f.manager, file.id, 'offer');
    const offered = await f.manager.get('/files?disposalState=offered&limit=200');
    expect(offered.statusCode).toBe(200);
    expect(offered.json().items.map((i: { id: string }) => i.id)).toContain(file.id);
    const due = await f.manager.get('/files?disposalState=due&limit=200');
    expect(due.json().items.map((i: { id: string }) => i.id)).not.toContain(file.id);
    for (const item of offered.json().items) expect(item.disposal.state).toBe('offered');
  });

  it('refuses every step out of order with 409 disposal-out-of-order, changing nothing', async () => {
    const open = await f.file();
    const due = await dueFile();
    const cases: [string, string, unknown, string | null, string[]][] = [
      [open.id, 'offer', undefined, null, ['due']],
      [due.id, 'decision', { decision: 'V', decidedBy: 'Archiv' }, 'due', ['offered']],
      [due.id, 'archived', { archiveReference: 'X 1' }, 'due', ['evaluated']],
    ];
    const names: Record<string, string> = { offer: 'Offering to the archive', decision: "Recording the archive's decision", archived: 'Confirming the takeover' };
    for (const [id, path, body, state, expected] of cases) {
      const etag = await f.etag(`/files/${id}`);
      const res = await f.manager.post(`/files/${id}/disposal/${path}`, body, { 'if-match': etag });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual(
        problem('disposal-out-of-order', `${names[path]} needs disposal state ${expected.join(' or ')}; the file's is ${state ?? 'none (retention not ended)'}`, `${BASE}/files/${id}/disposal/${path}`, {
          disposalState: state, expected,
        }),
      );
      expect(await f.etag(`/files/${id}`)).toBe(etag);
    }
    // Offered twice; archived after V.
    await step(f.manager, due.id, 'offer');
    expect((await step(f.manager, due.id, 'offer')).statusCode).toBe(409);
    await step(f.manager, due.id, 'decision', { decision: 'V', decidedBy: 'Archiv' });
    const afterV = await step(f.manager, due.id, 'archived', { archiveReference: 'X 1' });
    expect(afterV.statusCode).toBe(409);
    expect(afterV.json().code).toBe('disposal-out-of-order');
    expect((await step(f.manager, due.id, 'decision', { decision: 'A', decidedBy: 'Archiv' })).statusCode).toBe(409);
  });

  it('refuses offering a held file (409 on-hold) and a decision in the future (422)', async () => {
    const file = await dueFile();
    // The hold is placed after the file became due.
    await f.manager.post(`/files/${file.id}/hold`, { reason: 'Akteneinsicht nach IFG' }, { 'if-match': await f.etag(`/files/${file.id}`) });
    const res = await step(f.manager, file.id, 'offer');
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('on-hold');
    await f.manager.delete(`/files/${file.id}/hold`, { 'if-match': await f.etag(`/files/${file.id}`) });
    await step(f.manager, file.id, 'offer');
    const future = await step(f.manager, file.id, 'decision', { decision: 'V', decidedBy: 'Archiv', decidedAt: '2999-01-01T00:00:00Z' });
    expect(future.statusCode).toBe(422);
    expect((await f.manager.get(`/files/${file.id}`)).json().disposal.state).toBe('offered');
  });

  it('needs the records-manager role (403 for a clerk) and If-Match (428)', async () => {
    const file = await dueFile();
    expect((await step(f.clerk, file.id, 'offer')).statusCode).toBe(403);
    expect((await f.manager.post(`/files/${file.id}/disposal/offer`, undefined)).statusCode).toBe(428);
  });

  it('a file in disposal cannot be reopened (409); a due one can, which clears its retention', async () => {
    const offered = await dueFile();
    await step(f.manager, offered.id, 'offer');
    const res = await f.manager.post(`/files/${offered.id}/reopen`, { reason: 'Widerspruch' }, { 'if-match': await f.etag(`/files/${offered.id}`) });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('disposal-out-of-order');

    const due = await dueFile();
    const reopened = await f.manager.post(`/files/${due.id}/reopen`, { reason: 'Widerspruch' }, { 'if-match': await f.etag(`/files/${due.id}`) });
    expect(reopened.statusCode).toBe(200);
    expect(reopened.json()).toMatchObject({ status: 'open', closedOn: null, retention: null, disposal: null });
  });
});
