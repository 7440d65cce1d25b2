import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import path from 'node:path';
import { loadOrCreateDataKey } from '../../src/auth/data-key.js';
import { loadSharedSigningKeys, type SigningKeys } from '../../src/auth/keys.js';
import type { BenchServer } from './server.js';

const MiB = 1024 * 1024;

/** `size` bytes from one random 1 MiB block, generated on the fly (no memory, no disk). */
export function generated(size: number): Readable {
  const block = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    highWaterMark: 256 * 1024,
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(256 * 1024, size - sent);
      const offset = sent % MiB;
      const chunk = offset + n <= MiB ? block.subarray(offset, offset + n) : Buffer.concat([block.subarray(offset), block.subarray(0, n - (MiB - offset))]);
      sent += n;
      this.push(chunk);
    },
  });
}

const serverKeys = new WeakMap<BenchServer, Promise<SigningKeys>>();

/** A token signed with the bench server's own key (kept in its PostgreSQL, sealed with its data key). */
export async function tokenFor(server: BenchServer, tenant: string, roles: string[]) {
  if (!serverKeys.has(server)) {
    serverKeys.set(server, (async () => {
      const dataKey = await loadOrCreateDataKey(path.join(server.env.DATA_DIR!, 'keys', 'secrets.key'));
      return loadSharedSigningKeys({ databaseUrl: server.env.DATABASE_URL!, dataKey });
    })());
  }
  const keys = await serverKeys.get(server)!;
  return keys.sign({ sub: 'bench', tenant, roles }, { issuer: server.env.PUBLIC_URL!, audience: 'en-akte', ttlSeconds: 3600 });
}

export async function api(server: BenchServer, token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return { json: JSON.parse(text), headers: res.headers };
}

/** Streams `size` bytes as the raw body of a POST; resolves with status, body and response headers. */
export function streamUpload(
  url: string,
  headers: Record<string, string>,
  size: number,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(size) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    generated(size).pipe(req);
  });
}

/** Downloads and discards; resolves with the byte count. */
export function streamDownload(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => (n += d.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`download: ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

/** Creates unit → file → case → document and returns the document id and its ETag. */
export async function newDocument(server: BenchServer, token: string, tenant: string, code: string) {
  const base = `/v1/tenants/${tenant}`;
  await api(server, token, 'POST', `${base}/file-plan/units`, { code, title: 'Bench', retentionYears: 10, disposal: 'B' }).catch(() => undefined);
  const file = await api(server, token, 'POST', `${base}/files`, { planCode: code, title: 'Bench' });
  const kase = await api(server, token, 'POST', `${base}/files/${file.json.id}/cases`, { title: 'Bench' });
  const doc = await api(server, token, 'POST', `${base}/cases/${kase.json.id}/documents`, { title: 'Bench', kind: 'scan' });
  return { id: doc.json.id as string, etag: doc.headers.get('etag')! };
}
