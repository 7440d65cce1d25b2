import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem } from '../support/records.js';

/**
 * Ennepetal and Breckerfeld have not joined the shared service: every request of their tokens, and
 * every request of the competence centre into them, is refused with one problem, tenant-inactive.
 */
const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string }>>;
};
// The citizen's status lookups take no token of ours (a status token, or the citizen IdP's): no tenant to be inactive.
const CITIZEN_OPERATIONS = new Set(['getApplicationStatus', 'listMyApplications']);
const operations = Object.entries(spec.paths)
  .filter(([path, ops]) => path.startsWith('/v1/') && !Object.values(ops).some((op) => CITIZEN_OPERATIONS.has(op.operationId)))
  .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ id: op.operationId, method: method.toUpperCase(), path })));
const ALL_ROLES = ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor'];
const fill = (path: string, tenant: string) =>
  path.replace('{tenant}', tenant).replace(/\{number\}/g, '1').replace(/\{\w+\}/g, '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11');

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe("an inactive tenant's tokens", () => {
  it('cover every /v1 operation of openapi.json', () => {
    expect(operations.length).toBeGreaterThanOrEqual(55);
  });

  for (const op of operations) {
    it(`${op.id}: ${op.method} ${op.path} → 403 tenant-inactive`, async () => {
      const url = fill(op.path, 'ennepetal');
      const res = await t.injectAs('ennepetal', ALL_ROLES, {
        method: op.method as 'GET',
        url,
        headers: { 'content-type': 'application/json', 'if-match': '*' },
        ...(op.method === 'GET' || op.method === 'DELETE' || op.method === 'HEAD' ? {} : { payload: '{}' }),
      });
      // A HEAD answer has no body: its status is the problem's.
      if (op.method === 'HEAD') return void expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(
        problem('tenant-inactive', 'ennepetal has not joined the shared service (or has left it): its tokens, clients and grants open nothing', url.split('?')[0]!),
      );
    });
  }

  it('a token of a tenant that does not exist opens nothing either', async () => {
    const res = await t.injectAs('atlantis', ALL_ROLES, { method: 'GET', url: '/v1/tenants' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('tenant-inactive');
  });
});

describe('the competence centre and an inactive tenant', () => {
  it("reaches none of its routes, not even to ask for a grant, but sees it in the directory", async () => {
    const cc = await t.tokenFor('kompetenzzentrum', ['support-agent', 'cc-admin'], 'kk.inaktiv');
    const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: { authorization: `Bearer ${cc}` }, ...(payload ? { payload } : {}) });
    const asks = await call('POST', '/v1/tenants/breckerfeld/support-grants', { scope: 'read', reason: 'Vorab', durationHours: 1 });
    expect(asks.json()).toMatchObject({ status: 403, code: 'tenant-inactive' });
    expect((await call('GET', '/v1/tenants/breckerfeld/files')).json()).toMatchObject({ status: 403, code: 'tenant-inactive' });
    const directory = await call('GET', '/v1/tenants/breckerfeld');
    expect(directory.statusCode).toBe(200);
    expect(directory.json()).toMatchObject({ slug: 'breckerfeld', active: false });
  });

  it('another town still gets 404 for its paths, as for any tenant not its own', async () => {
    const res = await t.injectAs('witten', ALL_ROLES, { method: 'GET', url: '/v1/tenants/ennepetal/files' });
    expect(res.json()).toEqual(problem('not-found', 'No such tenant', '/v1/tenants/ennepetal/files'));
  });
});
