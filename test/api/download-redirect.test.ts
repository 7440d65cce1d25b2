import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * Downloads answered with a 307 to a presigned MinIO URL (DOWNLOAD_REDIRECT): after authorisation
 * and the audit record, MinIO serves the same bytes with the same headers; the streamed path
 * (ranges, ETag, 304) stays as it was, and the local store never redirects.
 */
const TENANT = 'hattingen';
const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let auto: TestApp; // DOWNLOAD_REDIRECT=auto from 1 MiB
let off: TestApp; // the default
let short: TestApp; // always, URLs valid for 1 s
let local: TestApp; // the local-disk store, always
const apps = () => [auto, off, short, local];

beforeAll(async () => {
  [auto, off, short, local] = await Promise.all([
    buildTestApp({ DOWNLOAD_REDIRECT: 'auto', DOWNLOAD_REDIRECT_MIN_BYTES: String(MiB) }),
    buildTestApp(),
    buildTestApp({ DOWNLOAD_REDIRECT: 'always', DOWNLOAD_REDIRECT_EXPIRY_SECONDS: '1' }),
    buildTestApp({ DOWNLOAD_REDIRECT: 'always', S3_ENDPOINT: '' }),
  ]);
});
afterAll(async () => {
  await Promise.all(apps().map((a) => a?.close()));
});

/** A document with one version of `content`, made through `t`. */
async function documentWith(t: TestApp, content: Buffer) {
  const f = recordFactories(t, TENANT);
  const kase = await f.kase((await f.file()).id);
  const doc = await f.document(kase.id);
  const res = await f.upload(f.clerk, doc.id, content, doc.etag, {}, '?filename=Bauantrag%20M%C3%BCller.bin');
  expect(res.statusCode, res.body).toBe(201);
  return { f, id: doc.id, url: `/documents/${doc.id}/versions/1/content` };
}

