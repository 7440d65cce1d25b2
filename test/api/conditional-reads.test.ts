import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories, type Caller } from '../support/records.js';

/**
 * Every GET that answers with an ETag answers If-None-Match (RFC 9110 §13.1.2): 304 Not Modified
 * with the ETag and no body when a listed tag matches by weak comparison or the header is `*`,
 * 200 otherwise. A 304 is an answer to an authorised read, never a way around one.
 */
const TENANT = 'herdecke';
const BASE = `/v1/tenants/${TENANT}`;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let admin: Caller;
beforeAll(async () => {
  t = await buildTestApp({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1' });
  f = recordFactories(t, TENANT);
  admin = f.as(['tenant-admin'], `admin@${TENANT}`);
});
afterAll(() => t.close());

/** A tag that differs from `etag` in its last character. */
const other = (etag: string) => `${etag.slice(0, -2)}${etag.at(-2) === 'x' ? 'y' : 'x'}"`;

/** GET `url` plain, then with matching and non-matching If-None-Match headers; asserts the exact answers. */
async function answersConditionally(url: string, by: Caller) {
  const plain = await by.get(url);
  expect(plain.statusCode, `${url}: ${plain.body}`).toBe(200);
  const etag = plain.headers.etag as string;
  expect(etag, url).toMatch(/^"[A-Za-z0-9_-]+"$/);

  const matching = [etag, `W/${etag}`, '*', ` ${etag} `, `${other(etag)}, ${etag}`, `W/${other(etag)},W/${etag}`, `"unquoted-elsewhere", junk, ${etag}`];
  for (const header of matching) {
    const res = await by.get(url, { 'if-none-match': header });
    expect(res.statusCode, `${url} If-None-Match: ${header}`).toBe(304);
    expect(res.headers.etag, header).toBe(etag);
    expect(res.rawPayload.length, header).toBe(0);
    expect(res.headers['content-length'], header).toBeUndefined();
  }
  for (const header of [other(etag), `W/${other(etag)}`, `${other(etag)}, "${'a'.repeat(27)}"`, etag.slice(1, -1), '']) {
    const res = await by.get(url, { 'if-none-match': header });
    expect(res.statusCode, `${url} If-None-Match: ${header}`).toBe(200);
    expect(res.headers.etag, header).toBe(etag);
    expect(res.json(), header).toEqual(plain.json());
  }
  return { etag, body: plain.json() as Record<string, unknown> };
}

describe('If-None-Match on the records', () => {
  it('getFile, getCase, getDocument and getVersion answer 304 to a matching tag (weak, *, lists), 200 otherwise', async () => {
    const file = await f.file();
    const kase = await f.kase(file.id);
    const doc = await f.document(kase.id);
    const uploaded = await f.upload(f.clerk, doc.id, 'Inhalt', doc.etag);
    expect(uploaded.statusCode, uploaded.body).toBe(201);

    expect((await answersConditionally(`/files/${file.id}`, f.clerk)).etag).toBe(file.etag);
    expect((await answersConditionally(`/cases/${kase.id}`, f.clerk)).etag).toBe(kase.etag);
    expect((await answersConditionally(`/documents/${doc.id}`, f.clerk)).etag).toBe(uploaded.headers['document-etag']);
    const version = await answersConditionally(`/documents/${doc.id}/versions/1`, f.as(['reader']));
    expect(version.body).toMatchObject({ documentId: doc.id, number: 1, size: 6 });
    // A version never changes: its metadata carries the content's ETag (its SHA-256), as the upload's answer does.
    expect(version.etag).toBe(uploaded.headers.etag);
  });

  it('a change makes the old ETag stale: 200 with the new representation and ETag', async () => {
    const file = await f.file();
    const changed = await f.clerk.patch(`/files/${file.id}`, { title: 'Neuer Titel' }, { 'if-match': file.etag });
    expect(changed.statusCode, changed.body).toBe(200);
    const res = await f.clerk.get(`/files/${file.id}`, { 'if-none-match': file.etag });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe(changed.headers.etag);
    expect(res.json()).toMatchObject({ id: file.id, title: 'Neuer Titel' });
    expect((await f.clerk.get(`/files/${file.id}`, { 'if-none-match': changed.headers.etag as string })).statusCode).toBe(304);
  });

  it('HEAD answers 304 as GET does', async () => {
    const file = await f.file();
    const token = await t.tokenFor(TENANT, ['clerk']);
    const head = (ifNoneMatch: string) =>
      t.app.inject({ method: 'HEAD', url: `${BASE}/files/${file.id}`, headers: { authorization: `Bearer ${token}`, 'if-none-match': ifNoneMatch } });
    const hit = await head(file.etag);
    expect([hit.statusCode, hit.headers.etag, hit.rawPayload.length]).toEqual([304, file.etag, 0]);
    const miss = await head(other(file.etag));
    expect([miss.statusCode, miss.headers.etag, miss.rawPayload.length]).toEqual([200, file.etag, 0]);
  });

  it('a 304 is never a way around authentication, roles or the tenant wall', async () => {
    const file = await f.file();
    const url = `${BASE}/files/${file.id}`;
    const anonymous = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': '*' } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual(problem('unauthenticated', 'Send Authorization: Bearer <token>', url));

    const c = await admin.post('/clients', { name: 'Conditional', roles: ['reader'] });
    expect(c.statusCode, c.body).toBe(201);
    const clerkOnClient = await f.clerk.get(`/clients/${c.json().id}`, { 'if-none-match': c.headers.etag as string });
    expect(clerkOnClient.statusCode).toBe(403);
    expect(clerkOnClient.json()).toEqual(problem('forbidden', 'This needs one of the roles: tenant-admin', `${BASE}/clients/${c.json().id}`));

    const foreign = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/witten/files/${file.id}`,
      headers: { authorization: `Bearer ${await t.tokenFor('witten', ['clerk'])}`, 'if-none-match': file.etag },
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual(problem('not-found', 'No such file', `/v1/tenants/witten/files/${file.id}`));
  });
});

describe('If-None-Match on every other resource with an ETag', () => {
  it('file-plan units, settings, clients, webhooks, online services, support grants and the tenant', async () => {
    const unit = await f.unit();
    await answersConditionally(`/file-plan/units/${unit.id}`, f.as(['reader']));
    await answersConditionally('/settings', admin);

    const client = await admin.post('/clients', { name: 'Conditional Reads', roles: ['clerk'] });
    expect(client.statusCode, client.body).toBe(201);
    expect((await answersConditionally(`/clients/${client.json().id}`, admin)).etag).toBe(client.headers.etag);

    const hook = await admin.post('/webhooks', { url: 'http://127.0.0.1:4000/conditional', eventTypes: ['file.*'] });
    expect(hook.statusCode, hook.body).toBe(201);
    expect((await answersConditionally(`/webhooks/${hook.json().id}`, admin)).etag).toBe(hook.headers.etag);

    const service = await admin.post('/online-services', {
      serviceKey: `c-${Math.random().toString(36).slice(2, 10)}`, title: 'Conditional', formSchema: { type: 'object' },
      planCode: unit.code, filing: 'file-per-applicant', caseTitle: 'Antrag', active: false,
    });
    expect(service.statusCode, service.body).toBe(201);
    expect((await answersConditionally(`/online-services/${service.json().id}`, f.as(['reader']))).etag).toBe(service.headers.etag);

    const grant = await t.app.inject({
      method: 'POST', url: `${BASE}/support-grants`,
      headers: { authorization: `Bearer ${await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kk.conditional')}` },
      payload: { scope: 'read', reason: 'conditional reads', durationHours: 1 },
    });
    expect(grant.statusCode, grant.body).toBe(201);
    expect((await answersConditionally(`/support-grants/${grant.json().id}`, admin)).etag).toBe(grant.headers.etag);

    const tenant = await t.injectAs(TENANT, ['reader'], { method: 'GET', url: BASE });
    expect(tenant.statusCode).toBe(200);
    for (const header of [tenant.headers.etag as string, `W/${tenant.headers.etag as string}`, '*']) {
      const res = await t.injectAs(TENANT, ['reader'], { method: 'GET', url: BASE, headers: { 'if-none-match': header } });
      expect([res.statusCode, res.headers.etag, res.rawPayload.length], header).toEqual([304, tenant.headers.etag, 0]);
    }
  });
});
