import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * Confidentiality limits access: a caller sees a file, its cases, documents and versions only up
 * to its clearance (token claim `clearance`, a client's maxConfidentiality; 003 offen without). Above
 * it, everything answers 404 like an unknown id and appears in no list.
 */
const TENANT = 'wetter';
const BASE = `/v1/tenants/${TENANT}`;
let t: TestApp;
let f: ReturnType<typeof recordFactories>;

beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
});
afterAll(() => t.close());

const cleared = (level: string, roles = ['records-manager']) => f.as(roles, `cleared-${level}@wetter`, { clearance: level });

async function chainAt(level: string) {
  const by = cleared(level);
  const file = await f.file({ confidentiality: level, title: `Akte ${level}` }, by);
  const kase = await f.kase(file.id, {}, by);
  const doc = await f.document(kase.id, {}, by);
  const v = await f.upload(by, doc.id, `Inhalt ${level}`, doc.etag);
  expect(v.statusCode).toBe(201);
  return { file, kase, doc };
}

describe('a VS-NfD file (002)', () => {
  it('is invisible to an open-only caller: every path answers 404 as for an unknown id, and no list shows it', async () => {
    const { file, kase, doc } = await chainAt('002');
    const open = f.as(['records-manager'], 'open@wetter');
    for (const [url, what] of [
      [`/files/${file.id}`, 'file'],
      [`/files/${file.id}/cases`, 'file'],
      [`/cases/${kase.id}`, 'case'],
      [`/cases/${kase.id}/documents`, 'case'],
      [`/documents/${doc.id}`, 'document'],
      [`/documents/${doc.id}/versions`, 'document'],
      [`/documents/${doc.id}/versions/1`, 'version'],
      [`/documents/${doc.id}/versions/1/content`, 'version'],
    ] as const) {
      const res = await open.get(url);
      expect(res.json(), url).toEqual(problem('not-found', `No such ${what}`, `${BASE}${url}`));
    }
    // Writes too: no change, no case, no version, no close.
    expect((await open.patch(`/files/${file.id}`, { title: 'x' }, { 'if-match': file.etag })).statusCode).toBe(404);
    expect((await open.post(`/files/${file.id}/cases`, { title: 'x' })).statusCode).toBe(404);
    expect((await f.upload(open, doc.id, 'x', doc.etag)).statusCode).toBe(404);
    expect((await open.post(`/files/${file.id}/close`, {}, { 'if-match': file.etag })).statusCode).toBe(404);
    const listed = (await open.get(`/files?limit=200&titlePrefix=${encodeURIComponent('Akte 002')}`)).json();
    expect(listed.items).toEqual([]);
    // Cleared for it, the same caller role sees all of it.
    const nfd = cleared('002');
    expect((await nfd.get(`/files/${file.id}`)).statusCode).toBe(200);
    expect((await nfd.get(`/documents/${doc.id}/versions/1/content`)).body).toBe('Inhalt 002');
    expect((await nfd.get(`/files?limit=200&titlePrefix=${encodeURIComponent('Akte 002')}`)).json().items.map((i: { id: string }) => i.id)).toEqual([file.id]);
  });

  it('a higher clearance sees the lower levels; a lower one not the higher', async () => {
    const secret = await chainAt('001');
    expect((await cleared('004').get(`/files/${secret.file.id}`)).statusCode).toBe(200);
    expect((await cleared('005').get(`/files/${secret.file.id}`)).statusCode).toBe(404);
    const open = await chainAt('003');
    expect((await cleared('002').get(`/files/${open.file.id}`)).statusCode).toBe(200);
  });
});

describe('setting a level', () => {
  it('needs that clearance: 403, and nothing is stored', async () => {
    const unit = await f.unit();
    const res = await f.clerk.post('/files', { planCode: unit.code, title: 'zu hoch', confidentiality: '002' });
    expect(res.json()).toEqual(
      problem('forbidden', "Confidentiality 002 (VS-NfD) needs that clearance; the caller's is 003 (offen)", `${BASE}/files`),
    );
    expect((await f.clerk.get(`/files?planUnitId=${unit.id}`)).json().items).toEqual([]);
    const file = await f.file({ planCode: unit.code });
    const raise = await f.clerk.patch(`/files/${file.id}`, { confidentiality: '005' }, { 'if-match': file.etag });
    expect(raise.statusCode).toBe(403);
    expect((await f.clerk.get(`/files/${file.id}`)).json().confidentiality).toBe('003');
    // Cleared, the raise works, and the file disappears for the open-only caller who raised nothing.
    const up = await cleared('005', ['clerk']).patch(`/files/${file.id}`, { confidentiality: '005' }, { 'if-match': file.etag });
    expect(up.statusCode).toBe(200);
    expect((await f.clerk.get(`/files/${file.id}`)).statusCode).toBe(404);
  });

  it('a token with a clearance that is no level is refused (401)', async () => {
    const res = await f.as(['clerk'], undefined, { clearance: '006' }).get('/files');
    expect(res.json()).toMatchObject({ status: 401, code: 'invalid-token' });
  });
});

describe('machine clients', () => {
  it('carry their clearance into their tokens: a GIS client at 003 sees open files only', async () => {
    const admin = f.as(['tenant-admin'], 'admin@wetter', { clearance: '002' });
    const gis = (await admin.post('/clients', { name: 'GIS', roles: ['reader'] })).json();
    expect(gis.maxConfidentiality).toBe('003');
    const nfdClient = (await admin.post('/clients', { name: 'Fachverfahren', roles: ['reader'], maxConfidentiality: '002' })).json();
    expect(nfdClient.maxConfidentiality).toBe('002');
    const tooHigh = await admin.post('/clients', { name: 'zu hoch', roles: ['reader'], maxConfidentiality: '001' });
    expect(tooHigh.statusCode).toBe(403);
    const { file } = await chainAt('002');
    const tokenOf = async (c: { clientId: string; clientSecret: string }) =>
      (await t.app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret } })).json()
        .access_token as string;
    const read = async (token: string) => t.app.inject({ method: 'GET', url: `${BASE}/files/${file.id}`, headers: { authorization: `Bearer ${token}` } });
    expect((await read(await tokenOf(gis))).statusCode).toBe(404);
    expect((await read(await tokenOf(nfdClient))).statusCode).toBe(200);
  });
});
