import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { problem, recordFactories, type Caller } from '../support/records.js';

const TOWN = 'gevelsberg';
const CC = 'kompetenzzentrum';
const BASE = `/v1/tenants/${TOWN}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let admin: Caller;
let auditor: Caller;
let db: pg.Client;
beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TOWN);
  admin = f.as(['tenant-admin'], 'admin@gevelsberg');
  auditor = f.as(['auditor'], 'pruefer@gevelsberg');
  db = new pg.Client({ connectionString: inject('ownerUrl') });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await t.close();
});

/**
 * A competence-centre staff member (token of `kompetenzzentrum`, subject `sub`) calling routes of
 * `tenant` (the town by default): the same shape as a town caller of the record factories.
 */
function staff(sub: string, roles: string[] = ['support-agent'], tenant = TOWN): Caller {
  const send = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload: unknown, headers: Record<string, string>) => {
    const token = await t.tokenFor(CC, roles, sub);
    return t.app.inject({
      method,
      url: `/v1/tenants/${tenant}${url}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
  };
  return {
    post: (url, payload, headers = {}) => send('POST', url, payload, headers),
    get: (url, headers = {}) => send('GET', url, undefined, headers),
    patch: (url, payload, headers = {}) => send('PATCH', url, payload, headers),
    put: (url, payload, headers = {}) => send('PUT', url, payload, headers),
    delete: (url, headers = {}) => send('DELETE', url, undefined, headers),
  };
}

const CONTENT = 'Bescheid über die Gewerbeanmeldung';

/** A file with a case, a document and one version with content, created by a town clerk. */
async function records(factories = f) {
  const file = await factories.file({ title: 'Gewerbeakte' });
  const kase = await factories.kase(file.id);
  const doc = await factories.document(kase.id);
  const version = await factories.upload(factories.clerk, doc.id, CONTENT, doc.etag);
  if (version.statusCode !== 201) throw new Error(`version: ${version.statusCode} ${version.body}`);
  return { file, kase, doc };
}

interface Grant {
  id: string;
  etag: string;
  body: Record<string, unknown>;
}

const asGrant = (res: LightMyRequestResponse, status = 200): Grant => {
  if (res.statusCode !== status) throw new Error(`grant: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return { id: body.id, etag: res.headers.etag as string, body };
};

async function requestGrant(cc: Caller, body: Record<string, unknown> = {}): Promise<Grant> {
  return asGrant(await cc.post('/support-grants', { scope: 'read', reason: 'Ticket 4711: Aktenzeichen doppelt vergeben?', durationHours: 8, ...body }), 201);
}

async function grantEtag(id: string) {
  return f.etag(`/support-grants/${id}`, admin);
}

async function decide(id: string, action: 'approve' | 'reject' | 'revoke', by: Caller = admin, body: object = {}) {
  return by.post(`/support-grants/${id}/${action}`, body, { 'if-match': await grantEtag(id) });
}

async function approved(cc: Caller, body: Record<string, unknown> = {}): Promise<Grant> {
  const g = await requestGrant(cc, body);
  return asGrant(await decide(g.id, 'approve'));
}

/**
 * Starts concurrent requests while the database owner holds a lock on one row, and lets them go
 * only once all of them wait for that lock (or have answered): each has read the row first, so
 * a lost update shows deterministically instead of by chance.
 */
async function behindRowLock<T>(table: 'support_grant', id: string, start: () => Promise<T>[]): Promise<T[]> {
  const lock = new pg.Client({ connectionString: inject('ownerUrl') });
  await lock.connect();
  try {
    await lock.query('BEGIN');
    await lock.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
    const pid = (await lock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    let settled = 0;
    const pending = start().map((p) => p.finally(() => settled++));
    for (;;) {
      // Waiting behind the lock, directly or behind another waiter.
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE pid <> $1 AND cardinality(pg_blocking_pids(pid)) > 0 AND query LIKE '%${table}%'`,
        [pid],
      );
      if (Number(rows[0]!.n) + settled >= pending.length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await lock.query('COMMIT');
    return await Promise.all(pending);
  } finally {
    await lock.end();
  }
}

/** The 404 a caller gets for a tenant it may not enter (no detail about the object). */
const noTenant = (url: string) => problem('not-found', 'No such tenant', `${BASE}${url}`);

