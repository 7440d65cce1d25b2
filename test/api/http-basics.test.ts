import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTestApp, TEST_ISSUER, TEST_METRICS_TOKEN, type TestApp } from '../support/app.js';
import { freePort } from '../support/ports.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe('operations endpoints', () => {
  it('GET /healthz answers 200 ok', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when PostgreSQL and MinIO answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { database: 'up', storage: 'up' } });
  });

  it('GET /readyz answers 503 problem+json naming what is down', async () => {
    const port = await freePort();
    // Both went away after start-up: the signing keys were loaded from the database before.
    const broken = await buildTestApp({
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      DATABASE_URL: `postgresql://nobody:x@127.0.0.1:${port}/none`,
    }, { keysDatabaseUrl: inject('databaseUrl') });
    try {
      const res = await broken.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({
        status: 503,
        code: 'unavailable',
        detail: 'Not ready: database, storage unreachable',
        checks: { database: 'down', storage: 'down' },
      });
    } finally {
      await broken.close();
    }
  });

  it('GET /metrics exposes Prometheus metrics with request durations by route template', async () => {
    await t.injectAs('witten', [], { method: 'GET', url: '/v1/tenants/witten' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('en_akte_process_resident_memory_bytes');
    expect(res.body).toMatch(/en_akte_http_request_duration_seconds_count\{method="GET",route="\/v1\/tenants\/:tenant",status="200",tenant="[a-z-]+"\} \d+/);
  });

  it('GET /docs serves Swagger UI and /docs/json the OpenAPI document', async () => {
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    const spec = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'EN-Akte API' } });
  });
});

describe('problem+json for malformed requests', () => {
  it('answers an unknown route with 404 problem+json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v2/nothing?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toEqual({
      type: `${TEST_ISSUER}/problems/not-found`,
      title: 'Not found',
      status: 404,
      detail: 'No route GET /v2/nothing',
      instance: '/v2/nothing',
      code: 'not-found',
      requestId: res.headers['x-request-id'],
    });
  });

  it('answers a malformed URL with 400 problem+json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/tenants/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, code: 'bad-request' });
  });

  it('answers oversized headers with 431 problem+json on a real socket', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/healthz`, { headers: { 'x-padding': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 431, code: 'headers-too-large' });
  });
});

describe('load shedding', () => {
  it('answers 503 problem+json with Retry-After while the event loop lags beyond MAX_EVENT_LOOP_DELAY_MS', async () => {
    const busy = await buildTestApp({ MAX_EVENT_LOOP_DELAY_MS: '50' });
    try {
      // under-pressure samples the lag once a second: block the loop (as CPU-bound work would) in
      // bursts until a sample has seen it, then the next request is shed.
      let res = await busy.app.inject({ method: 'GET', url: '/v1/tenants' });
      for (let i = 0; i < 20 && res.statusCode !== 503; i++) {
        const until = Date.now() + 300;
        while (Date.now() < until) {
          // busy
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        res = await busy.app.inject({ method: 'GET', url: '/v1/tenants' });
      }
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({ code: 'unavailable', status: 503 });
      expect(res.json().detail).toMatch(/^Server under pressure \(eventLoopDelay: (\d+|Infinity)\); retry shortly$/);
    } finally {
      await busy.close();
    }
  });
});

describe('request ids', () => {
  it('mints a UUIDv7 request id and returns it in X-Request-Id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it("reuses a caller's well-formed X-Request-Id and ignores a malformed one", async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'portal-4711-abcdef' } });
    expect(ok.headers['x-request-id']).toBe('portal-4711-abcdef');
    const bad = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'a b\u0000c' } });
    expect(bad.headers['x-request-id']).not.toBe('a b\u0000c');
  });
});
