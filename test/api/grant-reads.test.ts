import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { recordFactories } from '../support/records.js';

const TOWN = 'sprockhoevel';
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe('reads under a support grant are visible to the town', () => {
  it('records each successful read with the grant, and a 304 of content as no read', async () => {
    const f = recordFactories(t, TOWN);
    const unit = await f.unit();
    const file = (await f.clerk.post('/files', { planCode: unit.code, title: 'Grant reads' })).json();
    const kase = (await f.clerk.post(`/files/${file.id}/cases`, { title: 'x' })).json();
    const doc = await f.clerk.post(`/cases/${kase.id}/documents`, { title: 'x', kind: 'note' });
    await f.clerk.post(`/documents/${doc.json().id}/versions`, Buffer.from('Inhalt'), { 'content-type': 'text/plain', 'if-match': doc.headers.etag as string });

    const cc = `Bearer ${await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kk.reads')}`;
    const asCc = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url: `/v1/tenants/${TOWN}${url}`, headers: { authorization: cc, ...headers } });
    const requested = await t.app.inject({
      method: 'POST', url: `/v1/tenants/${TOWN}/support-grants`, headers: { authorization: cc },
      payload: { scope: 'read', reason: 'reads', durationHours: 1 },
    });
    const grantId = requested.json().id;
    const admin = f.as(['tenant-admin']);
    expect((await admin.post(`/support-grants/${grantId}/approve`, undefined, { 'if-match': requested.headers.etag as string })).statusCode).toBe(200);

    expect((await asCc(`/files/${file.id}`)).statusCode).toBe(200);
    const content = await asCc(`/documents/${doc.json().id}/versions/1/content`);
    expect(content.statusCode).toBe(200);
    expect((await asCc(`/documents/${doc.json().id}/versions/1/content`, { 'if-none-match': content.headers.etag as string })).statusCode).toBe(304);

    const actions = (await admin.get(`/support-grants/${grantId}/actions`)).json().items as {
      action: string; objectId: string | null; actorTenant: string; actorSub: string; grantId: string; newValues: Record<string, unknown>;
    }[];
    expect(actions.map((a) => [a.action, a.objectId])).toEqual([
      ['grant.read', file.id],
      ['version.content-read', doc.json().id],
    ]);
    expect(actions[0]).toMatchObject({
      actorTenant: 'kompetenzzentrum',
      actorSub: 'kk.reads',
      grantId,
      newValues: { route: '/v1/tenants/:tenant/files/:fileId', url: `/v1/tenants/${TOWN}/files/${file.id}` },
    });
  });

  it('records a 304 of metadata (If-None-Match matched) as a read, as its 200; an unauthorised one is no read', async () => {
    const f = recordFactories(t, TOWN);
    const file = await f.file({ title: 'Grant 304' });
    const cc = `Bearer ${await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kk.not-modified')}`;
    const asCc = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url: `/v1/tenants/${TOWN}${url}`, headers: { authorization: cc, ...headers } });
    const requested = await t.app.inject({
      method: 'POST', url: `/v1/tenants/${TOWN}/support-grants`, headers: { authorization: cc },
      payload: { scope: 'read', reason: 'not modified', durationHours: 1 },
    });
    const grantId = requested.json().id;
    const admin = f.as(['tenant-admin']);
    expect((await admin.post(`/support-grants/${grantId}/approve`, undefined, { 'if-match': requested.headers.etag as string })).statusCode).toBe(200);

    const read = await asCc(`/files/${file.id}`);
    expect([read.statusCode, read.headers.etag]).toEqual([200, file.etag]);
    const notModified = await asCc(`/files/${file.id}`, { 'if-none-match': file.etag });
    expect([notModified.statusCode, notModified.headers.etag, notModified.body]).toEqual([304, file.etag, '']);
    // Content management is no part of a read grant: 403, with or without If-None-Match, and no read recorded.
    expect((await asCc('/clients', { 'if-none-match': '*' })).statusCode).toBe(403);

    const actions = (await admin.get(`/support-grants/${grantId}/actions`)).json().items as { action: string; objectId: string | null }[];
    expect(actions.map((a) => [a.action, a.objectId])).toEqual([
      ['grant.read', file.id],
      ['grant.read', file.id],
    ]);
  });
});