describe('without a grant', () => {
  it('the competence centre gets the same 404 as a foreign town', async () => {
    const { file, doc } = await records();
    const cc = staff('kk.neumann');
    for (const url of [`/files/${file.id}`, '/files', `/documents/${doc.id}/versions/1/content`]) {
      const ccRes = await cc.get(url);
      const foreignRes = await t.app.inject({
        method: 'GET',
        url: `${BASE}${url}`,
        headers: { authorization: `Bearer ${await t.tokenFor('witten', ['clerk'])}` },
      });
      expect(ccRes.statusCode, url).toBe(404);
      expect(ccRes.json()).toEqual(noTenant(url));
      expect(foreignRes.statusCode).toBe(404);
      const { requestId: _a, ...ccBody } = ccRes.json();
      const { requestId: _b, ...foreignBody } = foreignRes.json();
      expect(ccBody).toEqual(foreignBody);
      expect(ccRes.headers['content-type']).toBe(foreignRes.headers['content-type']);
    }
  });
});

describe('requesting a support grant', () => {
  it('competence-centre staff ask: 201 status requested, nothing allowed yet', async () => {
    const { file } = await records();
    const cc = staff('kk.mueller');
    const res = await cc.post('/support-grants', { scope: 'read', reason: 'Ticket 4711: Aktenzeichen doppelt vergeben?', ticket: 'KZ-4711', durationHours: 8 });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      grantee: 'kk.mueller',
      requestedBy: 'kk.mueller',
      scope: 'read',
      fileId: null,
      reason: 'Ticket 4711: Aktenzeichen doppelt vergeben?',
      ticket: 'KZ-4711',
      durationHours: 8,
      status: 'requested',
      decidedBy: null,
      decidedAt: null,
      validFrom: null,
      validUntil: null,
      revokedBy: null,
      revokedAt: null,
      createdAt: expect.any(String),
    });
    expect(res.headers.location).toBe(`${BASE}/support-grants/${body.id}`);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const before = await cc.get(`/files/${file.id}`);
    expect(before.statusCode).toBe(404);
    expect(before.json()).toEqual(noTenant(`/files/${file.id}`));
  });

  it('a grant lasts at most 14 days: durationHours 337 is 400', async () => {
    const res = await staff('kk.mueller').post('/support-grants', { scope: 'read', reason: 'zu lang', durationHours: 337 });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      problem('validation-failed', 'body/durationHours must be <= 336', `${BASE}/support-grants`, {
        errors: [{ path: 'body/durationHours', message: 'must be <= 336' }],
      }),
    );
  });

  it('town staff cannot request grants (403)', async () => {
    for (const caller of [f.clerk, admin]) {
      const res = await caller.post('/support-grants', { scope: 'read', reason: 'selbst', durationHours: 8 });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(problem('forbidden', 'Only competence-centre staff request support grants', `${BASE}/support-grants`));
    }
  });

  it('a grant for a file that does not exist, or is another town\'s, is 404 alike', async () => {
    const foreign = await recordFactories(t, 'schwelm').file();
    for (const fileId of ['01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c20', foreign.id]) {
      const res = await staff('kk.mueller').post('/support-grants', { scope: 'read', reason: 'eine Akte', durationHours: 8, fileId });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(problem('not-found', 'No such file', `${BASE}/support-grants`));
    }
  });
});

