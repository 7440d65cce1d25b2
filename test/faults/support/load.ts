import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { inject } from 'vitest';
import { loadOrCreateSigningKeys } from '../../../src/auth/keys.js';
import { TEST_ISSUER } from '../../support/app.js';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A real token of the run's signing key (shared by every instance, as in a deployment). */
export async function tokenOf(tenant: string, roles: string[], sub = `faults@${tenant}`): Promise<string> {
  const keys = await loadOrCreateSigningKeys(inject('keys').signing);
  return keys.sign({ sub, tenant, roles }, { issuer: TEST_ISSUER, audience: 'en-akte', ttlSeconds: 3600 });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** Requests longer than this count as a hang (the API's database waits end after 5 s, its transactions after 30 s). */
export const HANG_MS = 45_000;

/** One HTTP call to the instance `base()` names now; network errors come back as status 0. */
export async function call(base: () => string, tenant: string, token: string, method: string, path: string, opts: { json?: unknown; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...opts.headers };
  let body: Buffer | string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body) {
    headers['content-type'] ??= 'application/octet-stream';
    body = opts.body;
  }
  try {
    const res = await fetch(`${base()}/v1/tenants/${tenant}${path}`, { method, headers, body, signal: AbortSignal.timeout(HANG_MS) });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body: buf, json: <T>() => JSON.parse(buf.toString('utf8')) as T };
  } catch (err) {
    const name = (err as Error).name;
    return { status: name === 'TimeoutError' ? -1 : 0, headers: new Headers(), body: Buffer.alloc(0), json: () => ({}) as never };
  }
}

export interface AckedVersion {
  documentId: string;
  number: number;
  sha256: string;
  size: number;
}

export interface LoadCounts {
  writesSent: number;
  writesAcked: number;
  reads: number;
  readsOk: number;
  /** Status → count of every answer that was not a success (0 = no connection, -1 = hang). */
  failures: Record<string, number>;
  /** Answers no fault may ever cause: 500s, hangs, wrong content. */
  unexpected: string[];
}

/**
 * A steady load of mixed writes and reads, as a town's systems send it: new files (with an
 * Idempotency-Key, retried with the same key until acknowledged), new versions of each client's
 * own document (random content, its hash kept), lists and downloads of acknowledged versions.
 * Every acknowledged write is remembered so that, after recovery, it can be looked for.
 */
export class Load {
  readonly files = new Map<string, { id: string; title: string }>();
  readonly versions: AckedVersion[] = [];
  /** Keys whose file was never acknowledged (still 409 in progress when the load stopped: a claim of a killed process). */
  readonly unresolved: { key: string; title: string }[] = [];
  /** Every title sent, acknowledged or not: none may exist twice. */
  readonly titles: string[] = [];
  readonly counts: LoadCounts = { writesSent: 0, writesAcked: 0, reads: 0, readsOk: 0, failures: {}, unexpected: [] };
  private stopping = false;
  private loops: Promise<void>[] = [];
  private docs: { id: string; etag: string }[] = [];
  private planCode = '';
  private caseId = '';

  constructor(
    readonly base: () => string,
    readonly tenant: string,
    private readonly token: string,
    private readonly opts: { clients?: number; maxVersionBytes?: number } = {},
  ) {}

