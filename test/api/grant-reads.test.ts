import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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

  describe('the record is written before the answer leaves', () => {
    /** A granted competence-centre reader of a fresh file, and a session on the database as its owner. */
    async function granted(title: string) {
      const f = recordFactories(t, TOWN);
      const file = await f.file({ title });
      const sub = `kk.${title.toLowerCase().replaceAll(' ', '-')}`;
      const cc = `Bearer ${await t.tokenFor('kompetenzzentrum', ['support-agent'], sub)}`;
      const requested = await t.app.inject({
        method: 'POST', url: `/v1/tenants/${TOWN}/support-grants`, headers: { authorization: cc },
        payload: { scope: 'read', reason: title, durationHours: 1 },
      });
      const grantId = requested.json().id as string;
      const admin = f.as(['tenant-admin']);
      expect((await admin.post(`/support-grants/${grantId}/approve`, undefined, { 'if-match': requested.headers.etag as string })).statusCode).toBe(200);
      const sql = new pg.Client({ connectionString: inject('ownerUrl') });
      await sql.connect();
      const tenantId = (await sql.query<{ id: string }>('SELECT id FROM tenant WHERE slug = $1', [TOWN])).rows[0]!.id;
      const read = () => t.app.inject({ method: 'GET', url: `/v1/tenants/${TOWN}/files/${file.id}`, headers: { authorization: cc } });
      const recorded = async () => ((await admin.get(`/support-grants/${grantId}/actions`)).json().items as { action: string; objectId: string }[])
        .map((a) => [a.action, a.objectId]);
      /** Holds the town's audit lock (the one every append takes) until released; returns the backend that waits for it. */
      async function holdAuditLock() {
        await sql.query(`SELECT pg_advisory_lock(hashtextextended('audit:' || $1, 0))`, [tenantId]);
        return {
          async waiter(): Promise<number> {
            for (;;) {
              const rows = (await sql.query<{ pid: number }>(
                `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid <> pg_backend_pid()`)).rows;
              if (rows.length > 0) return rows[0]!.pid;
              await new Promise((r) => setTimeout(r, 20));
            }
          },
          release: () => sql.query(`SELECT pg_advisory_unlock(hashtextextended('audit:' || $1, 0))`, [tenantId]),
        };
      }
      const terminate = (pid: number) => sql.query('SELECT pg_terminate_backend($1)', [pid]);
      return { file, read, recorded, holdAuditLock, terminate, close: () => sql.end() };
    }

    it('holds the answer until the read is recorded', async () => {
      const g = await granted('Held answer');
      try {
        const lock = await g.holdAuditLock();
        let settled = false;
        const answer = g.read().finally(() => { settled = true; });
        await lock.waiter();
        // The request is at the audit append, waiting for the lock: nothing has been answered.
        expect(settled).toBe(false);
        await lock.release();
        const res = await answer;
        expect([res.statusCode, res.json().id]).toEqual([200, g.file.id]);
        expect(await g.recorded()).toEqual([['grant.read', g.file.id]]);
      } finally {
        await g.close();
      }
    });

    it('answers 503 without the data when the read cannot be recorded', async () => {
      const g = await granted('Unrecorded read');
      try {
        const lock = await g.holdAuditLock();
        const answer = g.read();
        const pid = await lock.waiter();
        // The connection recording the read is lost (as in a database restart).
        await g.terminate(pid);
        await lock.release();
        const res = await answer;
        expect([res.statusCode, res.headers['content-type'], res.json().code]).toEqual([503, 'application/problem+json; charset=utf-8', 'unavailable']);
        expect(res.headers.etag).toBeUndefined();
        expect(res.body).not.toContain('Unrecorded read');
        expect(await g.recorded()).toEqual([]);
        // Once the database answers again, the same read is answered and recorded.
        expect((await g.read()).statusCode).toBe(200);
        expect(await g.recorded()).toEqual([['grant.read', g.file.id]]);
      } finally {
        await g.close();
      }
    });
  });
});
