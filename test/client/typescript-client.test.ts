// The typed TypeScript client (clients/typescript) against the real app over real HTTP on loopback:
// a town system files a letter end to end (Akte → Vorgang → Dokument → Version) exactly as the
// client's README shows. The calls are typed by the generated contract (src/schema.ts), so a
// contract change that breaks clients breaks `tsc` (CI's typecheck) as well as this test.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createEnAkteClient,
  isProblem,
  ProblemError,
  unwrap,
  type Case,
  type Document,
  type EnAkteClient,
  type ProblemCode,
  type RecordFile,
  type Version,
} from '../../clients/typescript/src/index.js';
import { buildTestApp, TEST_ISSUER, type TestApp } from '../support/app.js';

const TENANT = 'witten';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const digestOf = (b: Uint8Array) => `sha-256=:${createHash('sha256').update(b).digest('base64')}:`;

interface Sent {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: Record<string, string>;
}

/** The global fetch, noting every request the client sends (the requests themselves go to the real app). */
function recordingFetch(log: Sent[]): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    log.push({ method: request.method, path: url.pathname, search: url.searchParams, headers: Object.fromEntries(request.headers) });
    return fetch(request);
  };
}

/** Reads a stream to its end. */
async function readAll(stream: ReadableStream<Uint8Array> | null): Promise<Buffer> {
  if (!stream) throw new Error('no body');
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Expects `promise` to reject with a ProblemError and returns it. */
async function problemOf(promise: Promise<unknown>): Promise<ProblemError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemError);
  return err as ProblemError;
}

let t: TestApp;
let baseUrl: string;
let sent: Sent[];
/** The town's system: a machine client with client credentials. */
let town: EnAkteClient;
let machine: { clientId: string; clientSecret: string; id: string };

beforeAll(async () => {
  t = await buildTestApp();
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  // The tenant admin registers the town system's machine client (with a token of the test key).
  const admin = createEnAkteClient({ baseUrl, token: () => t.tokenFor(TENANT, ['tenant-admin'], 'admin@witten') });
  const registered = await unwrap(
    admin.api.POST('/v1/tenants/{tenant}/clients', {
      params: { path: { tenant: TENANT } },
      body: { name: `Posteingang ${randomUUID().slice(0, 8)}`, roles: ['records-manager', 'clerk'] },
    }),
  );
  machine = { id: registered.id, clientId: registered.clientId, clientSecret: registered.clientSecret };
  sent = [];
  town = createEnAkteClient({ baseUrl, clientCredentials: { clientId: machine.clientId, clientSecret: machine.clientSecret }, fetch: recordingFetch(sent), userAgent: 'Posteingang/1.0' });
});
afterAll(async () => {
  await t.close();
});

/** A file (Akte) of the town system under a fresh plan unit. */
async function freshFile(title = 'Gaststättenerlaubnis Zur Post'): Promise<RecordFile> {
  const unit = await unwrap(
    town.api.POST('/v1/tenants/{tenant}/file-plan/units', {
      params: { path: { tenant: TENANT } },
      body: { code: `C${randomUUID().replace(/-/g, '').slice(0, 7)}`, title: 'Gaststätten', retentionYears: 10, disposal: 'B' },
    }),
  );
  return unwrap(town.api.POST('/v1/tenants/{tenant}/files', { params: { path: { tenant: TENANT } }, body: { planUnitId: unit.id, title } }));
}

