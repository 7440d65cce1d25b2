import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem } from '../support/records.js';

/** Rate limits live in PostgreSQL: two instances on one database share them. */
let a: TestApp;
let b: TestApp;
const limits = { RATE_LIMIT_PER_MINUTE: '6', TOKEN_RATE_LIMIT_PER_MINUTE: '3', TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '5' };

beforeAll(async () => {
  [a, b] = await Promise.all([buildTestApp(limits), buildTestApp(limits)]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe('/v1 per tenant and caller', () => {
  it('counts the requests of one caller on every instance, then answers 429 with Retry-After and RateLimit headers', async () => {
    const sub = `limited-${Date.now()}@witten`;
    const token = await a.tokenFor('witten', ['reader'], sub);
    const get = (t: TestApp) => t.app.inject({ method: 'GET', url: '/v1/tenants/witten', headers: { authorization: `Bearer ${token}` } });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await get(i % 2 ? b : a));
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.map((r) => r.headers['ratelimit-remaining'])).toEqual(['5', '4', '3', '2', '1', '0']);
    expect(answers[0]!.headers['ratelimit-limit']).toBe('6');
    const refused = await get(b);
    expect(refused.statusCode).toBe(429);
    const reset = Number(refused.headers['ratelimit-reset']);
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(60);
    expect(refused.headers['retry-after']).toBe(String(reset));
    expect(refused.json()).toEqual(problem('too-many-requests', `Too many requests for this client; retry in ${reset} s`, '/v1/tenants/witten'));
    // Another caller of the same tenant has a budget of its own.
    const other = await a.tokenFor('witten', ['reader'], `other-${Date.now()}@witten`);
    expect((await a.app.inject({ method: 'GET', url: '/v1/tenants/witten', headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(200);
  });
});

describe('/oauth/token', () => {
  const tokenRequest = (t: TestApp, clientId: string, address: string) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: address,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=${clientId}&client_secret=wrong`,
    });

  it('limits each client_id, on every instance, before any secret is checked', async () => {
    const client = `nobody-${Date.now()}`;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await tokenRequest(i % 2 ? b : a, client, `10.9.0.${i + 1}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('limits each address, whatever client_id it tries', async () => {
    const address = `10.8.${Date.now() % 200}.7`;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await tokenRequest(i % 2 ? a : b, `guess-${i}-${Date.now()}`, address)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const refused = await tokenRequest(a, 'one-more', address);
    expect(refused.json()).toMatchObject({ status: 429, code: 'too-many-requests', detail: expect.stringMatching(/^Too many requests from this address; retry in \d+ s$/) });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  });
});
