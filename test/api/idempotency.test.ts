import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories, type Caller } from '../support/records.js';

const TENANT = 'hattingen';
const BASE = `/v1/tenants/${TENANT}`;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
});
afterAll(() => t.close());

const key = () => `idem-${randomUUID()}`;
const filesOf = async (unitId: string) => (await f.clerk.get(`/files?planUnitId=${unitId}`)).json().items as { id: string }[];

describe('Idempotency-Key on JSON POSTs', () => {
  it('replays the first response for the same key and body, and creates only one object', async () => {
    const unit = await f.unit();
    const k = key();
    const body = { planCode: unit.code, title: 'Einmalig', metadata: { portalCaseId: 'HAT-1', channel: 'online' } };
    const first = await f.clerk.post('/files', body, { 'idempotency-key': k });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    // The same JSON with its members in another order is the same request.
    const retry = await f.clerk.post('/files', { metadata: { channel: 'online', portalCaseId: 'HAT-1' }, title: 'Einmalig', planCode: unit.code }, { 'idempotency-key': k });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(retry.body).toBe(first.body);
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['content-type']).toBe(first.headers['content-type']);

    expect((await filesOf(unit.id)).map((x) => x.id)).toEqual([first.json().id]);
  });

  it('replays case creation too: one case, the next case number is not consumed', async () => {
    const file = await f.file();
    const k = key();
    const first = await f.clerk.post(`/files/${file.id}/cases`, { title: 'Vorgang' }, { 'idempotency-key': k });
    const retry = await f.clerk.post(`/files/${file.id}/cases`, { title: 'Vorgang' }, { 'idempotency-key': k });
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await f.clerk.get(`/files/${file.id}/cases`)).json().items).toHaveLength(1);
    expect((await f.kase(file.id)).reference).toBe(`${file.reference}-002`);
  });

  it('answers 422 idempotency-key-reused for the same key with a different body or path', async () => {
    const unit = await f.unit();
    const k = key();
    const first = await f.clerk.post('/files', { planCode: unit.code, title: 'Erste' }, { 'idempotency-key': k });
    expect(first.statusCode).toBe(201);
    const reused = await f.clerk.post('/files', { planCode: unit.code, title: 'Zweite' }, { 'idempotency-key': k });
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toEqual(
      problem('idempotency-key-reused', 'This Idempotency-Key was sent before with a different request; use a new key', `${BASE}/files`),
    );
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    const otherPath = await f.clerk.post(`/files/${first.json().id}/cases`, { title: 'Erste' }, { 'idempotency-key': k });
    expect(otherPath.statusCode).toBe(422);
    expect(otherPath.json().code).toBe('idempotency-key-reused');
    expect((await filesOf(unit.id)).map((x) => x.id)).toEqual([first.json().id]);
    expect((await f.clerk.get(`/files/${first.json().id}/cases`)).json().items).toEqual([]);
  });

  it('keeps keys per caller: the same key from another subject (or tenant) creates another object', async () => {
    const unit = await f.unit();
    const k = key();
    const body = { planCode: unit.code, title: 'Gleicher Schlüssel' };
    const byAlice = await f.as(['clerk'], 'alice').post('/files', body, { 'idempotency-key': k });
    const byBob = await f.as(['clerk'], 'bob').post('/files', body, { 'idempotency-key': k });
    expect([byAlice.statusCode, byBob.statusCode]).toEqual([201, 201]);
    expect(byBob.headers['idempotent-replayed']).toBeUndefined();
    expect(byBob.json().id).not.toBe(byAlice.json().id);
    expect(byBob.json().createdBy).toBe('bob');
    expect((await filesOf(unit.id)).map((x) => x.id)).toEqual([byAlice.json().id, byBob.json().id]);

    const witten = recordFactories(t, 'witten');
    const wittenUnit = await witten.unit();
    const inWitten = await witten.as(['clerk'], 'alice').post('/files', { planCode: wittenUnit.code, title: 'Gleicher Schlüssel' }, { 'idempotency-key': k });
    expect(inWitten.statusCode).toBe(201);
    expect(inWitten.headers['idempotent-replayed']).toBeUndefined();
  });

  it('rejects malformed keys with 400 and creates nothing', async () => {
    const unit = await f.unit();
    for (const bad of ['k'.repeat(300), 'mit leerzeichen', '', 'umlaut-ä']) {
      const res = await f.clerk.post('/files', { planCode: unit.code, title: 'x' }, { 'idempotency-key': bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().code, JSON.stringify(bad)).toBe('validation-failed');
    }
    const maxLength = await f.clerk.post('/files', { planCode: unit.code, title: 'x' }, { 'idempotency-key': 'k'.repeat(255) });
    expect(maxLength.statusCode).toBe(201);
    expect(await filesOf(unit.id)).toHaveLength(1);
  });

  it('stores 4xx answers: a 422 for an unknown unit is replayed even after the unit exists', async () => {
    const code = f.uniqueCode();
    const k = key();
    const body = { planCode: code, title: 'zu früh' };
    const first = await f.clerk.post('/files', body, { 'idempotency-key': k });
    expect(first.statusCode).toBe(422);
    expect(first.json()).toEqual(problem('unprocessable', 'The file-plan unit does not exist', `${BASE}/files`));

    const unit = await f.unit({ code });
    const retry = await f.clerk.post('/files', body, { 'idempotency-key': k });
    expect(retry.statusCode).toBe(422);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    // The replay is the stored response byte for byte, including the first request's id.
    expect(retry.body).toBe(first.body);
    expect(await filesOf(unit.id)).toEqual([]);

    const fresh = await f.clerk.post('/files', body, { 'idempotency-key': key() });
    expect(fresh.statusCode).toBe(201);
  });

  it('does not store 400 validation failures: the key stays free for the corrected request', async () => {
    const unit = await f.unit();
    const k = key();
    const invalid = await f.clerk.post('/files', { planCode: unit.code, title: '' }, { 'idempotency-key': k });
    expect(invalid.statusCode).toBe(400);
    const valid = await f.clerk.post('/files', { planCode: unit.code, title: 'richtig' }, { 'idempotency-key': k });
    expect(valid.statusCode).toBe(201);
    expect(valid.headers['idempotent-replayed']).toBeUndefined();
  });

  it('creates one object when the same key arrives several times at once', async () => {
    const unit = await f.unit();
    const k = key();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => f.clerk.post('/files', { planCode: unit.code, title: 'gleichzeitig' }, { 'idempotency-key': k })),
    );
    for (const r of responses) expect([201, 409]).toContain(r.statusCode);
    const createdIds = new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.json().id));
    expect(createdIds.size).toBe(1);
    for (const r of responses.filter((x) => x.statusCode === 409)) expect(r.json().code).toBe('idempotency-in-progress');
    expect((await filesOf(unit.id)).map((x) => x.id)).toEqual([...createdIds]);
  });
});

