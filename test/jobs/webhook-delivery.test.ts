import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { recordFactories } from '../support/records.js';

/**
 * Webhooks end to end: a real worker (pg-boss on the test PostgreSQL) delivers events of the
 * outbox to a real HTTP receiver on loopback. Retries are fast here (1 s base, 3 attempts).
 */
const TENANT = 'gevelsberg';
let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let sql: pg.Client;
const receivers: Receiver[] = [];

beforeAll(async () => {
  const db = await isolatedDatabase('webhook_delivery');
  t = await buildTestApp({
    ...db.env,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1',
    WEBHOOK_RETRY_DELAY_SECONDS: '1',
    WEBHOOK_MAX_ATTEMPTS: '3',
    WEBHOOK_DISABLE_AFTER_FAILURES: '2',
    WEBHOOK_TIMEOUT_SECONDS: '2',
  });
  f = recordFactories(t, TENANT);
  await t.startWorker();
  sql = new pg.Client({ connectionString: db.ownerUrl });
  await sql.connect();
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await sql.end();
  await t.close();
});

const admin = () => f.as(['tenant-admin'], 'admin@gevelsberg');

async function receiver(respond?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

async function subscribe(url: string, eventTypes: string[]) {
  const res = await admin().post('/webhooks', { url, eventTypes });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string };
}

