// @en-akte/client: the typed TypeScript client of the EN-Akte API, generated from the contract
// (openapi/openapi.json → src/schema.ts) with helpers for what every town system needs.
import createClient, { type Client, type MaybeOptionalInit, type Middleware } from 'openapi-fetch';
import { IDEMPOTENT_POSTS } from './operations.js';
import { ProblemError, parseRetryAfter } from './problem.js';
import type { components, paths } from './schema.js';

export type { components, paths, operations } from './schema.js';
export { ProblemError, isProblem, parseRetryAfter, type AnyProblem, type ContractProblem, type Problem, type ProblemCode, type UnexpectedProblem } from './problem.js';
export { IDEMPOTENT_POSTS } from './operations.js';

type Schemas = components['schemas'];
/** A file (Akte). */
export type RecordFile = Schemas['RecordFile'];
/** A file (Akte); shadows the DOM `File` where imported. */
export type File = RecordFile;
/** A case (Vorgang) in a file. */
export type Case = Schemas['RecordCase'];
/** A document (Dokument) in a case. */
export type Document = Schemas['RecordDocument'];
/** A version (Version) of a document: immutable content. */
export type Version = Schemas['Version'];
/** A unit of the file plan (Aktenplaneinheit). */
export type PlanUnit = Schemas['PlanUnit'];
export type Tenant = Schemas['Tenant'];
export type AuditEvent = Schemas['AuditEvent'];
export type DestructionRecord = Schemas['DestructionRecord'];
/** A machine client (OAuth client credentials). */
export type ApiClient = Schemas['ApiClient'];
export type SupportGrant = Schemas['SupportGrant'];
export type OnlineService = Schemas['OnlineService'];
export type Webhook = Schemas['Webhook'];
export type WebhookDelivery = Schemas['WebhookDelivery'];

/** Where the bearer token comes from: a fixed token or a function asked before every request. */
export type TokenSource = string | (() => string | Promise<string>);

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Space-separated roles to narrow the token to (a subset of the client's roles). */
  scope?: string;
}

export interface RetryOptions {
  /** Retries of a 429 answer, and of a 503 or a network error of a GET or a request with an Idempotency-Key. Default 3. */
  maxRetries?: number;
  /** The longest wait in ms; a Retry-After longer than this is not waited for (the error is thrown). Default 30 000. */
  maxDelayMs?: number;
  /** The first wait in ms when the server sends no Retry-After (doubled per retry). Default 500. */
  baseDelayMs?: number;
}

export interface EnAkteClientOptions {
  /** The service's origin, e.g. `https://akte.example.org` (the paths start with `/v1`). */
  baseUrl: string;
  /** A bearer token (or a function returning one, asked before every request). */
  token?: TokenSource;
  /** A machine client: tokens are fetched from POST /oauth/token, cached and refreshed before they expire. */
  clientCredentials?: ClientCredentials;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** A User-Agent naming your system (Node; browsers send their own). */
  userAgent?: string;
  /** Retry of 429 and 503 honouring Retry-After, bounded; `false` turns it off. */
  retry?: RetryOptions | false;
  /** Refresh a client-credentials token this many seconds before it expires (at most half its lifetime). Default 60. */
  refreshBeforeSeconds?: number;
}

/** The answer of POST /oauth/token. */
export type TokenResponse = paths['/oauth/token']['post']['responses'][200]['content']['application/json'];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Requests whose body is a caller's stream: sent once, never retried (the stream cannot be read twice). */
const oneShot = new WeakSet<Request>();
/** A per-request middleware that marks the request as one-shot. */
export const noRetry: Middleware = {
  onRequest({ request }) {
    oneShot.add(request);
    return undefined;
  },
};