describe('the typed TypeScript client', () => {
  it('authenticates with client credentials: one token from POST /oauth/token, cached', async () => {
    const before = sent.length;
    const first = await town.token();
    const second = await town.token();
    expect(first).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(second).toBe(first);
    const claims = JSON.parse(Buffer.from(first!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ tenant: TENANT, sub: machine.clientId, roles: ['records-manager', 'clerk'] });
    expect(sent.slice(before).map((s) => `${s.method} ${s.path}`)).toEqual(['POST /oauth/token']);
  });

  it('a wrong client secret is a ProblemError 401 invalid-client', async () => {
    const wrong = createEnAkteClient({ baseUrl, clientCredentials: { clientId: machine.clientId, clientSecret: 'falsch' } });
    const err = await problemOf(wrong.token());
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid-client');
    expect(err.problem).toMatchObject({ type: `${TEST_ISSUER}/problems/invalid-client`, status: 401, code: 'invalid-client', instance: '/oauth/token' });
  });

  it('files a letter: Akte → Vorgang → Dokument → Version, streamed up and streamed down', async () => {
    const file: RecordFile = await freshFile();
    expect(file).toMatchObject({ title: 'Gaststättenerlaubnis Zur Post', status: 'open', createdBy: `client:${machine.clientId}` });
    const kase: Case = await unwrap(
      town.api.POST('/v1/tenants/{tenant}/files/{fileId}/cases', { params: { path: { tenant: TENANT, fileId: file.id } }, body: { title: 'Antrag vom 1. Dezember' } }),
    );
    expect(kase).toMatchObject({ fileId: file.id, title: 'Antrag vom 1. Dezember', status: 'open' });
    const doc: Document = await unwrap(
      town.api.POST('/v1/tenants/{tenant}/cases/{caseId}/documents', {
        params: { path: { tenant: TENANT, caseId: kase.id } },
        body: { title: 'Eingangsschreiben', kind: 'letter', receivedOn: '2026-12-01', sender: 'Gasthaus Zur Post GmbH' },
      }),
    );
    expect(doc).toMatchObject({ caseId: kase.id, title: 'Eingangsschreiben', kind: 'letter', versionCount: 0 });

    // 1 MiB + 17 bytes, sent as a Node stream of 64 KiB chunks with its Content-Digest.
    const content = randomBytes(1024 * 1024 + 17);
    const chunks = Array.from({ length: Math.ceil(content.length / 65536) }, (_, i) => content.subarray(i * 65536, (i + 1) * 65536));
    const before = sent.length;
    const uploaded = await town.uploadVersion({
      tenant: TENANT,
      documentId: doc.id,
      content: Readable.from(chunks),
      contentType: 'application/pdf',
      filename: 'Eingangsschreiben.pdf',
      digest: digestOf(content),
    });
    const version: Version = uploaded.version;
    expect(version).toEqual({
      id: expect.stringMatching(UUID7),
      documentId: doc.id,
      number: 1,
      size: content.length,
      sha256: sha256(content),
      mediaType: 'application/pdf',
      filename: 'Eingangsschreiben.pdf',
      uploadedBy: `client:${machine.clientId}`,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      contentUrl: `/v1/tenants/${TENANT}/documents/${doc.id}/versions/1/content`,
    });
    expect(uploaded.etag).toBe(`"${sha256(content)}"`);
    expect(uploaded.replayed).toBe(false);
    // The helper read the document's ETag, then sent If-Match, the digest and an Idempotency-Key.
    const calls = sent.slice(before);
    expect(calls.map((s) => `${s.method} ${s.path}`)).toEqual([
      `GET /v1/tenants/${TENANT}/documents/${doc.id}`,
      `POST /v1/tenants/${TENANT}/documents/${doc.id}/versions`,
    ]);
    expect(calls[1]!.headers).toMatchObject({
      'content-type': 'application/pdf',
      'content-digest': digestOf(content),
      'idempotency-key': expect.stringMatching(UUID),
      'user-agent': 'Posteingang/1.0',
      authorization: expect.stringMatching(/^Bearer /),
    });
    expect(calls[1]!.search.get('filename')).toBe('Eingangsschreiben.pdf');
    const after = await town.api.GET('/v1/tenants/{tenant}/documents/{documentId}', { params: { path: { tenant: TENANT, documentId: doc.id } } });
    expect(after.data?.versionCount).toBe(1);
    expect(town.etagOf(after)).toBe(uploaded.documentEtag);

    // Streamed down whole: the same bytes, with the content's ETag and digests.
    const whole = await town.downloadVersion({ tenant: TENANT, documentId: doc.id, number: 1 });
    expect(whole).toMatchObject({
      status: 200,
      etag: `"${sha256(content)}"`,
      reprDigest: digestOf(content),
      contentDigest: digestOf(content),
      contentType: 'application/pdf',
      contentLength: content.length,
      contentRange: null,
    });
    expect(sha256(await readAll(whole.body))).toBe(sha256(content));

    // A range, as HTTP counts it (inclusive).
    const part = await town.downloadVersion({ tenant: TENANT, documentId: doc.id, number: 1, range: { start: 100, end: 199 } });
    expect(part).toMatchObject({ status: 206, contentRange: `bytes 100-199/${content.length}`, contentLength: 100, reprDigest: digestOf(content) });
    expect((await readAll(part.body)).equals(content.subarray(100, 200))).toBe(true);

    // Not modified.
    const unchanged = await town.downloadVersion({ tenant: TENANT, documentId: doc.id, number: 1, ifNoneMatch: `"${sha256(content)}"` });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeNull();

    // An in-memory second version with a computed digest; then a wrong digest stores nothing.
    const second = await town.uploadVersion({ tenant: TENANT, documentId: doc.id, content: new Blob(['Antwortschreiben'], { type: 'text/plain' }), digest: true, checkin: false });
    expect(second.version).toMatchObject({ number: 2, size: 16, mediaType: 'text/plain', sha256: sha256(Buffer.from('Antwortschreiben')) });
    const mismatch = await problemOf(town.uploadVersion({ tenant: TENANT, documentId: doc.id, content: Buffer.from('dritte'), digest: digestOf(Buffer.from('vierte')) }));
    expect(mismatch.status).toBe(422);
    expect(mismatch.code).toBe('digest-mismatch');
    expect((await unwrap(town.api.GET('/v1/tenants/{tenant}/documents/{documentId}', { params: { path: { tenant: TENANT, documentId: doc.id } } }))).versionCount).toBe(2);
  });

  it('paginate iterates every page of a list, following the cursor', async () => {
    const file = await freshFile('Akte mit vielen Vorgängen');
    const created: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const kase = await unwrap(
        town.api.POST('/v1/tenants/{tenant}/files/{fileId}/cases', { params: { path: { tenant: TENANT, fileId: file.id } }, body: { title: `Vorgang ${i}` } }),
      );
      created.push(kase.id);
    }
    const before = sent.length;
    const titles: string[] = [];
    const ids: string[] = [];
    for await (const kase of town.paginate('/v1/tenants/{tenant}/files/{fileId}/cases', { params: { path: { tenant: TENANT, fileId: file.id }, query: { limit: 2 } } })) {
      expectTypeOf(kase).toEqualTypeOf<Case>();
      ids.push(kase.id);
      titles.push(kase.title);
    }
    expect(ids).toEqual(created);
    expect(titles).toEqual(['Vorgang 1', 'Vorgang 2', 'Vorgang 3', 'Vorgang 4', 'Vorgang 5']);
    const pages = sent.slice(before);
    expect(pages.map((s) => [s.method, s.path, s.search.get('limit')])).toEqual(Array.from({ length: 3 }, () => ['GET', `/v1/tenants/${TENANT}/files/${file.id}/cases`, '2']));
    expect(pages[0]!.search.has('cursor')).toBe(false);
    expect(pages[1]!.search.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(pages[2]!.search.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(pages[2]!.search.get('cursor')).not.toBe(pages[1]!.search.get('cursor'));
  });

  it('the ETag dance: update sends If-Match; a stale If-Match is a ProblemError 412 precondition-failed', async () => {
    const file = await freshFile();
    const path = { tenant: TENANT, fileId: file.id };
    const read = await town.api.GET('/v1/tenants/{tenant}/files/{fileId}', { params: { path } });
    const staleEtag = town.etagOf(read);

    const updated = await town.update('/v1/tenants/{tenant}/files/{fileId}', { params: { path }, body: (current) => ({ title: `${current.title} (erweitert)` }) });
    expect(updated.data).toMatchObject({ id: file.id, title: 'Gaststättenerlaubnis Zur Post (erweitert)' });
    expect(updated.etag).toMatch(/^"[^"]+"$/);
    expect(updated.etag).not.toBe(staleEtag);

    const err = await problemOf(town.api.PATCH('/v1/tenants/{tenant}/files/{fileId}', { params: { path, header: { 'if-match': staleEtag } }, body: { title: 'verloren' } }));
    expect(err.status).toBe(412);
    expect(err.code).toBe('precondition-failed');
    expect(err.is('precondition-failed')).toBe(true);
    expect(isProblem(err, 'precondition-failed')).toBe(true);
    expect(err.problem).toMatchObject({ type: `${TEST_ISSUER}/problems/precondition-failed`, status: 412, code: 'precondition-failed', instance: `/v1/tenants/${TENANT}/files/${file.id}` });
    expect(err.requestId).toBe(err.response?.headers.get('x-request-id'));
    expect(err.requestId).toMatch(/^\S+$/);
    expect((await unwrap(town.api.GET('/v1/tenants/{tenant}/files/{fileId}', { params: { path } }))).title).toBe('Gaststättenerlaubnis Zur Post (erweitert)');
  });

  it('withEtag reads again and writes again after a 412, as often as allowed', async () => {
    const file = await freshFile();
    const path = { tenant: TENANT, fileId: file.id };
    const other = createEnAkteClient({ baseUrl, token: () => t.tokenFor(TENANT, ['clerk'], 'kollegin@witten') });
    const read = () => town.api.GET('/v1/tenants/{tenant}/files/{fileId}', { params: { path } });
    // Between our first read and our write a colleague changes the file.
    let writes = 0;
    let interruptions = 0;
    const write = async (etag: string, current: RecordFile) => {
      if (writes++ === 0) await other.update('/v1/tenants/{tenant}/files/{fileId}', { params: { path }, body: { description: `von der Kollegin (${++interruptions})` } });
      return unwrap(town.api.PATCH('/v1/tenants/{tenant}/files/{fileId}', { params: { path, header: { 'if-match': etag } }, body: { title: `${current.title}!` } }));
    };
    const result = await town.withEtag(read, write, { attempts: 2 });
    expect(writes).toBe(2);
    expect(result).toMatchObject({ title: 'Gaststättenerlaubnis Zur Post!', description: 'von der Kollegin (1)' });

    writes = 0;
    const refused = await problemOf(town.withEtag(read, write));
    expect(writes).toBe(1);
    expect(refused.code).toBe('precondition-failed');
    expect(await unwrap(read())).toMatchObject({ title: 'Gaststättenerlaubnis Zur Post!', description: 'von der Kollegin (2)' });
  });

  it('a missing id is a ProblemError 404 not-found', async () => {
    const missing = randomUUID();
    const err = await problemOf(town.api.GET('/v1/tenants/{tenant}/files/{fileId}', { params: { path: { tenant: TENANT, fileId: missing } } }));
    expect(err).toMatchObject({ name: 'ProblemError', status: 404, code: 'not-found', message: 'Not found: No such file' });
    expect(err.problem).toEqual({
      type: `${TEST_ISSUER}/problems/not-found`,
      title: 'Not found',
      status: 404,
      detail: 'No such file',
      instance: `/v1/tenants/${TENANT}/files/${missing}`,
      code: 'not-found',
      requestId: err.requestId,
    });
  });

  it('POSTs that take one carry an Idempotency-Key (a UUID); the same key replays the same answer', async () => {
    const file = await freshFile();
    const before = sent.length;
    await unwrap(town.api.POST('/v1/tenants/{tenant}/files/{fileId}/cases', { params: { path: { tenant: TENANT, fileId: file.id } }, body: { title: 'automatisch' } }));
    await town.api.GET('/v1/tenants/{tenant}/files/{fileId}', { params: { path: { tenant: TENANT, fileId: file.id } } });
    const [post, get] = sent.slice(before);
    expect(post!.headers['idempotency-key']).toMatch(UUID);
    expect(get!.headers['idempotency-key']).toBeUndefined();

    const key = randomUUID();
    const create = () =>
      town.api.POST('/v1/tenants/{tenant}/files/{fileId}/cases', {
        params: { path: { tenant: TENANT, fileId: file.id }, header: { 'idempotency-key': key } },
        body: { title: 'genau einmal' },
      });
    const first = await create();
    const again = await create();
    expect(again.data?.id).toBe(first.data?.id);
    expect(first.response.headers.get('idempotent-replayed')).toBeNull();
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    const all = [];
    for await (const kase of town.paginate('/v1/tenants/{tenant}/files/{fileId}/cases', { params: { path: { tenant: TENANT, fileId: file.id } } })) all.push(kase.title);
    expect(all).toEqual(['automatisch', 'genau einmal']);
  });

  it('a 429 whose Retry-After is longer than the retry bound is thrown at once, with retryAfter', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const limitedUrl = await limited.app.listen({ port: 0, host: '127.0.0.1' });
      const log: Sent[] = [];
      const sub = `eilig-${randomUUID()}@witten`;
      const client = createEnAkteClient({ baseUrl: limitedUrl, token: () => limited.tokenFor(TENANT, ['reader'], sub), fetch: recordingFetch(log), retry: { maxRetries: 3, maxDelayMs: 500 } });
      const tenant = () => client.api.GET('/v1/tenants/{tenant}', { params: { path: { tenant: TENANT } } });
      expect((await unwrap(tenant())).slug).toBe(TENANT);
      expect((await unwrap(tenant())).slug).toBe(TENANT);
      const err = await problemOf(tenant());
      expect(err.status).toBe(429);
      expect(err.code).toBe('too-many-requests');
      expect(err.retryAfter).toBe(Number(err.response!.headers.get('retry-after')));
      expect(err.retryAfter).toBeGreaterThanOrEqual(1);
      expect(err.retryAfter).toBeLessThanOrEqual(60);
      expect(log).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('is typed by the contract', () => {
    expectTypeOf<Version['size']>().toEqualTypeOf<number>();
    expectTypeOf<ProblemError['code']>().toEqualTypeOf<ProblemCode>();
    expectTypeOf<ProblemCode>().toExtend<string>();
  });
});
