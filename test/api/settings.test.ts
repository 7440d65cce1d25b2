import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { germanYearNow, problem, recordFactories } from '../support/records.js';

// Pattern changes touch every file created in the tenant: a database of its own.
const TENANT = 'witten';
const BASE = `/v1/tenants/${TENANT}`;
let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let admin: ReturnType<ReturnType<typeof recordFactories>['as']>;
let yyyy: number;
beforeAll(async () => {
  const db = await isolatedDatabase('settings');
  t = await buildTestApp(db.env);
  f = recordFactories(t, TENANT);
  admin = f.as(['tenant-admin']);
  yyyy = germanYearNow();
});
afterAll(() => t.close());

async function setPattern(referencePattern: string) {
  const res = await admin.put('/settings', { referencePattern }, { 'if-match': await f.etag('/settings', admin) });
  expect(res.statusCode, res.body).toBe(200);
  return res;
}
const preview = (referencePattern: string, planCode: string) => admin.post('/settings/reference-preview', { referencePattern, planCode });
const newFile = async (planCode: string) => (await f.file({ planCode })).reference;

describe('tenant settings', () => {
  it('reads the default pattern and WORM mode with an ETag', async () => {
    const res = await admin.get('/settings');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ referencePattern: '{plan}-{seq:4}/{yyyy}', wormMode: 'GOVERNANCE' });
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect((await f.manager.get('/settings')).statusCode).toBe(403);
  });

  it('previews the next reference of a pattern without taking a number', async () => {
    const unit = await f.unit();
    expect((await preview('{plan}/{seq}/{yy}', unit.code)).json()).toEqual({ referencePattern: '{plan}/{seq}/{yy}', planCode: unit.code, next: `${unit.code}/1/${String(yyyy % 100).padStart(2, '0')}` });
    expect((await preview('{plan}/{seq}/{yy}', unit.code)).json().next).toBe(`${unit.code}/1/${String(yyyy % 100).padStart(2, '0')}`);
    expect(await newFile(unit.code)).toBe(`${unit.code}-0001/${yyyy}`);
    expect((await preview('{plan}.{seq:5}', unit.code)).json().next).toBe(`${unit.code}.00002`);
  });

  it('slash style {plan}/{seq}/{yy} and running {plan}.{seq:5}: numbers continue across changes, never repeat', async () => {
    const unit = await f.unit();
    const yy = String(yyyy % 100).padStart(2, '0');
    expect(await newFile(unit.code)).toBe(`${unit.code}-0001/${yyyy}`);
    expect(await newFile(unit.code)).toBe(`${unit.code}-0002/${yyyy}`);

    await setPattern('{plan}/{seq}/{yy}');
    expect(await newFile(unit.code)).toBe(`${unit.code}/3/${yy}`);

    await setPattern('{plan}.{seq:5}');
    expect(await newFile(unit.code)).toBe(`${unit.code}.00004`);
    expect(await newFile(unit.code)).toBe(`${unit.code}.00005`);

    // Back to the yearly pattern: it continues after the running number, not at its own 3.
    await setPattern('{plan}-{seq:4}/{yyyy}');
    expect(await newFile(unit.code)).toBe(`${unit.code}-0006/${yyyy}`);

    const all = await f.clerk.get(`/files?planUnitId=${unit.id}`);
    const refs = all.json().items.map((i: { reference: string }) => i.reference);
    const numbers = refs.map((r: string) => Number(r.replace(unit.code, '').match(/\d+/)![0]));
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(refs).size).toBe(6);
  });

  it('refuses a pattern without {seq} (422) and changes nothing; If-Match is required', async () => {
    const before = await admin.get('/settings');
    for (const bad of ['{plan}/{yyyy}', '{plan}-{seq}-{seq}', '{plan}-{nr}/{seq}']) {
      const res = await admin.put('/settings', { referencePattern: bad }, { 'if-match': before.headers.etag as string });
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('unprocessable');
      expect((await preview(bad, 'X1')).statusCode).toBe(422);
    }
    const noSeq = await admin.put('/settings', { referencePattern: '{plan}/{yyyy}' }, { 'if-match': before.headers.etag as string });
    expect(noSeq.json()).toEqual(problem('unprocessable', 'The reference pattern must contain {seq} or {seq:N} exactly once', `${BASE}/settings`));
    expect((await admin.put('/settings', { wormMode: 'COMPLIANCE' })).statusCode).toBe(428);
    const after = await admin.get('/settings');
    expect(after.json()).toEqual(before.json());
    expect(after.headers.etag).toBe(before.headers.etag);
  });

  it('switches the WORM mode, audited', async () => {
    const res = await admin.put('/settings', { wormMode: 'COMPLIANCE' }, { 'if-match': await f.etag('/settings', admin) });
    expect(res.json().wormMode).toBe('COMPLIANCE');
    const audit = await t.injectAs(TENANT, ['auditor'], { method: 'GET', url: `${BASE}/audit` });
    expect(audit.json().items.filter((e: { action: string }) => e.action === 'tenant.settings-changed').at(-1)).toMatchObject({
      oldValues: { wormMode: 'GOVERNANCE' }, newValues: { wormMode: 'COMPLIANCE' },
    });
    await admin.put('/settings', { wormMode: 'GOVERNANCE' }, { 'if-match': res.headers.etag as string });
  });
});
