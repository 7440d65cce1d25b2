import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

/** Managing subscriptions, and everything a subscription refuses (no worker runs here: nothing is sent). */
const TENANT = 'schwelm';
let t: TestApp;
let strict: TestApp;
let f: ReturnType<typeof recordFactories>;

beforeAll(async () => {
  // The test receiver's loopback address is allowed here; `strict` has the defaults of production.
  t = await buildTestApp({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1', WEBHOOK_MAX_PER_TENANT: '3' });
  strict = await buildTestApp();
  f = recordFactories(t, TENANT);
});
afterAll(async () => {
  await t.close();
  await strict.close();
});

const admin = () => f.as(['tenant-admin'], 'admin@schwelm');
const base = `/v1/tenants/${TENANT}`;

async function count() {
  return ((await admin().get('/webhooks?limit=200')).json() as { items: unknown[] }).items.length;
}

async function createAs(app: TestApp, body: unknown) {
  return app.app.inject({
    method: 'POST',
    url: `${base}/webhooks`,
    headers: { authorization: `Bearer ${await app.tokenFor(TENANT, ['tenant-admin'], 'admin@schwelm')}` },
    payload: body as object,
  });
}

describe('subscriptions', () => {
  it('are created with a secret shown once, read without it, changed with If-Match, disabled, enabled and deleted', async () => {
    const res = await admin().post('/webhooks', { url: 'http://127.0.0.1:4000/en-akte', eventTypes: ['file.*', 'version.created'], description: 'Fachverfahren' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const created = res.json();
    expect(created).toEqual({
      id: expect.any(String),
      url: 'http://127.0.0.1:4000/en-akte',
      description: 'Fachverfahren',
      eventTypes: ['file.*', 'version.created'],
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      consecutiveFailures: 0,
      secretRotatedAt: expect.any(String),
      previousSecretValidUntil: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      createdBy: 'admin@schwelm',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(res.headers.location).toBe(`${base}/webhooks/${created.id}`);
    const read = await admin().get(`/webhooks/${created.id}`);
    const { secret: _secret, ...withoutSecret } = created;
    expect(read.json()).toEqual(withoutSecret);
    expect(read.body).not.toContain(created.secret);

    const noMatch = await admin().patch(`/webhooks/${created.id}`, { eventTypes: ['*'] });
    expect(noMatch.statusCode).toBe(428);
    const patched = await admin().patch(`/webhooks/${created.id}`, { eventTypes: ['*'] }, { 'if-match': read.headers.etag as string });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().eventTypes).toEqual(['*']);
    const stale = await admin().patch(`/webhooks/${created.id}`, { description: null }, { 'if-match': read.headers.etag as string });
    expect(stale.statusCode).toBe(412);

    const disabled = await admin().post(`/webhooks/${created.id}/disable`, { reason: 'Wartung' }, { 'if-match': patched.headers.etag as string });
    expect(disabled.json()).toMatchObject({ enabled: false, disabledReason: 'Wartung' });
    expect((await admin().post(`/webhooks/${created.id}/test`, undefined)).json()).toEqual(
      problem('conflict', 'The webhook is disabled; enable it first', `${base}/webhooks/${created.id}/test`),
    );
    const enabled = await admin().post(`/webhooks/${created.id}/enable`, undefined, { 'if-match': disabled.headers.etag as string });
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });

    const deleted = await admin().delete(`/webhooks/${created.id}`, { 'if-match': enabled.headers.etag as string });
    expect(deleted.statusCode).toBe(204);
    expect((await admin().get(`/webhooks/${created.id}`)).statusCode).toBe(404);
    const history = (await f.as(['auditor']).get(`/audit/objects/${created.id}`)).json();
    expect(history.items.map((e: { action: string }) => e.action)).toEqual([
      'webhook.created', 'webhook.updated', 'webhook.disabled', 'webhook.enabled', 'webhook.deleted',
    ]);
    // The secret is never in the audit trail.
    expect(JSON.stringify(history)).not.toContain(created.secret);
  });

  it('need tenant-admin: a clerk gets 403', async () => {
    const res = await f.clerk.post('/webhooks', { url: 'http://127.0.0.1:4000/x', eventTypes: ['*'] });
    expect(res.json()).toEqual(problem('forbidden', 'This needs one of the roles: tenant-admin', `${base}/webhooks`));
  });
});

describe('refused, and nothing stored', () => {
  it.each([
    [{ url: 'http://127.0.0.1:4000/x', eventTypes: ['file.deleted'] }, 'body/eventTypes/0'],
    [{ url: 'http://127.0.0.1:4000/x', eventTypes: ['webhook.test'] }, 'body/eventTypes/0'],
    [{ url: 'http://127.0.0.1:4000/x', eventTypes: [] }, 'body/eventTypes'],
    [{ url: 'http://127.0.0.1:4000/x', eventTypes: ['file.*', 'file.*'] }, 'body/eventTypes'],
    [{ url: 'http://127.0.0.1:4000/x' }, 'body'],
    [{ url: 'http://127.0.0.1:4000/x', eventTypes: ['*'], secret: 'mine' }, 'body'],
  ])('%o: 400 validation-failed at %s', async (body, path) => {
    const before = await count();
    const res = await admin().post('/webhooks', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await count()).toBe(before);
  });

  it.each([
    ['http://receiver.example/hook', 'The URL must use https'],
    ['ftp://receiver.example/hook', 'The URL must use https'],
    ['https://user:pw@receiver.example/hook', 'The URL must not contain credentials'],
    ['https://127.0.0.1/hook', 'The host 127.0.0.1 is not allowed: 127.0.0.1 is in the loopback range'],
    ['https://localhost:8443/hook', 'The host localhost is not allowed: 127.0.0.1 is in the loopback range'],
    ['https://10.1.2.3/hook', 'The host 10.1.2.3 is not allowed: 10.1.2.3 is in the private range'],
    ['https://192.168.0.10/hook', 'The host 192.168.0.10 is not allowed: 192.168.0.10 is in the private range'],
    ['https://169.254.169.254/latest/meta-data', 'The host 169.254.169.254 is not allowed: 169.254.169.254 is in the linkLocal range'],
    ['https://100.100.100.200/', 'The host 100.100.100.200 is not allowed: 100.100.100.200 is in the carrierGradeNat range'],
    ['https://[::1]/hook', 'The host ::1 is not allowed: ::1 is in the loopback range'],
    ['https://[fd00:ec2::254]/hook', 'The host fd00:ec2::254 is not allowed: fd00:ec2::254 is in the uniqueLocal range'],
    ['https://[::ffff:10.0.0.1]/hook', 'The host ::ffff:a00:1 is not allowed: 10.0.0.1 is in the private range'],
    ['https://0.0.0.0/hook', 'The host 0.0.0.0 is not allowed: 0.0.0.0 is in the unspecified range'],
    ['https://no-such-host.invalid/hook', 'The host no-such-host.invalid cannot be resolved'],
  ])('%s with the production defaults: 400 (%s)', async (url, detail) => {
    const res = await createAs(strict, { url, eventTypes: ['*'] });
    expect(res.json()).toEqual(problem('validation-failed', detail, `${base}/webhooks`, { errors: [{ path: 'body/url', message: detail }] }));
  });

  it(`more than the documented number of subscriptions (${3} here): 409 limit-reached`, async () => {
    while ((await count()) < 3) expect((await admin().post('/webhooks', { url: 'http://127.0.0.1:4000/fill', eventTypes: ['*'] })).statusCode).toBe(201);
    const res = await admin().post('/webhooks', { url: 'http://127.0.0.1:4000/one-too-many', eventTypes: ['*'] });
    expect(res.json()).toEqual(problem('limit-reached', 'A tenant has at most 3 webhook subscriptions', `${base}/webhooks`));
    expect(await count()).toBe(3);
  });

  it("a delivery of another tenant's subscription cannot be redelivered or read", async () => {
    const ok = (await admin().get('/webhooks?limit=1')).json().items[0] ?? (await admin().post('/webhooks', { url: 'http://127.0.0.1:4000/mine', eventTypes: ['*'] })).json();
    const delivery = (await admin().post(`/webhooks/${ok.id}/test`, undefined)).json();
    const witten = await t.tokenFor('witten', ['tenant-admin']);
    for (const path of [`/v1/tenants/witten/webhooks/${ok.id}/deliveries/${delivery.deliveryId}/redeliver`, `${base}/webhooks/${ok.id}/deliveries/${delivery.deliveryId}/redeliver`]) {
      const res = await t.app.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${witten}` } });
      expect(res.statusCode).toBe(404);
    }
    const deliveries = (await admin().get(`/webhooks/${ok.id}/deliveries`)).json().items;
    expect(deliveries).toHaveLength(1);
  });
});