describe('a read grant', () => {
  it('approval (If-Match) opens read access for the duration: GET and download work, writes are 404', async () => {
    const { file, kase, doc } = await records();
    const cc = staff('kk.schulz');
    const g = await requestGrant(cc);

    const noIfMatch = await admin.post(`/support-grants/${g.id}/approve`, {});
    expect(noIfMatch.statusCode).toBe(428);

    const res = await admin.post(`/support-grants/${g.id}/approve`, { note: 'Ticket geprüft' }, { 'if-match': g.etag });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      ...g.body,
      status: 'approved',
      decidedBy: 'admin@gevelsberg',
      decidedAt: expect.any(String),
      validFrom: expect.any(String),
      validUntil: expect.any(String),
    });
    expect(body.decidedAt).toBe(body.validFrom);
    expect(Date.parse(body.validUntil) - Date.parse(body.validFrom)).toBe(8 * 3600_000);
    expect(res.headers.etag).not.toBe(g.etag);

    const townView = await f.clerk.get(`/files/${file.id}`);
    const got = await cc.get(`/files/${file.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(townView.json());
    const content = await cc.get(`/documents/${doc.id}/versions/1/content`);
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe(CONTENT);
    expect((await cc.get(`/cases/${kase.id}`)).statusCode).toBe(200);

    const create = await cc.post(`/files/${file.id}/cases`, { title: 'vom Kompetenzzentrum' });
    expect(create.statusCode).toBe(404);
    expect(create.json()).toEqual(noTenant(`/files/${file.id}/cases`));
    const patch = await cc.patch(`/files/${file.id}`, { title: 'geändert' }, { 'if-match': townView.headers.etag as string });
    expect(patch.statusCode).toBe(404);
    expect(patch.json()).toEqual(noTenant(`/files/${file.id}`));
    expect((await f.clerk.get(`/files/${file.id}`)).json()).toEqual(townView.json());
  });

  it('a read grant gives no roles beyond reading records: audit and clients stay closed (403)', async () => {
    const cc = staff('kk.vogel');
    await approved(cc);
    expect((await cc.get('/audit')).statusCode).toBe(403);
    expect((await cc.get('/clients')).statusCode).toBe(403);
  });

  it('a grant of one town opens nothing in another town', async () => {
    const witten = await records(recordFactories(t, 'witten'));
    const cc = staff('kk.lang');
    await approved(cc);
    const res = await staff('kk.lang', ['support-agent'], 'witten').get(`/files/${witten.file.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(problem('not-found', 'No such tenant', `/v1/tenants/witten/files/${witten.file.id}`));
  });

  it('a grant serves only its grantee, not other staff', async () => {
    const { file } = await records();
    await approved(staff('kk.koch'));
    const other = await staff('kk.richter').get(`/files/${file.id}`);
    expect(other.statusCode).toBe(404);
  });
});

describe('a read-write grant', () => {
  it('lets the staff member create a case, recorded as created by them', async () => {
    const { file } = await records();
    const cc = staff('kk.schmidt');
    await approved(cc, { scope: 'read-write' });
    const res = await cc.post(`/files/${file.id}/cases`, { title: 'Korrektur durch das Kompetenzzentrum' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ fileId: file.id, title: 'Korrektur durch das Kompetenzzentrum', createdBy: 'kk.schmidt' });
  });
});

describe('a file-scoped grant', () => {
  it('allows that file with its cases and documents; another file and the file list are 404', async () => {
    const a = await records();
    const b = await records();
    const cc = staff('kk.weber');
    const g = await approved(cc, { fileId: a.file.id });
    expect(g.body.fileId).toBe(a.file.id);

    for (const url of [
      `/files/${a.file.id}`,
      `/files/${a.file.id}/cases`,
      `/cases/${a.kase.id}`,
      `/cases/${a.kase.id}/documents`,
      `/documents/${a.doc.id}`,
      `/documents/${a.doc.id}/versions`,
      `/documents/${a.doc.id}/versions/1/content`,
    ]) {
      const res = await cc.get(url);
      expect(res.statusCode, url).toBe(200);
    }
    for (const url of [`/files/${b.file.id}`, `/cases/${b.kase.id}`, `/documents/${b.doc.id}`, `/documents/${b.doc.id}/versions/1/content`, '/files']) {
      const res = await cc.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual(noTenant(url));
    }
  });

  it('a read-write grant for one file allows writes there only', async () => {
    const a = await records();
    const b = await records();
    const cc = staff('kk.wolf');
    await approved(cc, { fileId: a.file.id, scope: 'read-write' });
    expect((await cc.post(`/files/${a.file.id}/cases`, { title: 'in A' })).statusCode).toBe(201);
    expect((await cc.post(`/cases/${a.kase.id}/documents`, { title: 'in A', kind: 'letter' })).statusCode).toBe(201);
    const inB = await cc.post(`/files/${b.file.id}/cases`, { title: 'in B' });
    expect(inB.statusCode).toBe(404);
    const newFile = await cc.post('/files', { planCode: (await f.unit()).code, title: 'neue Akte' });
    expect(newFile.statusCode).toBe(404);
  });
});