/** The token cache of a machine client: one token at a time, refreshed before it expires. */
function clientCredentialsTokens(baseUrl: string, creds: ClientCredentials, doFetch: typeof fetch, userAgent: string | undefined, refreshBefore: number) {
  let current: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;
  async function issue(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret });
    if (creds.scope) form.set('scope', creds.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (userAgent) headers['user-agent'] = userAgent;
    const res = await doFetch(`${baseUrl}/oauth/token`, { method: 'POST', headers, body: form.toString() });
    if (!res.ok) throw await ProblemError.fromResponse(res);
    const body = (await res.json()) as TokenResponse;
    const lifetime = body.expires_in;
    current = { token: body.access_token, refreshAt: Date.now() + (lifetime - Math.min(refreshBefore, lifetime / 2)) * 1000 };
    return body.access_token;
  }
  return {
    async get(): Promise<string> {
      if (current && Date.now() < current.refreshAt) return current.token;
      pending ??= issue().finally(() => (pending = undefined));
      return pending;
    },
    /** Forgets the cached token (after a 401: revoked, key rotated). */
    invalidate(token: string) {
      if (current?.token === token) current = undefined;
    },
  };
}

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
type Op<P extends keyof paths, M extends Method> = paths[P][M];
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type SuccessJson<O> = O extends { responses: infer R } ? JsonOf<R[Extract<keyof R, 200 | 201>]> : never;
type PathParamsOf<O> = O extends { parameters: { path: infer X } } ? X : never;
type JsonBodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** Paths with a GET that lists: `{ items, next }` (cursor pagination). */
export type ListPath = {
  [P in keyof paths]: paths[P] extends { get: { responses: { 200: { content: { 'application/json': { items: unknown[]; next?: string | null } } } } } } ? P : never;
}[keyof paths];
/** The items of a list path. */
export type ListItem<P extends ListPath> = SuccessJson<Op<P, 'get'>> extends { items: (infer I)[] } ? I : never;
/** Paths that can be read (GET) and changed (PATCH) under an ETag. */
export type UpdatablePath = { [P in keyof paths]: paths[P] extends { get: object; patch: object } ? P : never }[keyof paths];

/** What openapi-fetch answers (the client throws on errors, so `data` is there unless the answer is empty). */
export interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of an answer: `const file = await unwrap(client.api.GET(…))`. */
export async function unwrap<T extends { data?: unknown; response: Response }>(answer: Promise<T> | T): Promise<Exclude<T['data'], undefined>> {
  const a = await answer;
  // The client's middleware throws error answers already; this covers an openapi-fetch client without it.
  if (a.response.status >= 400) throw await ProblemError.fromResponse(a.response);
  return a.data as Exclude<T['data'], undefined>;
}

/** The ETag of an answer (its `ETag` header). Throws when the answer has none. */
export function etagOf(answer: { response: Response }): string {
  const etag = answer.response.headers.get('etag');
  if (!etag) throw new TypeError(`${answer.response.url}: the answer carries no ETag`);
  return etag;
}

/** Content a version can be uploaded from. Streams are sent as they are read, never buffered. */
export type UploadSource = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

/** RFC 9530 `sha-256=:<base64>:` of in-memory content (Web Crypto; Node ≥ 20 and browsers). */
export async function contentDigest(content: Blob | Uint8Array | ArrayBuffer | string): Promise<string> {
  const bytes =
    typeof content === 'string'
      ? new TextEncoder().encode(content)
      : content instanceof Blob
        ? new Uint8Array(await content.arrayBuffer())
        : content instanceof ArrayBuffer
          ? new Uint8Array(content)
          : content;
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let binary = '';
  for (const b of hash) binary += String.fromCharCode(b);
  return `sha-256=:${btoa(binary)}:`;
}