describe('Idempotency-Key on version uploads', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  async function doc() {
    const file = await f.file();
    const c = await f.kase(file.id);
    return f.document(c.id);
  }
  const versionsOf = async (by: Caller, id: string) => (await by.get(`/documents/${id}/versions`)).json().items as { number: number }[];

  it('replays the 201 for the same key, bytes and If-Match: same version, no second version', async () => {
    const d = await doc();
    const k = key();
    const first = await f.upload(f.clerk, d.id, 'Inhalt A', d.etag, { 'idempotency-key': k });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ number: 1, sha256: sha('Inhalt A') });
    const retry = await f.upload(f.clerk, d.id, 'Inhalt A', d.etag, { 'idempotency-key': k });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect((await versionsOf(f.clerk, d.id)).map((v) => v.number)).toEqual([1]);
    expect((await f.clerk.get(`/documents/${d.id}`)).json().versionCount).toBe(1);
  });

  it('replays the Document-ETag header, the If-Match of the next version', async () => {
    const d = await doc();
    const k = key();
    const first = await f.upload(f.clerk, d.id, 'Inhalt B', d.etag, { 'idempotency-key': k });
    expect(first.statusCode).toBe(201);
    expect(first.headers['document-etag']).toBe(await f.etag(`/documents/${d.id}`));
    const retry = await f.upload(f.clerk, d.id, 'Inhalt B', d.etag, { 'idempotency-key': k });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['document-etag']).toBe(first.headers['document-etag']);
  });

  it('answers 422 idempotency-key-reused for the same key with different bytes, and stores nothing', async () => {
    const d = await doc();
    const k = key();
    const first = await f.upload(f.clerk, d.id, 'Inhalt A', d.etag, { 'idempotency-key': k });
    expect(first.statusCode).toBe(201);
    const other = await f.upload(f.clerk, d.id, 'Inhalt X', d.etag, { 'idempotency-key': k });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toEqual(
      problem('idempotency-key-reused', 'This Idempotency-Key was sent before with a different request; use a new key', `${BASE}/documents/${d.id}/versions`),
    );
    const otherType = await f.upload(f.clerk, d.id, 'Inhalt A', d.etag, { 'idempotency-key': k, 'content-type': 'application/pdf' });
    expect(otherType.statusCode).toBe(422);
    expect((await versionsOf(f.clerk, d.id)).map((v) => v.number)).toEqual([1]);
  });

  it('rejects a malformed key on uploads with 400', async () => {
    const d = await doc();
    for (const bad of ['k'.repeat(300), 'mit leerzeichen']) {
      const res = await f.upload(f.clerk, d.id, 'Inhalt', d.etag, { 'idempotency-key': bad });
      expect(res.statusCode, bad.slice(0, 20)).toBe(400);
    }
    expect(await versionsOf(f.clerk, d.id)).toEqual([]);
  });

  it('replays a failed upload (412 stale If-Match) as the same 412', async () => {
    const d = await doc();
    const v1 = await f.upload(f.clerk, d.id, 'erste', d.etag);
    expect(v1.statusCode).toBe(201);
    const k = key();
    const first = await f.upload(f.clerk, d.id, 'veraltet', d.etag, { 'idempotency-key': k });
    expect(first.statusCode).toBe(412);
    const retry = await f.upload(f.clerk, d.id, 'veraltet', d.etag, { 'idempotency-key': k });
    expect(retry.statusCode).toBe(412);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
  });

  it('does not store 5xx answers: a retry with the same key is processed again', async () => {
    const d = await doc();
    const k = key();
    // A second instance of the API whose object storage is unreachable (same database).
    const broken = await buildTestApp({ S3_ENDPOINT: 'http://127.0.0.1:1' });
    try {
      const token = await broken.tokenFor(TENANT, ['clerk']);
      const failed = await broken.app.inject({
        method: 'POST',
        url: `${BASE}/documents/${d.id}/versions`,
        payload: Buffer.from('Inhalt'),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', 'if-match': d.etag, 'idempotency-key': k },
      });
      // Unreachable storage is an outage, not a bug: 503 with Retry-After (test/faults).
      expect(failed.statusCode).toBe(503);
      expect(failed.headers['retry-after']).toBe('5');
      expect(failed.json()).toMatchObject({ status: 503, code: 'unavailable' });
    } finally {
      await broken.close();
    }
    const retry = await f.upload(f.clerk, d.id, 'Inhalt', d.etag, { 'idempotency-key': k });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json().number).toBe(1);
  });
});
