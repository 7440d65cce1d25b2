import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { recordFactories } from '../support/records.js';

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, 'hattingen');
});
afterAll(() => t.close());

describe('filing a letter end to end', () => {
  it('unit → file → case → document → three versions → download → range → close', async () => {
    const unit = await f.unit({ title: 'Gewerbeangelegenheiten' });
    const file = await f.clerk.post('/files', { planCode: unit.code, title: 'Gewerbeanmeldungen 2026' });
    expect(file.statusCode).toBe(201);
    const year = new Date().getFullYear();
    expect(file.json().reference).toBe(`${unit.code}-0001/${year}`);

    const kase = await f.clerk.post(`/files/${file.json().id}/cases`, { title: 'Gewerbeanmeldung Bäckerei Yılmaz' });
    expect(kase.statusCode).toBe(201);
    expect(kase.json().reference).toBe(`${unit.code}-0001/${year}-001`);

    const doc = await f.clerk.post(`/cases/${kase.json().id}/documents`, { title: 'GewA 1', kind: 'application', receivedOn: '2026-11-24' });
    expect(doc.statusCode).toBe(201);
    const docId = doc.json().id;
    let etag = doc.headers.etag as string;

    const contents = ['erste Fassung', 'zweite Fassung, länger', 'dritte Fassung: 0123456789'].map((s) => Buffer.from(s));
    for (const [i, body] of contents.entries()) {
      const res = await f.clerk.post(`/documents/${docId}/versions?filename=Anmeldung%20Yılmaz.txt`, body, {
        'content-type': 'text/plain; charset=utf-8',
        'if-match': etag,
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({
        number: i + 1,
        size: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        mediaType: 'text/plain; charset=utf-8',
        filename: 'Anmeldung Yılmaz.txt',
      });
      etag = res.headers['document-etag'] as string;
    }

    const v2 = await f.clerk.get(`/documents/${docId}/versions/2/content`);
    expect(v2.statusCode).toBe(200);
    expect(v2.rawPayload).toEqual(contents[1]);
    expect(v2.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(v2.headers['content-disposition']).toBe(`attachment; filename="Anmeldung Y_lmaz.txt"; filename*=UTF-8''Anmeldung%20Y%C4%B1lmaz.txt`);
    expect(v2.headers['content-digest']).toBe(`sha-256=:${createHash('sha256').update(contents[1]!).digest('base64')}:`);

    const range = await f.clerk.get(`/documents/${docId}/versions/3/content`, { range: 'bytes=16-19' });
    expect(range.statusCode).toBe(206);
    expect(range.body).toBe('0123');
    expect(range.headers['content-range']).toBe(`bytes 16-19/${contents[2]!.length}`);

    const fileEtag = (await f.clerk.get(`/files/${file.json().id}`)).headers.etag as string;
    const closed = await f.clerk.post(`/files/${file.json().id}/close`, { closeOpenCases: true }, { 'if-match': fileEtag });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json().status).toBe('closed');

    const late = await f.clerk.post(`/documents/${docId}/versions`, Buffer.from('zu spät'), { 'content-type': 'text/plain', 'if-match': etag });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('object-closed');
  });
});
