import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { Client as MinioClient } from 'minio';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

const TENANT = 'hattingen';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const digestHeader = (b: Buffer) => `sha-256=:${createHash('sha256').update(b).digest('base64')}:`;
const CONTENT_CSP = "default-src 'none'; sandbox";

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let db: pg.Client;
let s3: MinioClient;
let tenantId: string;

/** Waits until the app answers /healthz (under-pressure refuses requests while the start-up blocked the loop). */
async function settled(app: TestApp['app']) {
  for (let i = 0; i < 100; i++) {
    if ((await app.inject({ method: 'GET', url: '/healthz' })).statusCode === 200) return;
    await sleep(100);
  }
  throw new Error('the app never became healthy');
}

beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  db = new pg.Client({ connectionString: inject('ownerUrl') });
  await db.connect();
  const { endpoint, accessKey, secretKey } = inject('s3');
  const url = new URL(endpoint);
  s3 = new MinioClient({ endPoint: url.hostname, port: Number(url.port), useSSL: url.protocol === 'https:', accessKey, secretKey });
  tenantId = (await db.query<{ id: string }>('SELECT id FROM tenant WHERE slug = $1', [TENANT])).rows[0]!.id;
  await settled(t.app);
});
afterAll(async () => {
  await db?.end();
  await t?.close();
});

/** A fresh document of its own (unit → file → case → document), with its ETag. */
async function freshDocument() {
  const file = await f.file();
  const kase = await f.kase(file.id);
  const doc = await f.document(kase.id);
  return { id: doc.id, etag: doc.etag };
}

const versionsUrl = (docId: string) => `/v1/tenants/${TENANT}/documents/${docId}/versions`;

/** Adds a version and returns the next document ETag; fails the test on anything but 201. */
async function addVersion(docId: string, ifMatch: string, content: Buffer, headers: Record<string, string> = {}) {
  const res = await f.upload(f.clerk, docId, content, ifMatch, headers);
  expect(res.statusCode, res.body).toBe(201);
  return { res, etag: res.headers['document-etag'] as string };
}

async function documentOf(docId: string) {
  const res = await f.clerk.get(`/documents/${docId}`);
  expect(res.statusCode, res.body).toBe(200);
  return { body: res.json() as { versionCount: number }, etag: res.headers.etag as string };
}

async function versionNumbers(docId: string): Promise<number[]> {
  const res = await f.clerk.get(`/documents/${docId}/versions?limit=100`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as { number: number }[]).map((v) => v.number);
}

/** Storage keys of the upload records of a document still in `version_upload` (read as the table owner, inside the tenant). */
async function uploadKeys(docId: string): Promise<string[]> {
  await db.query('BEGIN');
  try {
    await db.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
    const { rows } = await db.query<{ storage_key: string }>('SELECT storage_key FROM version_upload WHERE document_id = $1', [docId]);
    return rows.map((r) => r.storage_key);
  } finally {
    await db.query('COMMIT');
  }
}
const pendingUploads = async (docId: string) => (await uploadKeys(docId)).length;

const bucket = () => `${t.config.storage.bucketPrefix}${TENANT}`;

async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

/**
 * Every stored object version (and delete marker) under documents/<id>/, and the unfinished multipart
 * uploads of `keys` (MinIO lists those only by exact object name, not by prefix).
 */
async function storedObjects(docId: string, keys: string[] = []) {
  const objects = await drain(s3.listObjects(bucket(), `documents/${docId}/`, true, { IncludeVersion: true }) as AsyncIterable<{ name?: string }>);
  const incomplete: string[] = [];
  for (const key of keys) {
    try {
      for (const u of await drain(s3.listIncompleteUploads(bucket(), key, true) as AsyncIterable<{ key: string }>)) incomplete.push(u.key);
    } catch (err) {
      // minio-js lists the parts of each upload it found; the server aborting that upload in
      // between answers NoSuchUpload, which here means: not incomplete any more.
      if ((err as { code?: string }).code !== 'NoSuchUpload') throw err;
    }
  }
  return { objects: objects.map((o) => o.name), incomplete };
}

