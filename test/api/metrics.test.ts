import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, TEST_METRICS_TOKEN, type TestApp } from '../support/app.js';
import { freePort } from '../support/ports.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

/** /metrics is not public: a listener of its own (loopback by default), or the API port with a token. */
describe('metrics', () => {
  let fallback: TestApp;
  beforeAll(async () => {
    fallback = await buildTestApp();
  });
  afterAll(() => fallback.close());

  it('on the API port (METRICS_PORT=0) only with the bearer METRICS_TOKEN', async () => {
    const none = await fallback.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('unauthenticated');
    const wrong = await fallback.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer not-the-token-at-all-1234' } });
    expect(wrong.json()).toMatchObject({ status: 401, code: 'invalid-token', detail: 'The metrics token is not valid' });
    const right = await fallback.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(right.statusCode).toBe(200);
  });

  it('reads the scheme of the METRICS_TOKEN case-insensitively, after one or more spaces (RFC 9110 §11.1)', async () => {
    for (const authorization of [`bearer ${TEST_METRICS_TOKEN}`, `BEARER ${TEST_METRICS_TOKEN}`, `Bearer  ${TEST_METRICS_TOKEN}`]) {
      const res = await fallback.app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(200);
      expect(res.body).toContain('# TYPE en_akte_http_request_duration_seconds histogram');
    }
    const otherScheme = await fallback.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Basic ${TEST_METRICS_TOKEN}` } });
    expect(otherScheme.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  describe('by default, on a listener of their own', () => {
    let server: ServerProcess;
    let metricsPort: number;
    beforeAll(async () => {
      metricsPort = await freePort();
      server = await startServer({ METRICS_PORT: String(metricsPort), METRICS_TOKEN: '' });
    });
    afterAll(() => server.kill('SIGTERM'));

    it('serve Prometheus text there, and the API port has no /metrics', async () => {
      await fetch(`${server.url}/healthz`);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await scraped.text()).toContain('en_akte_http_request_duration_seconds_count{method="GET",route="/healthz",status="200",tenant="-"}');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
      const api = await fetch(`${server.url}/metrics`);
      expect(api.status).toBe(404);
      expect(((await api.json()) as { code: string }).code).toBe('not-found');
    });
  });

  it('on their own listener also want METRICS_TOKEN when it is set', async () => {
    const metricsPort = await freePort();
    const token = 'scrape-token-0123456789abcdef';
    const server = await startServer({ METRICS_PORT: String(metricsPort), METRICS_TOKEN: token });
    try {
      const url = `http://127.0.0.1:${metricsPort}/metrics`;
      const none = await fetch(url);
      expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="metrics"']);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789abc' } })).status).toBe(401);
      const right = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('# TYPE en_akte_http_request_duration_seconds histogram');
    } finally {
      await server.kill('SIGTERM');
    }
  });
});