describe('the town oversees its grants', () => {
  it('tenant admins and auditors list grants; a clerk gets 403; staff see only their own', async () => {
    const mine = await requestGrant(staff('kk.fischer'));
    const theirs = await requestGrant(staff('kk.meyer'));
    for (const by of [admin, auditor]) {
      const res = await by.get('/support-grants?limit=200');
      expect(res.statusCode).toBe(200);
      const ids = (res.json().items as { id: string }[]).map((i) => i.id);
      expect(ids).toContain(mine.id);
      expect(ids).toContain(theirs.id);
    }
    const clerk = await f.clerk.get('/support-grants');
    expect(clerk.statusCode).toBe(403);
    expect(clerk.json()).toEqual(problem('forbidden', 'This needs one of the roles: tenant-admin, auditor', `${BASE}/support-grants`));

    const own = await staff('kk.fischer').get('/support-grants?limit=200');
    expect(own.statusCode).toBe(200);
    expect((own.json().items as { id: string }[]).map((i) => i.id)).toEqual([mine.id]);
    expect((await staff('kk.fischer').get(`/support-grants/${theirs.id}`)).statusCode).toBe(404);
    expect((await staff('kk.fischer').get(`/support-grants/${mine.id}`)).json()).toEqual(mine.body);
  });

  it('GET /support-grants/{id}/actions shows what the staff member did, with both identities and the grant', async () => {
    const { file, doc } = await records();
    const cc = staff('kk.hoffmann');
    const g = await approved(cc, { scope: 'read-write' });
    const read = await cc.get(`/documents/${doc.id}/versions/1/content`);
    expect(read.statusCode).toBe(200);
    const created = await cc.post(`/files/${file.id}/cases`, { title: 'Nachtrag' });
    expect(created.statusCode).toBe(201);
    // Someone else's work in the town is not part of the grant's actions.
    await f.kase(file.id);

    for (const by of [admin, auditor]) {
      const res = await by.get(`/support-grants/${g.id}/actions`);
      expect(res.statusCode).toBe(200);
      const items = res.json().items as Record<string, unknown>[];
      expect(items.map((e) => e.action)).toEqual(['version.content-read', 'case.created']);
      for (const e of items) {
        expect(e).toMatchObject({ actorTenant: CC, actorSub: 'kk.hoffmann', grantId: g.id, clientId: null });
      }
      expect(items[0]).toMatchObject({ objectId: doc.id, newValues: { number: 1 }, requestId: read.headers['x-request-id'] });
      expect(items[1]).toMatchObject({ objectId: created.json().id, requestId: created.headers['x-request-id'] });
    }
    expect((await f.clerk.get(`/support-grants/${g.id}/actions`)).statusCode).toBe(403);

    // The request and the decision are in the town's trail too.
    const trail = await auditor.get(`/audit/objects/${g.id}`);
    expect(trail.json().items.map((e: Record<string, unknown>) => [e.action, e.actorTenant, e.actorSub])).toEqual([
      ['grant.requested', CC, 'kk.hoffmann'],
      ['grant.approved', TOWN, 'admin@gevelsberg'],
    ]);
  });
});

