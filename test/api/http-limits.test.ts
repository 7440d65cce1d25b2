import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';

/** Slow and oversized requests, on a real socket: timeouts, header and parameter limits, CORS. */
let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await buildTestApp({ HEADERS_TIMEOUT_MS: '1000', CONNECTION_IDLE_TIMEOUT_MS: '1500', MAX_HEADERS: '30', MAX_QUERY_PARAMETERS: '10' });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(() => t.close());

/** Opens a socket, lets `talk` write to it, and resolves with everything the server sent once it closed. */
function converse(talk: (s: net.Socket) => void | Promise<void>): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('error', reject);
    socket.on('connect', () => void Promise.resolve(talk(socket)).catch(reject));
    setTimeout(() => socket.destroy(new Error('the server never closed the connection')), 15_000).unref();
  });
}

describe('slow requests', () => {
  it('headers dribbled byte by byte (slowloris): 408 problem+json once HEADERS_TIMEOUT_MS passed, and the connection closes', async () => {
    const { text, ms } = await converse(async (s) => {
      s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
      for (const ch of 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa') {
        if (s.destroyed) return;
        s.write(ch);
        await new Promise((r) => setTimeout(r, 150));
      }
    });
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('Content-Type: application/problem+json');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 408, code: 'request-timeout' });
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(5000);
  });

  it('a connection that sends nothing is closed after CONNECTION_IDLE_TIMEOUT_MS', async () => {
    const { text, ms } = await converse(() => undefined);
    expect(text).toBe('');
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(5000);
  });
});

describe('oversized requests', () => {
  it('more header fields than MAX_HEADERS: 431 problem+json', async () => {
    const headers = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-h${i}`, 'v']));
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers });
    expect(res.statusCode).toBe(431);
    expect(res.json()).toMatchObject({ code: 'headers-too-large', detail: 'A request may carry at most 30 header fields' });
  });

  it('more query parameters than MAX_QUERY_PARAMETERS: 400 problem+json', async () => {
    const query = Array.from({ length: 11 }, (_, i) => `p${i}=1`).join('&');
    const res = await t.injectAs('witten', ['reader'], { method: 'GET', url: `/v1/tenants/witten/files?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'bad-request', detail: 'A request may carry at most 10 query parameters' });
  });
});

describe('CORS', () => {
  const preflight = (app: TestApp, origin: string) =>
    app.app.inject({ method: 'OPTIONS', url: '/v1/tenants/witten/files', headers: { origin, 'access-control-request-method': 'POST' } });

  it('allows no browser origin unless CORS_ORIGINS names it', async () => {
    const res = await preflight(t, 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('with CORS_ORIGINS, exactly those origins', async () => {
    const open = await buildTestApp({ CORS_ORIGINS: 'https://portal.hattingen.de' });
    try {
      const allowed = await preflight(open, 'https://portal.hattingen.de');
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.hattingen.de');
      expect(allowed.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PATCH, DELETE');
      const other = await preflight(open, 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await open.close();
    }
  });
});
