import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_TENANTS } from '../../src/db/seed.js';
import { buildTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe('GET /v1/tenants', () => {
  it("shows a town's token only its own tenant", async () => {
    const res = await t.injectAs('witten', ['clerk'], { method: 'GET', url: '/v1/tenants' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.next).toBeNull();
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ slug: 'witten', name: 'Stadt Witten', kind: 'town', active: true });
    expect(body.items[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('shows the competence centre every tenant, page by page', async () => {
    const seen: string[] = [];
    let url = '/v1/tenants?limit=4';
    for (let page = 0; page < 10; page++) {
      const res = await t.injectAs('kompetenzzentrum', ['support-agent'], { method: 'GET', url });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      seen.push(...body.items.map((x: { slug: string }) => x.slug));
      if (!body.next) break;
      url = `/v1/tenants?limit=4&cursor=${body.next}`;
    }
    expect(seen).toEqual(SEED_TENANTS.map((x) => x.slug).sort());
    const kinds = Object.fromEntries(SEED_TENANTS.map((x) => [x.slug, x.kind === 'competence_centre' ? 'competence-centre' : x.kind]));
    expect(kinds['en-kreis']).toBe('district');
  });

  it('rejects a forged cursor with 400', async () => {
    const res = await t.injectAs('kompetenzzentrum', [], { method: 'GET', url: '/v1/tenants?cursor=bm90LWpzb24' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'bad-request' });
  });

  it('rejects an out-of-range limit and unknown query parameters with 400 validation-failed', async () => {
    for (const url of ['/v1/tenants?limit=0', '/v1/tenants?limit=201', '/v1/tenants?limit=abc', '/v1/tenants?foo=1']) {
      const res = await t.injectAs('witten', [], { method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code, url).toBe('validation-failed');
    }
  });
});

describe('GET /v1/tenants/{tenant}', () => {
  it('returns the caller’s own tenant with an ETag, and 304 for If-None-Match', async () => {
    const res = await t.injectAs('hattingen', ['reader'], { method: 'GET', url: '/v1/tenants/hattingen' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ slug: 'hattingen', name: 'Stadt Hattingen' });
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const again = await t.injectAs('hattingen', ['reader'], {
      method: 'GET',
      url: '/v1/tenants/hattingen',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it("answers 404 for another tenant's slug, exactly as for an unknown one", async () => {
    const other = await t.injectAs('witten', ['tenant-admin'], { method: 'GET', url: '/v1/tenants/hattingen' });
    const unknown = await t.injectAs('witten', ['tenant-admin'], { method: 'GET', url: '/v1/tenants/atlantis' });
    expect(other.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined, requestId: undefined });
    expect(strip(other.json())).toEqual(strip(unknown.json()));
    expect(other.json()).toMatchObject({ code: 'not-found', detail: 'No such tenant' });
  });

  it('lets the competence centre read any tenant', async () => {
    const res = await t.injectAs('kompetenzzentrum', [], { method: 'GET', url: '/v1/tenants/ennepetal' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ slug: 'ennepetal', active: false });
  });

  it('rejects a malformed slug with 400', async () => {
    const res = await t.injectAs('witten', [], { method: 'GET', url: '/v1/tenants/Witten%20Stadt' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation-failed' });
  });
});