describe('ending a grant', () => {
  it('revoke ends access at once', async () => {
    const { file } = await records();
    const cc = staff('kk.bauer');
    const g = await approved(cc);
    expect((await cc.get(`/files/${file.id}`)).statusCode).toBe(200);
    const res = await decide(g.id, 'revoke', admin, { note: 'Ticket erledigt' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...g.body, status: 'revoked', revokedBy: 'admin@gevelsberg', revokedAt: expect.any(String) });
    const after = await cc.get(`/files/${file.id}`);
    expect(after.statusCode).toBe(404);
    expect(after.json()).toEqual(noTenant(`/files/${file.id}`));
    const again = await decide(g.id, 'revoke');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual(problem('conflict', 'A revoked grant cannot be revoked', `${BASE}/support-grants/${g.id}/revoke`));
  });

  it('reject of a requested grant ends it; reject of an approved grant is 409', async () => {
    const { file } = await records();
    const cc = staff('kk.klein');
    const asked = await requestGrant(cc);
    const rejected = await decide(asked.id, 'reject', admin, { note: 'kein Ticket' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', decidedBy: 'admin@gevelsberg', validFrom: null, validUntil: null });
    expect((await cc.get(`/files/${file.id}`)).statusCode).toBe(404);
    expect((await decide(asked.id, 'approve')).statusCode).toBe(409);

    const g = await approved(cc);
    const res = await decide(g.id, 'reject');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual(problem('conflict', 'The grant is already approved', `${BASE}/support-grants/${g.id}/reject`));
    expect((await admin.get(`/support-grants/${g.id}`)).json().status).toBe('approved');
  });

  it('approve, reject and revoke need no body (the decision note is optional)', async () => {
    const cc = staff('kk.braun');
    const toApprove = await requestGrant(cc);
    const approvedRes = await admin.post(`/support-grants/${toApprove.id}/approve`, undefined, { 'if-match': toApprove.etag });
    expect(approvedRes.statusCode, approvedRes.body).toBe(200);
    expect(approvedRes.json().status).toBe('approved');
    const revokedRes = await admin.post(`/support-grants/${toApprove.id}/revoke`, undefined, { 'if-match': await grantEtag(toApprove.id) });
    expect(revokedRes.statusCode, revokedRes.body).toBe(200);
    expect(revokedRes.json().status).toBe('revoked');
    const toReject = await requestGrant(cc);
    const rejectedRes = await admin.post(`/support-grants/${toReject.id}/reject`, undefined, { 'if-match': toReject.etag });
    expect(rejectedRes.statusCode, rejectedRes.body).toBe(200);
    expect(rejectedRes.json().status).toBe('rejected');
  });

  it('concurrent approve and reject with the same ETag: one decision wins, the others get 412', async () => {
    const g = await requestGrant(staff('kk.krause'));
    const actions = ['approve', 'reject', 'approve', 'reject'] as const;
    // Every request reads the grant (same row version) before any of them may write it.
    const answers = await behindRowLock('support_grant', g.id, () =>
      actions.map((action) => admin.post(`/support-grants/${g.id}/${action}`, {}, { 'if-match': g.etag }).then((res) => ({ action, res }))),
    );
    const winners = answers.filter((a) => a.res.statusCode === 200);
    const final = (await admin.get(`/support-grants/${g.id}`)).json().status as string;
    const trail = await auditor.get(`/audit/objects/${g.id}`);
    expect({
      statuses: answers.map((a) => a.res.statusCode).sort(),
      // Each 200 must report the state its own decision produced.
      answered: winners.map((a) => [a.action, a.res.json().status]),
      // The trail holds exactly one decision: the one that took effect.
      trail: trail.json().items.map((e: { action: string }) => e.action),
    }).toEqual({
      statuses: [200, 412, 412, 412],
      answered: [[final === 'approved' ? 'approve' : 'reject', final]],
      trail: ['grant.requested', `grant.${final}`],
    });
  });

  it('a clerk cannot approve (403)', async () => {
    const g = await requestGrant(staff('kk.schroeder'));
    const res = await decide(g.id, 'approve', f.clerk);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual(problem('forbidden', 'This needs one of the roles: tenant-admin', `${BASE}/support-grants/${g.id}/approve`));
    expect((await admin.get(`/support-grants/${g.id}`)).json().status).toBe('requested');
  });

  it('staff cannot approve their own grant: 404 without access, 403 with a read-write grant; it stays requested', async () => {
    const cc = staff('kk.neumann2', ['support-agent', 'cc-admin']);
    const g = await requestGrant(cc);
    const res = await cc.post(`/support-grants/${g.id}/approve`, {}, { 'if-match': g.etag });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(noTenant(`/support-grants/${g.id}/approve`));
    expect((await admin.get(`/support-grants/${g.id}`)).json().status).toBe('requested');

    // Even inside the town under an approved read-write grant, deciding stays with the town.
    await approved(cc, { scope: 'read-write' });
    const second = await cc.post(`/support-grants/${g.id}/approve`, {}, { 'if-match': g.etag });
    expect(second.statusCode).toBe(403);
    expect((await admin.get(`/support-grants/${g.id}`)).json().status).toBe('requested');
  });

  it('an expired grant opens nothing and shows status expired', async () => {
    const { file } = await records();
    const cc = staff('kk.schwarz');
    const g = await approved(cc);
    expect((await cc.get(`/files/${file.id}`)).statusCode).toBe(200);
    await db.query(
      `UPDATE support_grant SET valid_from = now() - interval '9 hours', valid_until = now() - interval '1 hour' WHERE id = $1`,
      [g.id],
    );
    const res = await cc.get(`/files/${file.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(noTenant(`/files/${file.id}`));
    const shown = await admin.get(`/support-grants/${g.id}`);
    expect(shown.json()).toMatchObject({ id: g.id, status: 'expired' });
    const listed = (await admin.get('/support-grants?limit=200')).json().items.find((i: { id: string }) => i.id === g.id);
    expect(listed.status).toBe('expired');
  });

  it('the status filter agrees with the status shown: an expired grant is not listed as approved', async () => {
    const cc = staff('kk.zimmermann');
    const g = await approved(cc);
    await db.query(
      `UPDATE support_grant SET valid_from = now() - interval '9 hours', valid_until = now() - interval '1 hour' WHERE id = $1`,
      [g.id],
    );
    const res = await admin.get('/support-grants?status=approved&limit=200');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; status: string }[];
    expect(items.filter((i) => i.status !== 'approved')).toEqual([]);
  });
});