async function deliveries(webhookId: string) {
  const res = await admin().get(`/webhooks/${webhookId}/deliveries?limit=200`);
  expect(res.statusCode).toBe(200);
  return (res.json() as { items: { id: string; eventId: string; eventType: string; status: string; attempts: number }[] }).items;
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`not reached within ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('delivery', () => {
  it('POSTs each matching event once, signed per Standard Webhooks, with the audit hash of its change', async () => {
    const r = await receiver();
    const hook = await subscribe(r.url(), ['file.created', 'case.*']);
    const file = await f.file();
    const kase = await f.kase(file.id);
    await r.until((got) => got.length >= 2);
    const events = r.events();
    expect(events.map((e) => e.type).sort()).toEqual(['case.created', 'file.created']);
    const created = events.find((e) => e.type === 'file.created')!;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'file.created',
      timestamp: expect.any(String),
      tenant: TENANT,
      subject: { type: 'file', id: file.id },
      parents: {},
      data: { reference: file.reference, planCode: file.body.planCode, confidentiality: '003' },
      audit: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(events.find((e) => e.type === 'case.created')).toMatchObject({ subject: { type: 'case', id: kase.id }, parents: { fileId: file.id } });
    // The audit event of the change carries the same hash.
    const history = await f.as(['auditor']).get(`/audit/objects/${file.id}`);
    const auditEvent = (history.json() as { items: { action: string; seq: number; hash: string }[] }).items.find((e) => e.action === 'file.created')!;
    expect(created.audit).toEqual({ seq: auditEvent.seq, hash: auditEvent.hash });
    // Signatures verify with the standardwebhooks library, and the webhook-id is the event id.
    const wh = new Webhook(hook.secret);
    for (const got of r.received) {
      expect(() => wh.verify(got.body, got.headers)).not.toThrow();
      expect(got.headers['webhook-id']).toBe(JSON.parse(got.body).id);
      expect(got.headers['content-type']).toBe('application/json');
    }
    // A tampered body does not verify.
    expect(() => wh.verify(r.received[0]!.body.replace(TENANT, 'witten'), r.received[0]!.headers)).toThrow();
    const list = await eventually(() => deliveries(hook.id), (d) => d.length === 2 && d.every((x) => x.status === 'succeeded'));
    expect(list.map((d) => d.attempts)).toEqual([1, 1]);
  });

  it('retries a receiver that answers 500: the third attempt delivers, with the same webhook-id', async () => {
    const r = await receiver((_req, n) => (n <= 2 ? 500 : 200));
    const hook = await subscribe(r.url(), ['file.created']);
    await f.file();
    await r.until((got) => got.length >= 3);
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(1);
    const [d] = await eventually(() => deliveries(hook.id), (x) => x[0]?.status === 'succeeded');
    expect(d).toMatchObject({ status: 'succeeded', attempts: 3 });
    const detail = (await admin().get(`/webhooks/${hook.id}/deliveries/${d!.id}`)).json();
    expect(detail.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 200]);
    expect(detail.attemptLog[0].error).toBe('The receiver answered 500');
    // Backoff: the attempts are spread out, not sent at once (1 s base, doubling, with jitter).
    expect(r.received[2]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(2_000);
    // The subscription is in good standing again.
    expect((await admin().get(`/webhooks/${hook.id}`)).json()).toMatchObject({ enabled: true, consecutiveFailures: 0 });
  });

  it('ends a delivery to a dead receiver as failed, and disables a subscription whose deliveries keep failing', async () => {
    const dead = await receiver();
    const url = dead.url('/gone');
    await dead.close();
    const hook = await subscribe(url, ['file.created']);
    await f.file();
    await f.file();
    const list = await eventually(() => deliveries(hook.id), (d) => d.length === 2 && d.every((x) => x.status !== 'pending'), 45_000);
    expect(list.map((d) => [d.status, d.attempts])).toEqual([['failed', 3], ['failed', 3]]);
    const detail = (await admin().get(`/webhooks/${hook.id}/deliveries/${list[0]!.id}`)).json();
    expect(detail.attemptLog).toHaveLength(3);
    expect(detail.attemptLog.every((a: { statusCode: null; error: string }) => a.statusCode === null && a.error.startsWith('Could not deliver: ECONNREFUSED'))).toBe(true);
    const sub = (await admin().get(`/webhooks/${hook.id}`)).json();
    expect(sub).toMatchObject({ enabled: false, consecutiveFailures: 2 });
    expect(sub.disabledReason).toBe('Disabled after 2 failed deliveries in a row; the last: Could not deliver: ECONNREFUSED');
    const audit = (await f.as(['auditor']).get(`/audit/objects/${hook.id}`)).json();
    expect(audit.items.map((e: { action: string; actorSub: string }) => [e.action, e.actorSub])).toEqual([
      ['webhook.created', 'admin@gevelsberg'],
      ['webhook.disabled', 'job:webhook-delivery'],
    ]);
    // A disabled subscription gets nothing more.
    await f.file();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await deliveries(hook.id)).toHaveLength(2);
  });

  it('does not follow redirects: a 3xx is an answer that is not 2xx', async () => {
    const r = await receiver((req) => (req.path === '/moved' ? { status: 307, headers: { location: '/elsewhere' } } : 204));
    const hook = await subscribe(r.url('/moved'), ['file.created']);
    await f.file();
    const [d] = await eventually(() => deliveries(hook.id), (x) => (x[0]?.attempts ?? 0) >= 1);
    const detail = (await admin().get(`/webhooks/${hook.id}/deliveries/${d!.id}`)).json();
    expect(detail.attemptLog[0]).toMatchObject({ statusCode: 307, error: 'The receiver answered 307' });
    expect(r.received.map((x) => x.path).filter((p) => p !== '/moved')).toEqual([]);
  });

  it('signs with the old and the new secret during the grace period after a rotation', async () => {
    const r = await receiver();
    const hook = await subscribe(r.url(), ['file.created']);
    const etag = (await admin().get(`/webhooks/${hook.id}`)).headers.etag as string;
    const rotated = await admin().post(`/webhooks/${hook.id}/rotate-secret`, undefined, { 'if-match': etag });
    expect(rotated.statusCode).toBe(200);
    const { secret } = rotated.json() as { secret: string };
    expect(secret).not.toBe(hook.secret);
    expect(rotated.json().previousSecretValidUntil).not.toBeNull();
    await f.file();
    await r.until((got) => got.length >= 1);
    const got = r.received[0]!;
    expect(got.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(secret).verify(got.body, got.headers)).not.toThrow();
    expect(() => new Webhook(hook.secret).verify(got.body, got.headers)).not.toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(got.body, got.headers)).toThrow();
  });

  it('sends a test event on request and redelivers a delivery with the same webhook-id', async () => {
    const r = await receiver();
    const hook = await subscribe(r.url(), ['*']);
    const test = await admin().post(`/webhooks/${hook.id}/test`, undefined);
    expect(test.statusCode).toBe(202);
    await r.until((got) => got.length >= 1);
    expect(r.events()[0]).toMatchObject({ type: 'webhook.test', subject: { type: 'webhook', id: hook.id } });
    const again = await admin().post(`/webhooks/${hook.id}/deliveries/${test.json().deliveryId}/redeliver`, undefined);
    expect(again.statusCode).toBe(202);
    await r.until((got) => got.length >= 2);
    expect(r.received[1]!.headers['webhook-id']).toBe(r.received[0]!.headers['webhook-id']);
    const redelivered = (await admin().get(`/webhooks/${hook.id}/deliveries/${again.json().deliveryId}`)).json();
    expect(redelivered).toMatchObject({ redeliveryOf: test.json().deliveryId, eventType: 'webhook.test' });
    // '*' takes every domain event, but webhook.test of other subscriptions never.
    const other = await subscribe(r.url('/other'), ['*']);
    await admin().post(`/webhooks/${hook.id}/test`, undefined);
    await r.until((got) => got.length >= 3);
    await new Promise((res) => setTimeout(res, 1000));
    expect(await deliveries(other.id)).toEqual([]);
  });
});

describe('the town learns of a support-grant request', () => {
  it('through grant.requested, and of its end through grant.expired', async () => {
    const r = await receiver();
    await subscribe(r.url(), ['grant.*']);
    const cc = await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kk.webhooks');
    const requested = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${TENANT}/support-grants`,
      headers: { authorization: `Bearer ${cc}` },
      payload: { scope: 'read', reason: 'Ticket 4711', durationHours: 1 },
    });
    expect(requested.statusCode).toBe(201);
    const grantId = requested.json().id as string;
    await f.as(['tenant-admin']).post(`/support-grants/${grantId}/approve`, undefined, { 'if-match': requested.headers.etag as string });
    // Let the hour pass (as the owner), then the expiry job records it.
    await sql.query(`UPDATE support_grant SET valid_from = now() - interval '2 hours', valid_until = now() - interval '1 hour' WHERE id = $1`, [grantId]);
    await t.startWorker().then((w) => w.trigger('grants.expire'));
    await r.until((got) => got.filter((x) => JSON.parse(x.body).subject.id === grantId).length >= 3);
    // Deliveries run in parallel and may arrive in any order; the audit sequence orders them.
    const mine = r
      .events()
      .filter((e) => (e.subject as { id: string }).id === grantId)
      .sort((a, b) => (a.audit as { seq: number }).seq - (b.audit as { seq: number }).seq);
    expect(mine.map((e) => e.type)).toEqual(['grant.requested', 'grant.approved', 'grant.expired']);
    expect(mine[0]!.data).toEqual({ grantee: 'kk.webhooks', scope: 'read', fileId: null, durationHours: 1 });
    // Recorded once: a second run finds nothing more to expire.
    await t.startWorker().then((w) => w.trigger('grants.expire'));
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.events().filter((e) => e.type === 'grant.expired' && (e.subject as { id: string }).id === grantId)).toHaveLength(1);
  });
});
