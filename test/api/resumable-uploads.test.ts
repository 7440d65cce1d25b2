import { createHash, randomBytes } from 'node:crypto';
import { Client as MinioClient } from 'minio';
import { Upload, type UploadOptions } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VERSION } from '../../src/app.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * Resumable uploads over tus against a real listening server: tus-js-client sends, is cut off and
 * resumes; the completed upload becomes a version with every check of POST …/versions.
 */
const TENANT = 'hattingen';
const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let base: string;
let s3: MinioClient;
const BUCKET = `en-akte-${TENANT}`;

beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { endpoint, accessKey, secretKey } = inject('s3');
  const url = new URL(endpoint);
  s3 = new MinioClient({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey });
});
afterAll(async () => {
  await t?.close();
});

async function freshDocument() {
  const kase = await f.kase((await f.file()).id);
  const doc = await f.document(kase.id);
  return { id: doc.id, etag: doc.etag, uploads: `/v1/tenants/${TENANT}/documents/${doc.id}/uploads` };
}

const token = (roles = ['clerk'], sub?: string, tenant = TENANT) => t.tokenFor(tenant, roles, sub);

/** A raw tus request on the listening server. */
async function tus(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer, auth?: string) {
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth ?? (await token())}`, 'tus-resumable': '1.0.0', ...headers },
    ...(body ? { body } : {}),
  });
}

async function create(path: string, length: number, metadata: Record<string, string>, headers: Record<string, string> = {}, auth?: string) {
  const meta = Object.entries(metadata).map(([k, v]) => `${k} ${b64(v)}`).join(',');
  return tus('POST', path, { 'upload-length': String(length), ...(meta ? { 'upload-metadata': meta } : {}), ...headers }, undefined, auth);
}

/** Every object version (and unfinished multipart upload) under a prefix of the tenant's bucket. */
async function objectsUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of s3.listObjects(BUCKET, prefix, true, { IncludeVersion: true }) as AsyncIterable<{ name?: string }>) if (o.name) out.push(o.name);
  for await (const u of s3.listIncompleteUploads(BUCKET, prefix, true) as AsyncIterable<{ key: string }>) out.push(`incomplete:${u.key}`);
  return out;
}

async function versionsOf(docId: string) {
  const res = await f.clerk.get(`/documents/${docId}/versions`);
  expect(res.statusCode).toBe(200);
  return res.json().items as { number: number; sha256: string; size: number; filename: string; mediaType: string }[];
}

async function downloaded(docId: string, n: number): Promise<Buffer> {
  const res = await fetch(`${base}/v1/tenants/${TENANT}/documents/${docId}/versions/${n}/content`, { headers: { authorization: `Bearer ${await token()}` } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

function send(options: UploadOptions, content: Buffer, until?: (upload: Upload) => (sent: number) => void) {
  return new Promise<{ url: string | null; aborted: boolean }>((resolve, reject) => {
    const upload: Upload = new Upload(content, {
      ...options,
      onError: reject,
      onSuccess: () => resolve({ url: upload.url, aborted: false }),
      onProgress: until
        ? (sent) => until(upload)(sent)
        : undefined,
    });
    (upload as Upload & { resolveAborted?: () => void }).resolveAborted = () => resolve({ url: upload.url, aborted: true });
    upload.start();
  });
}

describe('tus-js-client: 200 MiB, cut off halfway, resumed by a new client', () => {
  it('stores the version with the SHA-256 of the content', { timeout: 240_000 }, async () => {
    const doc = await freshDocument();
    const content = randomBytes(200 * MiB);
    const digest = sha256(content);
    const auth = await token();
    const options: UploadOptions = {
      endpoint: `${base}${doc.uploads}`,
      headers: { authorization: `Bearer ${auth}` },
      metadata: { filename: 'Bauplan-Scan.pdf', filetype: 'application/pdf', ifMatch: doc.etag, sha256: digest },
      retryDelays: [],
      // One long PATCH: the cut happens inside it.
      chunkSize: Number.POSITIVE_INFINITY,
    };

    let cutAt = 0;
    const first = await send(options, content, (upload) => (sent) => {
      if (!cutAt && sent >= content.length / 2) {
        cutAt = sent;
        // Abort destroys the request's socket mid-body.
        void upload.abort(false).then(() => (upload as Upload & { resolveAborted: () => void }).resolveAborted());
      }
    });
    expect(first.aborted).toBe(true);
    expect(first.url).toMatch(new RegExp(`^${base}${doc.uploads}/[0-9a-f]{32}$`));
    expect(await versionsOf(doc.id)).toEqual([]);

    // What the server kept: resume from there.
    const head = await tus('HEAD', new URL(first.url!).pathname, {}, undefined, auth);
    expect(head.status).toBe(200);
    const kept = Number(head.headers.get('upload-offset'));
    expect(Number(head.headers.get('upload-length'))).toBe(content.length);
    expect(kept).toBeLessThan(content.length);
    // The parts stored before the cut are kept: the second client does not start again.
    expect(kept).toBeGreaterThan(0);

    let resumedFrom = -1;
    const second = await send({ ...options, uploadUrl: first.url!, onUploadUrlAvailable: () => undefined }, content, () => (sent) => {
      if (resumedFrom < 0) resumedFrom = sent;
    });
    expect(second.aborted).toBe(false);
    expect(second.url).toBe(first.url);
    expect(resumedFrom).toBeGreaterThanOrEqual(kept);

    const versions = await versionsOf(doc.id);
    expect(versions.map((v) => [v.number, v.size, v.sha256, v.filename, v.mediaType])).toEqual([[1, content.length, digest, 'Bauplan-Scan.pdf', 'application/pdf']]);
    expect(sha256(await downloaded(doc.id, 1))).toBe(digest);
    // The tus objects are gone; the version's object is the only one of the document.
    const id = new URL(first.url!).pathname.split('/').at(-1)!;
    expect(await objectsUnder(`tus/${id}`)).toEqual([]);
    expect(await objectsUnder(`documents/${doc.id}/`)).toHaveLength(1);
  });
});

describe('tus protocol and the checks of POST …/versions', () => {
  it('creates, sends in two parts, and answers the version on the last part; audit and Document-ETag as POST …/versions', async () => {
    const doc = await freshDocument();
    const content = randomBytes(6 * MiB + 5);
    const created = await create(doc.uploads, content.length, { filename: 'Scan.tif', filetype: 'image/tiff', sha256: sha256(content) }, { 'if-match': doc.etag });
    expect(created.status).toBe(201);
    expect(created.headers.get('tus-resumable')).toBe('1.0.0');
    expect(created.headers.get('upload-expires')).toBeTruthy();
    const location = created.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${doc.uploads}/[0-9a-f]{32}$`));

    const part1 = await tus('PATCH', location, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, content.subarray(0, 3 * MiB));
    expect(part1.status).toBe(204);
    expect(part1.headers.get('upload-offset')).toBe(String(3 * MiB));
    const head = await tus('HEAD', location);
    expect(head.headers.get('upload-offset')).toBe(String(3 * MiB));

    const part2 = await tus('PATCH', location, { 'upload-offset': String(3 * MiB), 'content-type': 'application/offset+octet-stream' }, content.subarray(3 * MiB));
    expect(part2.status, await part2.clone().text()).toBe(204);
    expect(part2.headers.get('upload-offset')).toBe(String(content.length));
    expect(part2.headers.get('content-location')).toBe(`/v1/tenants/${TENANT}/documents/${doc.id}/versions/1`);
    expect(part2.headers.get('etag')).toBe(`"${sha256(content)}"`);
    const after = await f.clerk.get(`/documents/${doc.id}`);
    expect(part2.headers.get('document-etag')).toBe(after.headers.etag);
    expect((await versionsOf(doc.id)).map((v) => [v.number, v.sha256, v.mediaType])).toEqual([[1, sha256(content), 'image/tiff']]);

    const audit = await f.as(['auditor']).get(`/audit/objects/${doc.id}`);
    expect((audit.json().items as { action: string }[]).map((e) => e.action)).toEqual(['document.created', 'version.created']);
    // The finished upload no longer exists.
    expect((await tus('HEAD', location)).status).toBe(404);
  });

  it("another tenant's document or upload: 404 problem+json", async () => {
    const doc = await freshDocument();
    const witten = await token(['clerk'], undefined, 'witten');
    const onHattingen = await create(doc.uploads, 10, {}, { 'if-match': doc.etag }, witten);
    expect(onHattingen.status).toBe(404);
    expect(onHattingen.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const onWitten = await create(`/v1/tenants/witten/documents/${doc.id}/uploads`, 10, {}, { 'if-match': doc.etag }, witten);
    expect(onWitten.status).toBe(404);
    expect(await onWitten.json()).toEqual(problem('not-found', 'No such document', `/v1/tenants/witten/documents/${doc.id}/uploads`));

    const mine = await create(doc.uploads, 10, {}, { 'if-match': doc.etag });
    const location = mine.headers.get('location')!;
    const id = location.split('/').at(-1)!;
    for (const method of ['HEAD', 'PATCH', 'DELETE']) {
      const res = await tus(method, `/v1/tenants/witten/documents/${doc.id}/uploads/${id}`, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, method === 'PATCH' ? Buffer.from('0123456789') : undefined, witten);
      expect(res.status, method).toBe(404);
    }
    // Someone else in the same town, with the same rights: not theirs.
    const colleague = await token(['clerk'], 'kollegin@hattingen');
    const other = await tus('PATCH', location, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.from('0123456789'), colleague);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual(problem('not-found', 'No such upload', location));
    expect((await tus('HEAD', location)).headers.get('upload-offset')).toBe('0');
  });

  it('authorises as POST …/versions: 403 without records:write, 428 without If-Match, 412 when stale', async () => {
    const doc = await freshDocument();
    const reader = await create(doc.uploads, 10, {}, { 'if-match': doc.etag }, await token(['reader']));
    expect(reader.status).toBe(403);
    expect(await reader.json()).toEqual(problem('forbidden', 'This needs one of the roles: records-manager, clerk', doc.uploads));
    const none = await create(doc.uploads, 10, {});
    expect(none.status).toBe(428);
    expect(((await none.json()) as { code: string }).code).toBe('precondition-required');
    const stale = await create(doc.uploads, 10, { ifMatch: '"0-stale"' });
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as { code: string }).code).toBe('precondition-failed');
    const noTus = await fetch(`${base}${doc.uploads}`, { method: 'POST', headers: { authorization: `Bearer ${await token()}`, 'upload-length': '10', 'if-match': doc.etag } });
    expect(noTus.status).toBe(412);
    expect(((await noTus.json()) as { code: string }).code).toBe('tus-resumable-required');
  });

  it('offset mismatch: 409, and the upload is unchanged', async () => {
    const doc = await freshDocument();
    const location = (await create(doc.uploads, 10, {}, { 'if-match': doc.etag })).headers.get('location')!;
    const res = await tus('PATCH', location, { 'upload-offset': '5', 'content-type': 'application/offset+octet-stream' }, Buffer.from('56789'));
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body).toEqual(problem('upload-offset-mismatch', expect.stringContaining('HEAD the upload for its offset'), location));
    expect((await tus('HEAD', location)).headers.get('upload-offset')).toBe('0');
  });

  it('bytes past the declared length: 413, no version', async () => {
    const doc = await freshDocument();
    const location = (await create(doc.uploads, 10, {}, { 'if-match': doc.etag })).headers.get('location')!;
    const res = await tus('PATCH', location, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.alloc(20, 1));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('payload-too-large');
    expect(await versionsOf(doc.id)).toEqual([]);
  });

  it('a declared length above MAX_UPLOAD_BYTES: 413 at creation', async () => {
    const doc = await freshDocument();
    const res = await create(doc.uploads, t.config.uploads.maxBytes + 1, {}, { 'if-match': doc.etag });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('a wrong digest: 422 digest-mismatch, no version, and no object left behind', async () => {
    const doc = await freshDocument();
    const content = Buffer.from('Antrag auf Baugenehmigung');
    const wrong = sha256(Buffer.from('etwas anderes'));
    const location = (await create(doc.uploads, content.length, { sha256: wrong }, { 'if-match': doc.etag })).headers.get('location')!;
    const id = location.split('/').at(-1)!;
    const res = await tus('PATCH', location, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, content);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual(expect.objectContaining({ code: 'digest-mismatch', status: 422, instance: location }));
    expect(await versionsOf(doc.id)).toEqual([]);
    expect(await objectsUnder(`tus/${id}`)).toEqual([]);
    expect(await objectsUnder(`documents/${doc.id}/`)).toEqual([]);
    expect((await tus('HEAD', location)).status).toBe(404);
  });

  it('a document changed meanwhile: the completion answers 412 and creates no version', async () => {
    const doc = await freshDocument();
    const location = (await create(doc.uploads, 4, {}, { 'if-match': doc.etag })).headers.get('location')!;
    const direct = await f.upload(f.clerk, doc.id, 'erst', doc.etag);
    expect(direct.statusCode).toBe(201);
    const res = await tus('PATCH', location, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.from('dann'));
    expect(res.status).toBe(412);
    expect((await versionsOf(doc.id)).map((v) => v.number)).toEqual([1]);
  });

  it('termination removes the upload and its bytes', async () => {
    const doc = await freshDocument();
    const location = (await create(doc.uploads, 6 * MiB, {}, { 'if-match': doc.etag })).headers.get('location')!;
    const id = location.split('/').at(-1)!;
    expect((await tus('PATCH', location, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, randomBytes(MiB))).status).toBe(204);
    expect((await objectsUnder(`tus/${id}`)).length).toBeGreaterThan(0);
    const del = await tus('DELETE', location);
    expect(del.status).toBe(204);
    expect((await tus('HEAD', location)).status).toBe(404);
    expect(await objectsUnder(`tus/${id}`)).toEqual([]);
  });

  it('Idempotency-Key: a retried creation answers the same upload', async () => {
    const doc = await freshDocument();
    const key = `tus-${randomBytes(8).toString('hex')}`;
    const first = await create(doc.uploads, 10, {}, { 'if-match': doc.etag, 'idempotency-key': key });
    const again = await create(doc.uploads, 10, {}, { 'if-match': doc.etag, 'idempotency-key': key });
    expect(first.status, await first.clone().text()).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
  });

  it('the sweeper removes unfinished uploads past their expiry, and only those', async () => {
    const doc = await freshDocument();
    const location = (await create(doc.uploads, 6 * MiB, {}, { 'if-match': doc.etag })).headers.get('location')!;
    const id = location.split('/').at(-1)!;
    expect((await tus('PATCH', location, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, randomBytes(MiB))).status).toBe(204);
    expect((await objectsUnder(`tus/${id}`)).length).toBeGreaterThan(0);
    const services = createServices({ ...t.deps, version: VERSION });
    const resumable = services.workflows.resumable!;
    const tenant = { id: '', slug: TENANT };
    const expiry = t.config.uploads.resumableExpirySeconds * 1000;
    // Not yet expired (created less than 5 minutes ago): kept.
    await resumable.sweepTenant(tenant, Date.now() + expiry - 5 * 60_000);
    expect((await tus('HEAD', location)).status).toBe(200);
    // Past the expiry: its metadata, its pending bytes and its multipart upload go.
    expect(await resumable.sweepTenant(tenant, Date.now() + expiry + 1000)).toBeGreaterThanOrEqual(1);
    expect(await objectsUnder(`tus/${id}`)).toEqual([]);
    expect((await tus('HEAD', location)).status).toBe(404);
  });
});
