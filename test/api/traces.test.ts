import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolOf } from '../../src/db/client.js';
import { noTelemetry } from '../../src/telemetry/index.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { startOtlpReceiver, SPAN_KIND, type OtlpReceiver, type ReceivedSpan } from '../support/otlp.js';
import { recordFactories } from '../support/records.js';
import { startServer } from '../support/server-process.js';

const TENANT = 'hattingen';

/**
 * OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT): a real app exports OTLP/JSON to a real
 * receiver on loopback; the spans are read back as a collector would see them.
 */
describe('traces', () => {
  let receiver: OtlpReceiver;
  let t: TestApp;
  let f: ReturnType<typeof recordFactories>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    t = await buildTestApp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'en-akte-traces-test' });
    f = recordFactories(t, TENANT);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Exports what has ended, and returns the one server span of the request `requestId`. */
  async function serverSpanOf(requestId: string): Promise<ReceivedSpan> {
    await t.deps.telemetry!.flush();
    const found = receiver.spans.filter((s) => s.kind === SPAN_KIND.server && s.attributes['en_akte.request_id'] === requestId);
    expect(found, `server spans of ${requestId}`).toHaveLength(1);
    return found[0]!;
  }
  /** The spans below `root` in its trace (children, their children, …). */
  function descendants(root: ReceivedSpan): ReceivedSpan[] {
    const trace = receiver.trace(root.traceId);
    const out: ReceivedSpan[] = [];
    let parents = new Set([root.spanId]);
    while (parents.size) {
      const next = trace.filter((s) => s.parentSpanId && parents.has(s.parentSpanId));
      out.push(...next);
      parents = new Set(next.map((s) => s.spanId));
    }
    return out;
  }
  /** The PostgreSQL statement spans among `spans`, in the order they started. */
  const statements = (spans: ReceivedSpan[]) =>
    spans.filter((s) => s.attributes['db.system.name'] === 'postgresql').sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));

  it('a request that reads a file: one server span with its request id, its statements as its children', async () => {
    const file = await f.file();
    const res = await f.clerk.get(`/files/${file.id}`);
    expect(res.statusCode).toBe(200);
    const requestId = res.headers['x-request-id'] as string;
    const server = await serverSpanOf(requestId);

    expect(server.name).toBe('GET /v1/tenants/:tenant/files/:fileId');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/v1/tenants/:tenant/files/:fileId',
      'url.path': `/v1/tenants/${TENANT}/files/${file.id}`,
      'http.response.status_code': 200,
      'en_akte.request_id': requestId,
      'en_akte.tenant': TENANT,
    });
    expect(server.parentSpanId).toBeUndefined();
    expect(server.status).toBe(0);
    expect(server.resource).toMatchObject({ 'service.name': 'en-akte-traces-test' });
    expect(receiver.posts.every((p) => p.contentType.startsWith('application/json'))).toBe(true);
    expect(receiver.rejected).toEqual([]);

    // Every statement of the request is a direct child of its span (Prisma adds no spans between).
    const db = statements(receiver.trace(server.traceId));
    // The unit of work, in order: its transaction, the tenant for row-level security, the file read.
    expect(db.map((s) => s.name)).toEqual(['BEGIN', 'SELECT', 'SELECT', 'COMMIT']);
    const texts = db.map((s) => s.attributes['db.query.text'] as string);
    expect(texts[1]).toBe("SELECT set_config('app.tenant_id', $1, true)");
    expect(texts[2]).toMatch(/FROM record_file f JOIN file_plan_unit u ON u\.id = f\.plan_unit_id\s+WHERE f\.tenant_id = \$1::uuid AND f\.id = \$2::uuid/);
    for (const s of db) {
      expect(s.parentSpanId).toBe(server.spanId);
      expect(s.kind).toBe(SPAN_KIND.client);
      expect(s.startNs >= server.startNs && s.endNs <= server.endNs, s.name).toBe(true);
      expect(s.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.operation.name': s.name, 'server.address': new URL(t.config.database.url!).hostname });
    }
    // Parameters never travel: the file's id is one, and it is nowhere in the spans.
    expect(JSON.stringify(db.map((s) => s.attributes))).not.toContain(file.id);
  });

  it('a request with a JSON body over a real socket: what runs after the body was read is still its child', async () => {
    const unit = await f.unit();
    // Over TCP, the bytes of a body that comes in parts arrive in the socket's context, not the
    // request's: the second half, sent a little later, is read there (inject cannot show that).
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const json = Buffer.from(JSON.stringify({ title: 'Akte mit Spur', planCode: unit.code }));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(json.subarray(0, 10));
        await sleep(150);
        controller.enqueue(json.subarray(10));
        controller.close();
      },
    });
    const res = await fetch(`${address}/v1/tenants/${TENANT}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await t.tokenFor(TENANT, ['clerk'])}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status, await res.clone().text()).toBe(201);
    const server = await serverSpanOf(res.headers.get('x-request-id')!);
    expect(server).toMatchObject({ name: 'POST /v1/tenants/:tenant/files', attributes: { 'http.response.status_code': 201, 'en_akte.tenant': TENANT } });
    const db = statements(receiver.trace(server.traceId));
    expect(db.filter((s) => s.name === 'INSERT').length).toBeGreaterThan(0);
    expect(db.map((s) => s.parentSpanId)).toEqual(db.map(() => server.spanId));
    expect(JSON.stringify(db.map((s) => s.attributes))).not.toContain('Akte mit Spur');
  });

  it('an upload and a download of a version: their storage calls and statements are children of each request', async () => {
    const file = await f.file();
    const kase = await f.kase(file.id);
    const doc = await f.document(kase.id);
    const content = Buffer.from(`Bescheid ${randomBytes(1019).toString('hex')}`);
    expect(content.length).toBe(2047);
    const up = await f.upload(f.clerk, doc.id, content, doc.etag);
    expect(up.statusCode, up.body).toBe(201);
    const down = await f.clerk.get(`/documents/${doc.id}/versions/1/content`);
    expect(down.statusCode).toBe(200);
    expect(down.rawPayload.equals(content)).toBe(true);

    const bucket = t.deps.storage.bucketFor(TENANT);
    const upload = await serverSpanOf(up.headers['x-request-id'] as string);
    expect(upload).toMatchObject({ name: 'POST /v1/tenants/:tenant/documents/:documentId/versions', attributes: { 'http.response.status_code': 201, 'en_akte.tenant': TENANT } });
    const below = descendants(upload);
    const put = below.filter((s) => s.name === 'storage put');
    expect(put).toHaveLength(1);
    expect(put[0]!.parentSpanId).toBe(upload.spanId);
    expect(put[0]!.attributes).toMatchObject({ 'en_akte.storage.kind': 's3', 'en_akte.storage.operation': 'put', 'aws.s3.bucket': bucket, 'en_akte.storage.size': 2047 });
    const key = put[0]!.attributes['aws.s3.key'] as string;
    expect(key.startsWith(`documents/${doc.id}/`)).toBe(true);
    expect(statements(below).length).toBeGreaterThan(0);
    expect(statements(below).every((s) => s.parentSpanId === upload.spanId)).toBe(true);

    const download = await serverSpanOf(down.headers['x-request-id'] as string);
    expect(download).toMatchObject({ name: 'GET /v1/tenants/:tenant/documents/:documentId/versions/:number/content', attributes: { 'http.response.status_code': 200 } });
    expect(download.traceId).not.toBe(upload.traceId);
    const get = descendants(download).filter((s) => s.name === 'storage get');
    expect(get).toHaveLength(1);
    expect(get[0]!).toMatchObject({ parentSpanId: download.spanId, kind: SPAN_KIND.client, status: 0 });
    expect(get[0]!.attributes).toMatchObject({ 'aws.s3.bucket': bucket, 'aws.s3.key': key, 'en_akte.storage.operation': 'get' });
    expect(statements(descendants(download)).length).toBeGreaterThan(0);
  });

  it('continues an incoming traceparent (same trace id, the caller as parent); an unsampled one records nothing', async () => {
    const file = await f.file();
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const res = await f.clerk.get(`/files/${file.id}`, { traceparent: `00-${traceId}-${parentId}-01` });
    expect(res.statusCode).toBe(200);
    const server = await serverSpanOf(res.headers['x-request-id'] as string);
    expect([server.traceId, server.parentSpanId]).toEqual([traceId, parentId]);
    const db = statements(receiver.trace(traceId));
    expect(db.length).toBeGreaterThan(0);
    expect(db.every((s) => s.parentSpanId === server.spanId)).toBe(true);

    // The caller decided not to sample (flags 00): parent-based sampling records none of it.
    const quiet = randomBytes(16).toString('hex');
    const unsampled = await f.clerk.get(`/files/${file.id}`, { traceparent: `00-${quiet}-${randomBytes(8).toString('hex')}-00` });
    expect(unsampled.statusCode).toBe(200);
    await t.deps.telemetry!.flush();
    expect(receiver.spans.filter((s) => s.attributes['en_akte.request_id'] === unsampled.headers['x-request-id'])).toEqual([]);
    expect(receiver.trace(quiet)).toEqual([]);
  });

  it('a citizen status token in the path (a capability) never reaches a span', async () => {
    const receipt = randomBytes(32).toString('base64url'); // 43 characters, the token's form: an unknown one is 404
    const res = await t.app.inject({ method: 'GET', url: `/v1/status/${receipt}` });
    expect(res.statusCode).toBe(404);
    const server = await serverSpanOf(res.headers['x-request-id'] as string);
    expect(server.attributes['url.path']).toBe('/v1/status/[redacted]');
    expect(JSON.stringify(receiver.trace(server.traceId), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(receipt);
  });

  it('a job run is a span of its own, the parent of its statements', async () => {
    const worker = await t.startWorker();
    const jobId = await worker.trigger('grants.expire');
    expect(jobId).toEqual(expect.any(String));
    let job: ReceivedSpan | undefined;
    for (let i = 0; i < 100 && !job; i++) {
      await t.deps.telemetry!.flush();
      job = receiver.spans.find((s) => s.attributes['messaging.message.id'] === jobId);
      if (!job) await sleep(100);
    }
    expect(job).toMatchObject({
      name: 'job grants.expire',
      kind: SPAN_KIND.consumer,
      parentSpanId: undefined,
      status: 0,
      attributes: { 'messaging.system': 'pg-boss', 'messaging.destination.name': 'grants.expire', 'messaging.operation.type': 'process' },
    });
    const db = statements(receiver.trace(job!.traceId));
    expect(db.length).toBeGreaterThan(0);
    expect(db.every((s) => s.parentSpanId === job!.spanId)).toBe(true);
  });

  it('without OTEL_EXPORTER_OTLP_ENDPOINT nothing is instrumented and nothing exported', async () => {
    const plain = await buildTestApp();
    try {
      expect(plain.deps.telemetry).toBe(noTelemetry);
      // The pool is node-postgres' own: no wrapped query, no connect hook.
      const pool = poolOf(plain.deps.db)!;
      expect(pool.query).toBe(pg.Pool.prototype.query);
      expect(pool.listenerCount('connect')).toBe(0);
      const res = await recordFactories(plain, TENANT).clerk.get('/file-plan/units?limit=1');
      expect(res.statusCode).toBe(200);
      expect(plain.app.hasPlugin('en-akte-tracing')).toBe(false);
      await t.deps.telemetry!.flush();
      expect(receiver.spans.filter((s) => s.attributes['en_akte.request_id'] === res.headers['x-request-id'])).toEqual([]);
    } finally {
      await plain.close();
    }
    // The traced app's pool, for contrast.
    expect(poolOf(t.deps.db)!.query).not.toBe(pg.Pool.prototype.query);
    expect(t.app.hasPlugin('en-akte-tracing')).toBe(true);
  });

  it('a server that shuts down exports the spans it still holds (SIGTERM)', async () => {
    const own = await startOtlpReceiver();
    // A batch delay far beyond the test: only the flush at shutdown can deliver the span.
    const server = await startServer({ OTEL_EXPORTER_OTLP_ENDPOINT: own.url, OTEL_BSP_SCHEDULE_DELAY: '600000', WORKER_IN_PROCESS: 'false' });
    try {
      const requestId = `trace-shutdown-${randomBytes(6).toString('hex')}`;
      const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': requestId } });
      expect(res.status).toBe(200);
      await sleep(200);
      expect(own.spans.filter((s) => s.attributes['en_akte.request_id'] === requestId)).toEqual([]);
      expect(await server.kill('SIGTERM')).toBe(0);
      const spans = own.spans.filter((s) => s.attributes['en_akte.request_id'] === requestId);
      expect(spans.map((s) => [s.name, s.attributes['http.response.status_code']])).toEqual([['GET /healthz', 200]]);
      expect(spans[0]!.resource).toMatchObject({ 'service.name': 'en-akte' });
    } finally {
      await server.kill('SIGKILL');
      await own.close();
    }
    // A server process boots (migrations, keys, buckets) in 20–40 s on the shared two cores.
  }, 120_000);
});