/** Polls `probe` until `done` holds or `ms` passed; returns the last value (the assertions come after). */
async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

describe('adding a version as the raw body', () => {
  it('answers 201 with Location, the content ETag and a new Document-ETag, and stores the version', async () => {
    const doc = await freshDocument();
    const content = Buffer.from('Antrag auf Erteilung einer Gaststättenerlaubnis\n');
    const res = await f.upload(f.clerk, doc.id, content, doc.etag);
    expect(res.statusCode, res.body).toBe(201);
    const version = res.json();
    expect(version).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      documentId: doc.id,
      number: 1,
      size: content.length,
      sha256: sha256(content),
      mediaType: 'text/plain',
      filename: 'content',
      uploadedBy: `user@${TENANT}`,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      contentUrl: `${versionsUrl(doc.id)}/1/content`,
    });
    expect(res.headers.location).toBe(`${versionsUrl(doc.id)}/1`);
    expect(res.headers.etag).toBe(`"${sha256(content)}"`);
    const documentEtag = res.headers['document-etag'];
    expect(documentEtag).toMatch(/^"[^"]+"$/);
    expect(documentEtag).not.toBe(doc.etag);

    const after = await documentOf(doc.id);
    expect(after.body.versionCount).toBe(1);
    expect(after.etag).toBe(documentEtag);
  });

  it('lists the versions oldest first, with cursor pagination', async () => {
    const doc = await freshDocument();
    let etag = doc.etag;
    const bodies: Record<string, unknown>[] = [];
    for (const text of ['eins', 'zwei', 'drei']) {
      const added = await addVersion(doc.id, etag, Buffer.from(text));
      bodies.push(added.res.json());
      etag = added.etag;
    }
    const all = await f.clerk.get(`/documents/${doc.id}/versions`);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ items: bodies, next: null });

    const first = await f.clerk.get(`/documents/${doc.id}/versions?limit=2`);
    expect(first.json()).toEqual({ items: bodies.slice(0, 2), next: '2' });
    const rest = await f.clerk.get(`/documents/${doc.id}/versions?limit=2&cursor=2`);
    expect(rest.json()).toEqual({ items: bodies.slice(2), next: null });
  });

  it('reads one version’s metadata with the content ETag, and 404 for a number that does not exist', async () => {
    const doc = await freshDocument();
    const { res } = await addVersion(doc.id, doc.etag, Buffer.from('Bescheid'));
    const read = await f.clerk.get(`/documents/${doc.id}/versions/1`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(res.json());
    // The same ETag as the upload's and the download's: the content's SHA-256 (openapi.json documents it).
    expect(read.headers.etag).toBe(`"${sha256(Buffer.from('Bescheid'))}"`);
    expect(read.headers.etag).toBe(res.headers.etag);

    const missing = await f.clerk.get(`/documents/${doc.id}/versions/2`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual(problem('not-found', 'No such version', `${versionsUrl(doc.id)}/2`));
  });

  it('requires If-Match: 428 without it, and nothing is stored', async () => {
    const doc = await freshDocument();
    const res = await f.clerk.post(`/documents/${doc.id}/versions`, Buffer.from('ohne If-Match'), { 'content-type': 'text/plain' });
    expect(res.statusCode).toBe(428);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toEqual(problem('precondition-required', 'Send If-Match with the ETag you read', versionsUrl(doc.id)));
    expect((await documentOf(doc.id)).body.versionCount).toBe(0);
  });

  it('answers 412 to a stale If-Match, and nothing is stored', async () => {
    const doc = await freshDocument();
    await addVersion(doc.id, doc.etag, Buffer.from('erste'));
    const stale = await f.upload(f.clerk, doc.id, 'zweite', doc.etag);
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toEqual(problem('precondition-failed', 'If-Match does not match the current ETag; read the object again', versionsUrl(doc.id)));
    expect((await documentOf(doc.id)).body.versionCount).toBe(1);
    expect(await versionNumbers(doc.id)).toEqual([1]);
  });

  it('answers 404 problem+json for an unknown document', async () => {
    const id = '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c13';
    const res = await f.upload(f.clerk, id, 'niemand', '"whatever"');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(problem('not-found', 'No such document', versionsUrl(id)));
    const list = await f.clerk.get(`/documents/${id}/versions`);
    expect(list.statusCode).toBe(404);
    expect(list.json()).toEqual(problem('not-found', 'No such document', versionsUrl(id)));
  });
});