describe('DOWNLOAD_REDIRECT=auto', () => {
  it('redirects content above the threshold; MinIO answers the same bytes, SHA-256 and headers', async () => {
    const content = randomBytes(2 * MiB + 17);
    const { f, id, url } = await documentWith(auto, content);

    const streamed = await f.clerk.get(`${url}?redirect=false`);
    expect(streamed.statusCode).toBe(200);
    expect(sha256(streamed.rawPayload)).toBe(sha256(content));

    const res = await f.clerk.get(url);
    expect(res.statusCode).toBe(307);
    expect(res.body).toBe('');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.etag).toBe(streamed.headers.etag);
    const location = res.headers.location as string;
    expect(location.startsWith(`${inject('s3').endpoint.replace(/\/$/, '')}/en-akte-${TENANT}/documents/`)).toBe(true);
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('60');

    // No token: the URL alone is the capability.
    const fromMinio = await fetch(location);
    expect(fromMinio.status).toBe(200);
    const bytes = Buffer.from(await fromMinio.arrayBuffer());
    expect(bytes.length).toBe(content.length);
    expect(sha256(bytes)).toBe(sha256(content));
    expect(fromMinio.headers.get('content-type')).toBe(streamed.headers['content-type']);
    expect(fromMinio.headers.get('content-disposition')).toBe(streamed.headers['content-disposition']);
    expect(fromMinio.headers.get('content-disposition')).toBe("attachment; filename=\"Bauantrag Muller.bin\"; filename*=UTF-8''Bauantrag%20M%C3%BCller.bin");
    expect(fromMinio.headers.get('cache-control')).toBe('private, no-cache');

    // The redirect was recorded before it was answered, as a read like the streamed one.
    const audit = await f.as(['auditor']).get(`/audit/objects/${id}`);
    const reads = (audit.json().items as { action: string; newValues: unknown; requestId: string }[]).filter((e) => e.action === 'version.content-read');
    expect(reads.map((e) => [e.requestId, e.newValues])).toEqual([
      [streamed.headers['x-request-id'], { number: 1 }],
      [res.headers['x-request-id'], { number: 1 }],
    ]);
  });

  it('streams content below the threshold, and redirects it when the client asks (?redirect=true)', async () => {
    const content = Buffer.from('kleiner Bescheid');
    const { f, url } = await documentWith(auto, content);
    const small = await f.clerk.get(url);
    expect(small.statusCode).toBe(200);
    expect(small.body).toBe('kleiner Bescheid');

    const asked = await f.clerk.get(`${url}?redirect=true`);
    expect(asked.statusCode).toBe(307);
    const fromMinio = await fetch(asked.headers.location as string);
    expect(await fromMinio.text()).toBe('kleiner Bescheid');
  });

  it('keeps ranges, If-Range and 304 on the streamed path', async () => {
    const content = randomBytes(2 * MiB);
    const { f, url } = await documentWith(auto, content);
    const etag = `"${sha256(content)}"`;

    const ranged = await f.clerk.get(url, { range: 'bytes=10-19' });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers['content-range']).toBe(`bytes 10-19/${content.length}`);
    expect(ranged.rawPayload.equals(content.subarray(10, 20))).toBe(true);
    expect(ranged.headers.location).toBeUndefined();

    const fresh = await f.clerk.get(url, { range: 'bytes=0-3', 'if-range': etag });
    expect(fresh.statusCode).toBe(206);
    expect(fresh.rawPayload.equals(content.subarray(0, 4))).toBe(true);

    const notModified = await f.clerk.get(url, { 'if-none-match': etag });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.headers.location).toBeUndefined();

    const unsatisfiable = await f.clerk.get(url, { range: `bytes=${content.length}-` });
    expect(unsatisfiable.statusCode).toBe(416);
  });

  it('gives no URL for content the caller may not read: 403 for a role without content:read, 404 for another tenant', async () => {
    const { f, id, url } = await documentWith(auto, randomBytes(2 * MiB));
    const full = `/v1/tenants/${TENANT}${url}`;

    const auditor = await f.as(['auditor']).get(`${url}?redirect=true`);
    expect(auditor.statusCode).toBe(403);
    expect(auditor.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(auditor.headers.location).toBeUndefined();
    expect(auditor.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager, clerk, reader', full));

    const witten = await auto.injectAs('witten', ['clerk'], { method: 'GET', url: `${full}?redirect=true` });
    expect(witten.statusCode).toBe(404);
    expect(witten.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(witten.headers.location).toBeUndefined();

    // Witten's own path with Hattingen's document id: no such document in Witten.
    const wittenPath = await auto.injectAs('witten', ['clerk'], { method: 'GET', url: `/v1/tenants/witten/documents/${id}/versions/1/content?redirect=true` });
    expect(wittenPath.statusCode).toBe(404);
    expect(wittenPath.headers.location).toBeUndefined();
    expect(wittenPath.json().type).toMatch(/not-found$/);
  });
});

describe('DOWNLOAD_REDIRECT=always, expiry 1 s', () => {
  it('MinIO refuses a presigned URL once it has expired', async () => {
    const { f, url } = await documentWith(short, Buffer.from('bald abgelaufen'));
    const res = await f.clerk.get(url);
    expect(res.statusCode).toBe(307);
    const location = res.headers.location as string;
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('1');
    await sleep(3000);
    const expired = await fetch(location);
    expect(expired.status).toBe(403);
    const body = await expired.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('Request has expired');

    // A new request gets a new URL (the API decides every time).
    const again = await f.clerk.get(url);
    expect(again.statusCode).toBe(307);
    expect(again.headers.location).not.toBe(location);
  });

  it('streams when the client declines (?redirect=false)', async () => {
    const { f, url } = await documentWith(short, Buffer.from('gestreamt'));
    const res = await f.clerk.get(`${url}?redirect=false`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('gestreamt');
  });
});

describe('never redirected', () => {
  it('with DOWNLOAD_REDIRECT=off, even when the client asks', async () => {
    const content = randomBytes(2 * MiB);
    const { f, url } = await documentWith(off, content);
    const res = await f.clerk.get(`${url}?redirect=true`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(sha256(res.rawPayload)).toBe(sha256(content));
  });

  it('from the local store, whatever the setting', async () => {
    const { f, url } = await documentWith(local, Buffer.from('lokal'));
    for (const q of ['', '?redirect=true']) {
      const res = await f.clerk.get(`${url}${q}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers.location).toBeUndefined();
      expect(res.body).toBe('lokal');
    }
  });

  it('refuses a redirect value that is no boolean (400)', async () => {
    const { f, url } = await documentWith(auto, Buffer.from('x'));
    const res = await f.clerk.get(`${url}?redirect=bitte`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