  private fail(what: string, res: Answer) {
    const key = String(res.status);
    this.counts.failures[key] = (this.counts.failures[key] ?? 0) + 1;
    if (res.status === -1) this.counts.unexpected.push(`${what}: no answer in ${HANG_MS} ms`);
    else if (res.status >= 500 && res.status !== 503) this.counts.unexpected.push(`${what}: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    else if (res.status === 503) {
      if (!res.headers.get('retry-after')) this.counts.unexpected.push(`${what}: 503 without Retry-After`);
      if (!res.headers.get('content-type')?.startsWith('application/problem+json')) this.counts.unexpected.push(`${what}: 503 not problem+json (${res.headers.get('content-type')}): ${res.body.toString('utf8').slice(0, 300)}`);
    } else if (res.status >= 400 && res.status !== 412 && res.status !== 409) this.counts.unexpected.push(`${what}: ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
  }

  private req(method: string, path: string, opts: Parameters<typeof call>[5] = {}) {
    return call(this.base, this.tenant, this.token, method, path, opts);
  }

  /** A unit, a file, a case and one document per client, made while everything is up. */
  async setup(): Promise<void> {
    this.planCode = `F${randomUUID().replace(/-/g, '').slice(0, 7)}`;
    const must = async (res: Promise<Answer>, what: string) => {
      const r = await res;
      if (r.status !== 201) throw new Error(`${what}: ${r.status} ${r.body.toString('utf8')}`);
      return r;
    };
    await must(this.req('POST', '/file-plan/units', { json: { code: this.planCode, title: 'Störfall', retentionYears: 10, disposal: 'B' } }), 'unit');
    const file = (await must(this.req('POST', '/files', { json: { planCode: this.planCode, title: 'Störfall-Akte' } }), 'file')).json<{ id: string }>();
    this.caseId = (await must(this.req('POST', `/files/${file.id}/cases`, { json: { title: 'Vorgang' } }), 'case')).json<{ id: string }>().id;
    for (let i = 0; i < (this.opts.clients ?? 3); i++) {
      const doc = await must(this.req('POST', `/cases/${this.caseId}/documents`, { json: { title: `Dokument ${i}`, kind: 'letter' } }), 'document');
      this.docs.push({ id: doc.json<{ id: string }>().id, etag: doc.headers.get('etag')! });
    }
  }

  /** A document of this load's case, for the scenario's own uploads. */
  async newDocument(title: string): Promise<{ id: string; etag: string }> {
    const doc = await this.req('POST', `/cases/${this.caseId}/documents`, { json: { title, kind: 'letter' } });
    if (doc.status !== 201) throw new Error(`document: ${doc.status}`);
    return { id: doc.json<{ id: string }>().id, etag: doc.headers.get('etag')! };
  }

  start(): void {
    this.loops = this.docs.map((doc, i) => this.client(doc, i));
  }

  async stop(): Promise<LoadCounts> {
    this.stopping = true;
    await Promise.all(this.loops);
    return this.counts;
  }

  /** Waits until `n` more writes were acknowledged (the load makes progress). */
  async progress(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.counts.writesAcked + n;
    const deadline = Date.now() + timeoutMs;
    while (this.counts.writesAcked < target) {
      if (Date.now() > deadline) throw new Error(`the load acknowledged no ${n} writes in ${timeoutMs} ms: ${JSON.stringify(this.counts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async client(doc: { id: string; etag: string }, index: number): Promise<void> {
    let pendingKey: { key: string; title: string } | undefined;
    let retriesWhileStopping = 0;
    for (let round = 0; !this.stopping || pendingKey; round++) {
      const step = (round + index) % 4;
      if (step === 0 || pendingKey) {
        // A new file, retried with the same key until it is acknowledged: exactly one file per key.
        if (!pendingKey) {
          pendingKey = { key: randomUUID(), title: `Last ${this.planCode} ${index}-${round}` };
          this.titles.push(pendingKey.title);
        }
        this.counts.writesSent++;
        const res = await this.req('POST', '/files', { json: { planCode: this.planCode, title: pendingKey.title }, headers: { 'idempotency-key': pendingKey.key } });
        if (res.status === 201) {
          const id = res.json<{ id: string }>().id;
          const known = this.files.get(pendingKey.key);
          if (known && known.id !== id) this.counts.unexpected.push(`idempotent retry gave a second file ${id} for ${known.id}`);
          this.files.set(pendingKey.key, { id, title: pendingKey.title });
          this.counts.writesAcked++;
          pendingKey = undefined;
        } else {
          this.fail('POST /files', res);
          // A claim left by a killed process stays "in progress" (409) until it is abandoned (5 min):
          // once the load stops, such a key is given up and only checked for duplicates.
          if (this.stopping && (res.status === 409 || ++retriesWhileStopping > 100)) {
            this.unresolved.push(pendingKey);
            pendingKey = undefined;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      } else if (step === 1) {
        const content = randomBytes(1 + Math.floor(Math.random() * (this.opts.maxVersionBytes ?? 64 * 1024)));
        this.counts.writesSent++;
        const res = await this.req('POST', `/documents/${doc.id}/versions`, { body: content, headers: { 'if-match': doc.etag } });
        if (res.status === 201) {
          const v = res.json<{ number: number; sha256: string; size: number }>();
          if (v.sha256 !== sha256(content)) this.counts.unexpected.push(`version ${v.number}: stored hash ${v.sha256} ≠ sent ${sha256(content)}`);
          this.versions.push({ documentId: doc.id, number: v.number, sha256: sha256(content), size: content.length });
          doc.etag = res.headers.get('document-etag')!;
          this.counts.writesAcked++;
        } else {
          this.fail('POST versions', res);
          // The answer may be lost although the version committed: read the document's ETag again.
          const again = await this.req('GET', `/documents/${doc.id}`);
          if (again.status === 200) doc.etag = again.headers.get('etag')!;
          await new Promise((r) => setTimeout(r, 100));
        }
      } else if (step === 2) {
        this.counts.reads++;
        const res = await this.req('GET', '/files?limit=20');
        if (res.status === 200) this.counts.readsOk++;
        else this.fail('GET /files', res);
      } else {
        const mine = this.versions.filter((v) => v.documentId === doc.id);
        const v = mine[Math.floor(Math.random() * mine.length)];
        if (!v) continue;
        this.counts.reads++;
        const res = await this.req('GET', `/documents/${v.documentId}/versions/${v.number}/content`);
        if (res.status === 200) {
          this.counts.readsOk++;
          if (sha256(res.body) !== v.sha256) this.counts.unexpected.push(`content of ${v.documentId}/${v.number} differs`);
        } else this.fail('GET content', res);
      }
    }
  }
}

/**
 * An upload sent slowly in chunks over node:http, so that a scenario can act while it is under
 * way. Resolves `answer` with the status (0: the connection broke first, e.g. the process died).
 */
export function slowUpload(url: string, token: string, etag: string, totalBytes: number, opts: { chunk?: number; pauseAfter?: number } = {}) {
  const chunk = opts.chunk ?? 256 * 1024;
  let sent = 0;
  let release: (() => void) | undefined;
  let aborted = false;
  const gate = opts.pauseAfter === undefined ? undefined : new Promise<void>((r) => (release = r));
  const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(totalBytes), 'if-match': etag } });
  const answer = new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', () => {
      aborted = true;
      resolve({ status: 0, body: '', headers: {} });
    });
  });
  void (async () => {
    const block = randomBytes(chunk);
    while (sent < totalBytes && !aborted) {
      if (gate && opts.pauseAfter !== undefined && sent >= opts.pauseAfter) await gate;
      const n = Math.min(chunk, totalBytes - sent);
      const ok = req.write(n === chunk ? block : block.subarray(0, n));
      sent += n;
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = () => {
            req.off('drain', done);
            req.off('close', done);
            resolve();
          };
          req.on('drain', done);
          req.on('close', done);
        });
      }
    }
    if (!aborted) req.end();
  })();
  return {
    sent: () => sent,
    answer,
    /** Lets a paused upload continue. */
    resume: () => release?.(),
    destroy: () => req.destroy(),
  };
}