describe('concurrent uploads', () => {
  it('10 uploads with the same If-Match store exactly one version; the others get 412 (or 409)', async () => {
    const doc = await freshDocument();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => f.upload(f.clerk, doc.id, `gleichzeitig ${i} ${'x'.repeat(1000 * i)}`, doc.etag)),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201), JSON.stringify(statuses)).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 201)) {
      expect([412, 409], r.body).toContain(r.statusCode);
      expect(['precondition-failed', 'conflict']).toContain(r.json().code);
    }
    const winner = results.find((r) => r.statusCode === 201)!;
    expect(winner.json().number).toBe(1);

    const after = await documentOf(doc.id);
    expect(after.body.versionCount).toBe(1);
    expect(after.etag).toBe(winner.headers['document-etag']);
    const list = await f.clerk.get(`/documents/${doc.id}/versions`);
    expect(list.json()).toEqual({ items: [winner.json()], next: null });
    // The losers removed their upload records and objects: only the winner's object is left.
    expect(await pendingUploads(doc.id)).toBe(0);
    const stored = await storedObjects(doc.id);
    expect(stored).toEqual({ objects: [`documents/${doc.id}/${winner.json().id}`], incomplete: [] });

    // Then five sequential uploads are numbered 2..6 without gaps.
    let etag = after.etag;
    for (let n = 2; n <= 6; n++) {
      const added = await addVersion(doc.id, etag, Buffer.from(`Fassung ${n}`));
      expect(added.res.json().number).toBe(n);
      etag = added.etag;
    }
    expect(await versionNumbers(doc.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await documentOf(doc.id)).body.versionCount).toBe(6);
  });
});

describe('Content-Digest on upload', () => {
  it('accepts content that matches its sha-256 digest', async () => {
    const doc = await freshDocument();
    const content = randomBytes(5000);
    const res = await f.upload(f.clerk, doc.id, content, doc.etag, { 'content-type': 'application/octet-stream', 'content-digest': digestHeader(content) });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ sha256: sha256(content), size: 5000, mediaType: 'application/octet-stream' });
  });

  it('answers 422 digest-mismatch to other content, and stores nothing', async () => {
    const doc = await freshDocument();
    const { etag } = await addVersion(doc.id, doc.etag, Buffer.from('erste Fassung'));
    const content = Buffer.from('was tatsächlich ankam');
    const claimed = Buffer.from('was angekündigt war');
    const res = await f.upload(f.clerk, doc.id, content, etag, { 'content-digest': digestHeader(claimed) });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual(
      problem('digest-mismatch', 'The SHA-256 of the received content differs from Content-Digest; nothing was stored', versionsUrl(doc.id), {
        expected: sha256(claimed),
        actual: sha256(content),
      }),
    );
    const after = await documentOf(doc.id);
    expect(after.body.versionCount).toBe(1);
    expect(after.etag).toBe(etag);
    expect(await versionNumbers(doc.id)).toEqual([1]);
    expect(await pendingUploads(doc.id)).toBe(0);
    expect((await storedObjects(doc.id)).objects).toHaveLength(1);
  });

  it('answers 400 to a malformed Content-Digest before reading the body', async () => {
    const doc = await freshDocument();
    for (const header of ['sha-256=abc', `sha-256=:${randomBytes(16).toString('base64')}:`]) {
      const res = await f.upload(f.clerk, doc.id, 'Inhalt', doc.etag, { 'content-digest': header });
      expect(res.statusCode, header).toBe(400);
      expect(res.json().code).toBe('bad-request');
    }
    const res = await f.upload(f.clerk, doc.id, 'Inhalt', doc.etag, { 'content-digest': 'sha-256=abc' });
    expect(res.json()).toEqual(problem('bad-request', 'Content-Digest: malformed digest header', versionsUrl(doc.id)));
    expect((await documentOf(doc.id)).body.versionCount).toBe(0);
  });
});

