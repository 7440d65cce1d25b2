import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jobContext } from '../../src/core/index.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { recordFactories } from '../support/records.js';

const TENANT = 'wetter';
const BASE = `/v1/tenants/${TENANT}`;
let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let services: ReturnType<typeof createServices>;
let owner: pg.Client;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  services = createServices({ ...t.deps, version: 'test' });
  owner = new pg.Client({ connectionString: inject('ownerUrl') });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

/** A document checked out by anna, whose check-out lapsed a minute ago (set by the owner: no waiting). */
async function lapsedCheckout() {
  const file = await f.file();
  const doc = await f.document((await f.kase(file.id)).id);
  const anna = f.as(['clerk'], 'anna@wetter');
  const out = await anna.post(`/documents/${doc.id}/checkout`, { minutes: 30 }, { 'if-match': doc.etag });
  expect(out.statusCode).toBe(200);
  await owner.query(`UPDATE record_document SET checked_out_until = now() - interval '1 minute' WHERE id = $1`, [doc.id]);
  return { file, doc, anna };
}

describe('check-out expiry', () => {
  it('a lapsed check-out stops blocking others at once', async () => {
    const { doc } = await lapsedCheckout();
    const bernd = f.as(['clerk'], 'bernd@wetter');
    expect((await bernd.get(`/documents/${doc.id}`)).json().checkout).toBeNull();
    const version = await f.upload(bernd, doc.id, 'Bernds Fassung', await f.etag(`/documents/${doc.id}`));
    expect(version.statusCode).toBe(201);
  });

  it('the job releases lapsed check-outs with document.checked-in (how: expired), once', async () => {
    const { doc } = await lapsedCheckout();
    const { id, slug } = await services.tenants.resolve(TENANT);
    const release = () => services.scope(jobContext({ id, slug }, 'checkout-expiry'), (uow) => services.records.releaseLapsedCheckouts(uow));
    expect(await release()).toBeGreaterThanOrEqual(1);
    const row = await owner.query(`SELECT checked_out_by, checked_out_until FROM record_document WHERE id = $1`, [doc.id]);
    expect(row.rows[0]).toEqual({ checked_out_by: null, checked_out_until: null });
    const events = await owner.query(`SELECT type, data FROM outbox_event WHERE subject_id = $1 AND type = 'document.checked-in'`, [doc.id]);
    expect(events.rows).toEqual([{ type: 'document.checked-in', data: { by: 'anna@wetter', how: 'expired' } }]);
    await release();
    expect((await owner.query(`SELECT 1 FROM outbox_event WHERE subject_id = $1 AND type = 'document.checked-in'`, [doc.id])).rowCount).toBe(1);
    const audit = await t.injectAs(TENANT, ['auditor'], { method: 'GET', url: `${BASE}/audit?objectId=${doc.id}` });
    expect(audit.json().items.at(-1)).toMatchObject({ action: 'document.checkout-expired', actorSub: 'job:checkout-expiry', newValues: { checkedOutBy: 'anna@wetter' } });
  });

  it('an active check-out is left alone', async () => {
    const file = await f.file();
    const doc = await f.document((await f.kase(file.id)).id);
    await f.clerk.post(`/documents/${doc.id}/checkout`, { minutes: 30 }, { 'if-match': doc.etag });
    const { id, slug } = await services.tenants.resolve(TENANT);
    await services.scope(jobContext({ id, slug }, 'checkout-expiry'), (uow) => services.records.releaseLapsedCheckouts(uow));
    expect((await f.clerk.get(`/documents/${doc.id}`)).json().checkout).toMatchObject({ by: 'user@wetter' });
  });
});