function toReadableStream(source: AsyncIterable<Uint8Array | string>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(typeof value === 'string' ? encoder.encode(value) : value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

export interface UploadVersionInput {
  tenant: string;
  documentId: string;
  content: UploadSource;
  /** Media type of the content (default: the Blob's type, else application/octet-stream). */
  contentType?: string;
  /** Original file name, stored with the version. */
  filename?: string;
  /**
   * `Content-Digest` to send (`sha-256=:…:`), verified by the server (422 digest-mismatch, nothing
   * stored). `true` computes it for in-memory content (Blob, Uint8Array, ArrayBuffer).
   */
  digest?: string | true;
  /** The document's ETag (If-Match); read from the document when not given. */
  ifMatch?: string;
  /** Release your check-out once the version is stored. */
  checkin?: boolean;
  /** Idempotency-Key; one (a UUID) is made when not given. */
  idempotencyKey?: string;
}

export interface UploadedVersion {
  version: Version;
  /** ETag of the content (its SHA-256). */
  etag: string | null;
  /** The document's new ETag: the If-Match of the next version. */
  documentEtag: string | null;
  /** Whether the answer is a replay of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
  response: Response;
}

export interface DownloadVersionInput {
  tenant: string;
  documentId: string;
  number: number;
  /** A byte range: `{ start, end? }` (inclusive, as in HTTP) or a raw `Range` header value (`bytes=0-99`). */
  range?: { start: number; end?: number } | string;
  /** With the content's ETag: answers 304 (no body) when it still matches. */
  ifNoneMatch?: string;
}

export interface DownloadedVersion {
  /** 200 (whole content), 206 (a range) or 304 (not modified). */
  status: number;
  /** The content as it arrives; null on 304. Read it or cancel it. */
  body: ReadableStream<Uint8Array> | null;
  etag: string | null;
  /** Digest of this answer's bytes (RFC 9530). */
  contentDigest: string | null;
  /** Digest of the whole content (RFC 9530), also on ranges. */
  reprDigest: string | null;
  contentType: string | null;
  contentLength: number | undefined;
  /** `bytes start-end/size` on 206. */
  contentRange: string | null;
  contentDisposition: string | null;
  response: Response;
}

/** Creates the client. `api` is the typed openapi-fetch client; its error answers throw ProblemError. */
export function createEnAkteClient(options: EnAkteClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const retry = options.retry === false ? { maxRetries: 0, maxDelayMs: 0, baseDelayMs: 0 } : { maxRetries: 3, maxDelayMs: 30_000, baseDelayMs: 500, ...options.retry };
  const tokens = options.clientCredentials
    ? clientCredentialsTokens(baseUrl, options.clientCredentials, doFetch, options.userAgent, options.refreshBeforeSeconds ?? 60)
    : undefined;

  async function tokenFor(): Promise<string | undefined> {
    if (tokens) return tokens.get();
    if (typeof options.token === 'function') return options.token();
    return options.token;
  }

  /** Sends one request: auth, then bounded retries of 429/503 (and network errors when safe to repeat). */
  async function send(request: Request): Promise<Response> {
    const repeatable = !oneShot.has(request);
    const safe = request.method === 'GET' || request.method === 'HEAD' || request.headers.has('idempotency-key');
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const canRetry = repeatable && attempt < retry.maxRetries;
      const req = canRetry || (repeatable && !refreshed && tokens) ? request.clone() : request;
      let token: string | undefined;
      if (!new URL(req.url).pathname.endsWith('/oauth/token')) {
        token = await tokenFor();
        if (token) req.headers.set('authorization', `Bearer ${token}`);
      }
      let response: Response;
      try {
        response = await doFetch(req);
      } catch (err) {
        if (canRetry && safe) {
          await sleep(retry.baseDelayMs * 2 ** attempt);
          continue;
        }
        throw err;
      }
      // A machine client's token may be revoked or its key rotated: fetch a new one, once.
      if (response.status === 401 && tokens && token && !refreshed && repeatable) {
        refreshed = true;
        tokens.invalidate(token);
        await response.body?.cancel();
        continue;
      }
      // 429 is refused before any work; a 503 may come mid-way, so only what is safe to repeat is retried.
      if ((response.status === 429 || (response.status === 503 && safe)) && canRetry) {
        const after = parseRetryAfter(response.headers.get('retry-after'));
        const wait = after === undefined ? retry.baseDelayMs * 2 ** attempt : after * 1000;
        if (wait <= retry.maxDelayMs) {
          await response.body?.cancel();
          await sleep(wait);
          continue;
        }
      }
      return response;
    }
  }

  const api: Client<paths> = createClient<paths>({ baseUrl, fetch: send });

  const defaults: Middleware = {
    onRequest({ request, schemaPath }) {
      if (options.userAgent) request.headers.set('user-agent', options.userAgent);
      // The same key goes with every retry of this request (the retries are clones of it).
      if (request.method === 'POST' && IDEMPOTENT_POSTS.has(schemaPath) && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', globalThis.crypto.randomUUID());
      }
      return undefined;
    },
    async onResponse({ response }) {
      if (response.status >= 400) throw await ProblemError.fromResponse(response);
      return undefined;
    },
  };
  api.use(defaults);

  /** A loosely typed call for the helpers (their own signatures carry the types). */
  const call = (method: 'GET' | 'POST' | 'PATCH', path: string, init: Record<string, unknown>) =>
    (api[method] as unknown as (path: string, init: Record<string, unknown>) => Promise<Answer<unknown>>)(path, init);

  /**
   * The ETag dance: `read` the current state, `write` with its ETag as If-Match. On 412 (someone
   * changed it meanwhile) reads again and writes again, `attempts` times in all (default 1: the 412
   * is thrown as ProblemError `precondition-failed`).
   */
  async function withEtag<T, R>(
    read: () => Promise<{ data?: T; response: Response }>,
    write: (etag: string, current: T) => Promise<R>,
    opts: { attempts?: number } = {},
  ): Promise<R> {
    const attempts = Math.max(1, opts.attempts ?? 1);
    for (let i = 1; ; i++) {
      const current = await read();
      try {
        return await write(etagOf(current), current.data as T);
      } catch (err) {
        if (i < attempts && err instanceof ProblemError && err.status === 412) continue;
        throw err;
      }
    }
  }

  /**
   * Reads `path` (GET) and changes it (PATCH) with its ETag as If-Match; `body` may be a function
   * of the current state. On 412 see withEtag (`attempts`).
   */
  async function update<P extends UpdatablePath>(
    path: P,
    init: {
      params: { path: PathParamsOf<Op<P, 'patch'>> };
      body: JsonBodyOf<Op<P, 'patch'>> | ((current: SuccessJson<Op<P, 'get'>>) => JsonBodyOf<Op<P, 'patch'>>);
    },
    opts: { attempts?: number } = {},
  ): Promise<{ data: SuccessJson<Op<P, 'patch'>>; etag: string | null; response: Response }> {
    return withEtag(
      () => call('GET', path, { params: { path: init.params.path } }) as Promise<Answer<SuccessJson<Op<P, 'get'>>>>,
      async (etag, current) => {
        const body = typeof init.body === 'function' ? (init.body as (c: typeof current) => unknown)(current) : init.body;
        const res = await call('PATCH', path, { params: { path: init.params.path, header: { 'if-match': etag } }, body });
        return { data: res.data as SuccessJson<Op<P, 'patch'>>, etag: res.response.headers.get('etag'), response: res.response };
      },
      opts,
    );
  }

  /**
   * All items of a list, page after page (following `next`), as an async iterator:
   * `for await (const file of client.paginate('/v1/tenants/{tenant}/files', { params: … }))`.
   */
  async function* paginate<P extends ListPath>(path: P, init: MaybeOptionalInit<paths[P], 'get'>): AsyncGenerator<ListItem<P>, void, undefined> {
    const base = (init ?? {}) as { params?: { query?: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>;
    let cursor = base.params?.query?.cursor as string | undefined;
    do {
      const query = { ...base.params?.query, ...(cursor ? { cursor } : {}) };
      const { data } = await call('GET', path, { ...base, params: { ...base.params, query } });
      const page = data as { items: ListItem<P>[]; next?: string | null };
      yield* page.items;
      cursor = page.next ?? undefined;
    } while (cursor);
  }

  /** Uploads a new version of a document, streaming the content (POST …/versions). */
  async function uploadVersion(input: UploadVersionInput): Promise<UploadedVersion> {
    const pathParams = { tenant: input.tenant, documentId: input.documentId };
    const ifMatch = input.ifMatch ?? etagOf(await api.GET('/v1/tenants/{tenant}/documents/{documentId}', { params: { path: pathParams } }));
    let { content } = input;
    if (content instanceof ArrayBuffer) content = new Uint8Array(content);
    let digest = input.digest;
    if (digest === true) {
      if (content instanceof Blob || content instanceof Uint8Array) digest = await contentDigest(content);
      else throw new TypeError('digest: true needs in-memory content (Blob, Uint8Array); for a stream pass the digest you computed');
    }
    const stream = !(content instanceof Blob) && !(content instanceof Uint8Array);
    const body = stream ? (content instanceof ReadableStream ? content : toReadableStream(content as AsyncIterable<Uint8Array | string>)) : content;
    const contentType = input.contentType ?? (content instanceof Blob && content.type ? content.type : 'application/octet-stream');
    const header: Record<string, string> = { 'if-match': ifMatch, 'content-type': contentType };
    if (typeof digest === 'string') header['content-digest'] = digest;
    if (input.idempotencyKey) header['idempotency-key'] = input.idempotencyKey;
    const query: Record<string, unknown> = {};
    if (input.filename !== undefined) query.filename = input.filename;
    if (input.checkin !== undefined) query.checkin = input.checkin;
    const res = await call('POST', '/v1/tenants/{tenant}/documents/{documentId}/versions', {
      params: { path: pathParams, query },
      headers: header,
      body,
      bodySerializer: (b: unknown) => b,
      ...(stream ? { duplex: 'half', middleware: [noRetry] } : {}),
    });
    return {
      version: res.data as Version,
      etag: res.response.headers.get('etag'),
      documentEtag: res.response.headers.get('document-etag'),
      replayed: res.response.headers.get('idempotent-replayed') === 'true',
      response: res.response,
    };
  }

  /** Downloads a version's content as a stream (GET …/versions/{number}/content), whole or a range. */
  async function downloadVersion(input: DownloadVersionInput): Promise<DownloadedVersion> {
    const header: Record<string, string> = {};
    if (typeof input.range === 'string') header.range = input.range;
    else if (input.range) header.range = `bytes=${input.range.start}-${input.range.end ?? ''}`;
    if (input.ifNoneMatch) header['if-none-match'] = input.ifNoneMatch;
    const res = await call('GET', '/v1/tenants/{tenant}/documents/{documentId}/versions/{number}/content', {
      params: { path: { tenant: input.tenant, documentId: input.documentId, number: input.number } },
      headers: header,
      parseAs: 'stream',
    });
    const h = res.response.headers;
    const length = h.get('content-length');
    return {
      status: res.response.status,
      body: res.response.status === 304 ? null : ((res.data as ReadableStream<Uint8Array> | undefined) ?? res.response.body),
      etag: h.get('etag'),
      contentDigest: h.get('content-digest'),
      reprDigest: h.get('repr-digest'),
      contentType: h.get('content-type'),
      contentLength: length === null ? undefined : Number(length),
      contentRange: h.get('content-range'),
      contentDisposition: h.get('content-disposition'),
      response: res.response,
    };
  }

  return {
    /** The typed client of every operation (openapi-fetch): `api.GET('/v1/tenants/{tenant}/files/{fileId}', { params })`. */
    api,
    /** The bearer token the next request would carry (fetching one for a machine client). */
    token: tokenFor,
    unwrap,
    etagOf,
    withEtag,
    update,
    paginate,
    uploadVersion,
    downloadVersion,
  };
}

export type EnAkteClient = ReturnType<typeof createEnAkteClient>;