/** A multipart/form-data body built by hand: `parts` in order, each with its headers and bytes. */
function multipartBody(parts: { headers: string[]; data: Buffer }[]) {
  const boundary = `----EnAkteBoundary${randomUUID().replace(/-/g, '')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`), part.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('multipart upload', () => {
  it('stores the single file part with its file name and media type', async () => {
    const doc = await freshDocument();
    const data = Buffer.concat([Buffer.from('%PDF-1.7\r\n--not-a-boundary\r\n'), randomBytes(3000)]);
    const { body, contentType } = multipartBody([
      { headers: ['Content-Disposition: form-data; name="comment"'], data: Buffer.from('Eingang per Post') },
      { headers: ['Content-Disposition: form-data; name="file"; filename="Antrag Gaststätte.pdf"', 'Content-Type: application/pdf'], data },
    ]);
    const res = await f.clerk.post(`/documents/${doc.id}/versions`, body, { 'content-type': contentType, 'if-match': doc.etag });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ number: 1, size: data.length, sha256: sha256(data), mediaType: 'application/pdf', filename: 'Antrag Gaststätte.pdf' });

    const download = await f.clerk.get(`/documents/${doc.id}/versions/1/content`);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(data)).toBe(true);
    expect(download.headers['content-type']).toBe('application/pdf');
  });

  it('answers 400 to a multipart body without a file part', async () => {
    const doc = await freshDocument();
    const { body, contentType } = multipartBody([{ headers: ['Content-Disposition: form-data; name="comment"'], data: Buffer.from('nur ein Feld') }]);
    const res = await f.clerk.post(`/documents/${doc.id}/versions`, body, { 'content-type': contentType, 'if-match': doc.etag });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(problem('bad-request', 'The multipart body has no file part', versionsUrl(doc.id)));
    expect((await documentOf(doc.id)).body.versionCount).toBe(0);
    expect(await pendingUploads(doc.id)).toBe(0);
  });
});

describe('file names of uploads', () => {
  it('takes the name from Content-Disposition filename* (RFC 8187)', async () => {
    const doc = await freshDocument();
    const { res } = await addVersion(doc.id, doc.etag, Buffer.from('%PDF'), {
      'content-type': 'application/pdf',
      'content-disposition': "attachment; filename*=UTF-8''Bescheid%20M%C3%BCller.pdf",
    });
    expect(res.json().filename).toBe('Bescheid Müller.pdf');
    const download = await f.clerk.get(`/documents/${doc.id}/versions/1/content`);
    expect(download.headers['content-disposition']).toBe(`attachment; filename="Bescheid Muller.pdf"; filename*=UTF-8''Bescheid%20M%C3%BCller.pdf`);
  });

  it('takes the name from ?filename=, which wins over Content-Disposition', async () => {
    const doc = await freshDocument();
    const res = await f.upload(f.clerk, doc.id, 'x', doc.etag, { 'content-disposition': 'attachment; filename="header.txt"' }, `?filename=${encodeURIComponent('Widerspruch Öztürk.txt')}`);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().filename).toBe('Widerspruch Öztürk.txt');
  });

  it('stores a path as its last segment: ../../etc/passwd → passwd', async () => {
    const doc = await freshDocument();
    const viaQuery = await f.upload(f.clerk, doc.id, 'root:x:0:0', doc.etag, {}, `?filename=${encodeURIComponent('../../etc/passwd')}`);
    expect(viaQuery.statusCode, viaQuery.body).toBe(201);
    expect(viaQuery.json().filename).toBe('passwd');
    const viaHeader = await f.upload(f.clerk, doc.id, 'root:x:0:0', viaQuery.headers['document-etag'] as string, {
      'content-disposition': 'attachment; filename="..\\\\..\\\\windows\\\\win.ini"',
    });
    expect(viaHeader.statusCode, viaHeader.body).toBe(201);
    expect(viaHeader.json().filename).toBe('win.ini');
  });
});

describe('JSON content', () => {
  it('is stored byte-exact as content, never parsed or re-serialised', async () => {
    const doc = await freshDocument();
    const json = Buffer.from('{"b": 1,   "a" : [ 2.50, "ü\\u00fc" ] ,"a": null}\n\n');
    const { res } = await addVersion(doc.id, doc.etag, json, { 'content-type': 'application/json' });
    expect(res.json()).toMatchObject({ size: json.length, sha256: sha256(json), mediaType: 'application/json' });
    const download = await f.clerk.get(`/documents/${doc.id}/versions/1/content`);
    expect(download.rawPayload.equals(json)).toBe(true);
    expect(download.headers['content-type']).toBe('application/json');

    const notJson = Buffer.from('{ kein JSON');
    const second = await f.upload(f.clerk, doc.id, notJson, res.headers['document-etag'] as string, { 'content-type': 'application/json' });
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().sha256).toBe(sha256(notJson));
  });
});

describe('downloading content', () => {
  let docId: string;
  let content: Buffer;
  let etag: string;
  const contentUrl = () => `/documents/${docId}/versions/1/content`;

  beforeAll(async () => {
    const doc = await freshDocument();
    docId = doc.id;
    content = randomBytes(64 * 1024);
    const { res } = await addVersion(doc.id, doc.etag, content, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="scan.bin"' });
    etag = res.headers.etag as string;
  });

  it('answers 200 with the bytes and their headers', async () => {
    const res = await f.clerk.get(contentUrl());
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(content)).toBe(true);
    expect(res.headers).toMatchObject({
      'content-length': String(content.length),
      'content-type': 'application/octet-stream',
      'content-digest': digestHeader(content),
      'repr-digest': digestHeader(content),
      'accept-ranges': 'bytes',
      'content-security-policy': CONTENT_CSP,
      'content-disposition': `attachment; filename="scan.bin"; filename*=UTF-8''scan.bin`,
      etag: `"${sha256(content)}"`,
    });
  });

  it('answers 304 to If-None-Match with the ETag (also weak or in a list)', async () => {
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await f.clerk.get(contentUrl(), { 'if-none-match': header });
      expect(res.statusCode, header).toBe(304);
      expect(res.rawPayload.length).toBe(0);
      expect(res.headers.etag).toBe(etag);
    }
    const changed = await f.clerk.get(contentUrl(), { 'if-none-match': '"something-else"' });
    expect(changed.statusCode).toBe(200);
  });

  it('serves random single ranges (bytes=a-b, a-, -n) with 206 and exactly those bytes', async () => {
    const size = content.length;
    const range = fc.oneof(
      fc.tuple(fc.nat(size - 1), fc.nat(size + 100)).filter(([a, b]) => a <= b).map(([a, b]) => ({ header: `bytes=${a}-${b}`, start: a, end: Math.min(b, size - 1) })),
      fc.nat(size - 1).map((a) => ({ header: `bytes=${a}-`, start: a, end: size - 1 })),
      fc.integer({ min: 1, max: size + 100 }).map((n) => ({ header: `bytes=-${n}`, start: Math.max(0, size - n), end: size - 1 })),
    );
    await fc.assert(
      fc.asyncProperty(range, async ({ header, start, end }) => {
        const res = await f.clerk.get(contentUrl(), { range: header });
        expect(res.statusCode, header).toBe(206);
        expect(res.headers['content-range'], header).toBe(`bytes ${start}-${end}/${size}`);
        expect(res.headers['content-length'], header).toBe(String(end - start + 1));
        expect(res.rawPayload.equals(content.subarray(start, end + 1)), header).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('answers 416 with Content-Range bytes */size to an unsatisfiable range', async () => {
    for (const header of [`bytes=${content.length}-`, `bytes=${content.length + 10}-${content.length + 20}`, 'bytes=-0']) {
      const res = await f.clerk.get(contentUrl(), { range: header });
      expect(res.statusCode, header).toBe(416);
      expect(res.headers['content-range']).toBe(`bytes */${content.length}`);
      expect(res.json()).toEqual(problem('range-not-satisfiable', `The range is outside 0-${content.length - 1}`, `/v1/tenants/${TENANT}${contentUrl()}`));
    }
  });

  it('answers 416 to a range of an empty version saying it is empty, with Content-Range bytes */0', async () => {
    const doc = await freshDocument();
    await addVersion(doc.id, doc.etag, Buffer.alloc(0));
    const url = `/documents/${doc.id}/versions/1/content`;
    const whole = await f.clerk.get(url);
    expect([whole.statusCode, whole.headers['content-length'], whole.rawPayload.length]).toEqual([200, '0', 0]);
    for (const header of ['bytes=0-', 'bytes=0-0', 'bytes=-5', 'bytes=-0']) {
      const res = await f.clerk.get(url, { range: header });
      expect(res.statusCode, header).toBe(416);
      expect(res.headers['content-range'], header).toBe('bytes */0');
      expect(res.json(), header).toEqual(
        problem('range-not-satisfiable', 'The content is empty (0 bytes); no range can be satisfied', `/v1/tenants/${TENANT}${url}`),
      );
    }
  });

  it('answers the whole content to If-Range with another ETag, and to several ranges', async () => {
    const wrong = await f.clerk.get(contentUrl(), { range: 'bytes=0-9', 'if-range': '"not-the-etag"' });
    expect(wrong.statusCode).toBe(200);
    expect(wrong.rawPayload.equals(content)).toBe(true);
    expect(wrong.headers['content-range']).toBeUndefined();

    const right = await f.clerk.get(contentUrl(), { range: 'bytes=0-9', 'if-range': etag });
    expect(right.statusCode).toBe(206);
    expect(right.rawPayload.equals(content.subarray(0, 10))).toBe(true);

    const several = await f.clerk.get(contentUrl(), { range: 'bytes=0-9,20-29' });
    expect(several.statusCode).toBe(200);
    expect(several.rawPayload.equals(content)).toBe(true);
  });
});

describe('roles on versions and content', () => {
  it('lets an auditor read the metadata but not the content (403)', async () => {
    const doc = await freshDocument();
    const { res } = await addVersion(doc.id, doc.etag, Buffer.from('vertraulich'));
    const auditor = f.as(['auditor']);
    const list = await auditor.get(`/documents/${doc.id}/versions`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [res.json()], next: null });
    const meta = await auditor.get(`/documents/${doc.id}/versions/1`);
    expect(meta.statusCode).toBe(200);
    expect(meta.json()).toEqual(res.json());

    const content = await auditor.get(`/documents/${doc.id}/versions/1/content`);
    expect(content.statusCode).toBe(403);
    expect(content.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager, clerk, reader', `${versionsUrl(doc.id)}/1/content`));
  });

  it('lets a reader download, but not upload (403)', async () => {
    const doc = await freshDocument();
    const { etag } = await addVersion(doc.id, doc.etag, Buffer.from('lesbar'));
    const reader = f.as(['reader']);
    const content = await reader.get(`/documents/${doc.id}/versions/1/content`);
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe('lesbar');

    const upload = await f.upload(reader, doc.id, 'nicht erlaubt', etag);
    expect(upload.statusCode).toBe(403);
    expect(upload.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager, clerk', versionsUrl(doc.id)));
    expect((await documentOf(doc.id)).body.versionCount).toBe(1);
  });
});

interface HttpOutcome {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body?: string;
  error?: string;
}

/**
 * One request over a real socket of `agent`, the body written in `chunks` (chunked transfer coding).
 * Resolves with the response, or with what went wrong; `noAnswerAfterMs` only bounds a hang.
 */
function httpRequest(port: number, agent: http.Agent, opts: { method: string; path: string; headers: Record<string, string> }, chunks: Buffer[] = [], noAnswerAfterMs = 10_000) {
  return new Promise<HttpOutcome>((resolve) => {
    const timer = setTimeout(() => resolve({ error: `no answer within ${noAnswerAfterMs} ms` }), noAnswerAfterMs);
    const done = (o: HttpOutcome) => {
      clearTimeout(timer);
      resolve(o);
    };
    const req = http.request({ agent, host: '127.0.0.1', port, method: opts.method, path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', (err) => done({ error: String(err) }));
    });
    req.on('error', (err) => done({ error: String(err) }));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const portOf = (app: TestApp['app']) => {
  const a = app.server.address();
  if (!a || typeof a === 'string') throw new Error('the app does not listen');
  return a.port;
};

describe('upload size limit (MAX_UPLOAD_BYTES=1024)', () => {
  let small: TestApp;
  let g: ReturnType<typeof recordFactories>;
  beforeAll(async () => {
    small = await buildTestApp({ MAX_UPLOAD_BYTES: '1024' });
    g = recordFactories(small, TENANT);
    await settled(small.app);
    await small.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    // A connection the server stopped reading (see the keep-alive test) would hold close() until its
    // keep-alive timeout; the test that finds it has already failed, so do not wait for it here.
    small?.app.server.closeAllConnections();
    await small?.close();
  });

  async function smallDocument() {
    const file = await g.file();
    const kase = await g.kase(file.id);
    return g.document(kase.id);
  }

  async function expectNothingStored(docId: string) {
    const doc = await g.clerk.get(`/documents/${docId}`);
    expect(doc.json().versionCount).toBe(0);
    expect((await g.clerk.get(`/documents/${docId}/versions`)).json()).toEqual({ items: [], next: null });
    expect(await pendingUploads(docId)).toBe(0);
    expect(await storedObjects(docId)).toEqual({ objects: [], incomplete: [] });
  }

  it('answers 413 payload-too-large to a streamed (chunked) body of 2000 bytes, and stores nothing', async () => {
    const doc = await smallDocument();
    const agent = new http.Agent({ keepAlive: false });
    try {
      const res = await httpRequest(
        portOf(small.app),
        agent,
        {
          method: 'POST',
          path: versionsUrl(doc.id),
          headers: { authorization: `Bearer ${await small.tokenFor(TENANT, ['clerk'])}`, 'content-type': 'application/octet-stream', 'if-match': doc.etag },
        },
        [randomBytes(1000), randomBytes(1000)],
      );
      expect(res.status, JSON.stringify(res)).toBe(413);
      expect(JSON.parse(res.body!)).toEqual(problem('payload-too-large', 'The body exceeds 1024 bytes', versionsUrl(doc.id), { limit: 1024 }));
    } finally {
      agent.destroy();
    }
    await expectNothingStored(doc.id);
  });

  it('keeps a keep-alive connection usable after rejecting a streamed body half-way (or closes it)', async () => {
    const doc = await smallDocument();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const token = await small.tokenFor(TENANT, ['clerk']);
    try {
      const chunks = Array.from({ length: 64 }, () => randomBytes(16 * 1024));
      const rejected = await httpRequest(
        portOf(small.app),
        agent,
        { method: 'POST', path: versionsUrl(doc.id), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'if-match': doc.etag } },
        chunks,
      );
      expect(rejected.status, JSON.stringify(rejected)).toBe(413);
      // The next request of the same client (same pooled connection unless the server closed it) is answered.
      const next = await httpRequest(portOf(small.app), agent, { method: 'GET', path: `/v1/tenants/${TENANT}/documents/${doc.id}`, headers: { authorization: `Bearer ${token}` } });
      expect({ status: next.status, error: next.error }, `413 said connection: ${rejected.headers?.connection}`).toEqual({ status: 200, error: undefined });
    } finally {
      agent.destroy();
    }
    await expectNothingStored(doc.id);
  });

  it('answers 413 to a Content-Length above the limit', async () => {
    const doc = await smallDocument();
    const res = await g.upload(g.clerk, doc.id, randomBytes(2000), doc.etag);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual(problem('payload-too-large', 'The body exceeds 1024 bytes', versionsUrl(doc.id), { limit: 1024 }));
    await expectNothingStored(doc.id);
  });

  it('answers 413 to a multipart file part beyond the limit, and never stores it truncated', async () => {
    const doc = await smallDocument();
    const { body, contentType } = multipartBody([
      { headers: ['Content-Disposition: form-data; name="file"; filename="gross.bin"', 'Content-Type: application/octet-stream'], data: randomBytes(2000) },
    ]);
    const token = await small.tokenFor(TENANT, ['clerk']);
    const res = await small.app.inject({
      method: 'POST',
      url: versionsUrl(doc.id),
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'if-match': doc.etag },
      // Streamed, so no Content-Length gives the size away and the part limit must catch it.
      payload: Readable.from([body]),
    });
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json()).toEqual(problem('payload-too-large', 'The body exceeds 1024 bytes', versionsUrl(doc.id), { limit: 1024 }));
    await expectNothingStored(doc.id);
  });

  it('accepts exactly the limit, raw and as a multipart file part', async () => {
    const doc = await smallDocument();
    const raw = randomBytes(1024);
    const res = await g.upload(g.clerk, doc.id, raw, doc.etag);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ size: 1024, sha256: sha256(raw) });

    const data = randomBytes(1024);
    const { body, contentType } = multipartBody([{ headers: ['Content-Disposition: form-data; name="file"; filename="genau.bin"'], data }]);
    const token = await small.tokenFor(TENANT, ['clerk']);
    const part = await small.app.inject({
      method: 'POST',
      url: versionsUrl(doc.id),
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'if-match': res.headers['document-etag'] as string },
      payload: Readable.from([body]),
    });
    expect(part.statusCode, part.body).toBe(201);
    expect(part.json()).toMatchObject({ number: 2, size: 1024, sha256: sha256(data) });
  });
});

describe('aborted uploads', () => {
  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });

  /** Sends the head of an upload and `sent` bytes of a body announced as `announced` bytes. */
  async function startUpload(docId: string, ifMatch: string, announced: number, sent: number) {
    const token = await t.tokenFor(TENANT, ['clerk']);
    const socket = net.connect(portOf(t.app), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      `POST ${versionsUrl(docId)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${announced}\r\nIf-Match: ${ifMatch}\r\n\r\n`,
    );
    for (let off = 0; off < sent; off += 64 * 1024) socket.write(randomBytes(Math.min(64 * 1024, sent - off)));
    return socket;
  }

  async function expectNothingLeft(docId: string, keys: string[]) {
    const left = await eventually(
      async () => ({ uploads: await pendingUploads(docId), stored: await storedObjects(docId, keys) }),
      (v) => v.uploads === 0 && v.stored.objects.length === 0 && v.stored.incomplete.length === 0,
    );
    expect(left).toEqual({ uploads: 0, stored: { objects: [], incomplete: [] } });
    expect((await documentOf(docId)).body.versionCount).toBe(0);
    expect((await f.clerk.get(`/documents/${docId}/versions`)).json()).toEqual({ items: [], next: null });
  }

  it('a client that disconnects after 1 MiB of 5 MiB leaves no version, no upload record and no object', async () => {
    const doc = await freshDocument();
    const socket = await startUpload(doc.id, doc.etag, 5 * 1024 * 1024, 1024 * 1024);
    try {
      // The server has recorded the upload and is streaming it when the client goes away.
      const keys = await eventually(() => uploadKeys(doc.id), (k) => k.length === 1);
      expect(keys).toEqual([expect.stringMatching(new RegExp(`^documents/${doc.id}/[0-9a-f-]{36}$`))]);
      socket.destroy();
      await expectNothingLeft(doc.id, keys);
    } finally {
      socket.destroy();
    }
  });

  it('a client that disconnects after a multipart part reached storage leaves no part behind', async () => {
    const doc = await freshDocument();
    const partSize = t.config.storage.kind === 's3' ? t.config.storage.partSize : 5 * 1024 * 1024;
    const socket = await startUpload(doc.id, doc.etag, 3 * partSize, partSize + 512 * 1024);
    try {
      const keys = await eventually(() => uploadKeys(doc.id), (k) => k.length === 1);
      expect(keys).toHaveLength(1);
      // The first part went to MinIO as a multipart upload before the client disappears.
      const started = await eventually(() => storedObjects(doc.id, keys), (s) => s.incomplete.length === 1);
      expect(started.incomplete).toEqual(keys);
      socket.destroy();
      await expectNothingLeft(doc.id, keys);
    } finally {
      socket.destroy();
    }
  });
});
