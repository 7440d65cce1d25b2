import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/index.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { recordFactories } from '../support/records.js';

/**
 * The outbox: every change writes its event in the same transaction (the same statement) as its
 * audit event; a refused request writes neither. Read here straight from the table, as the owner.
 */
const TENANT = 'herdecke';
let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let sql: pg.Client;
let tenantId: string;

beforeAll(async () => {
  t = await buildTestApp();
  f = recordFactories(t, TENANT);
  sql = new pg.Client({ connectionString: inject('ownerUrl') });
  await sql.connect();
  tenantId = (await sql.query(`SELECT id FROM tenant WHERE slug = $1`, [TENANT])).rows[0].id;
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

interface Row {
  type: string;
  subject_type: string;
  subject_id: string;
  parents: Record<string, string>;
  data: Record<string, unknown>;
  audit_action: string;
  audit_object: string;
  hash_matches: boolean;
}

/** The events about these objects, oldest first, joined to the audit event each names. */
async function eventsOf(...ids: string[]): Promise<Row[]> {
  const { rows } = await sql.query<Row>(
    `SELECT o.type, o.subject_type, o.subject_id, o.parents, o.data, a.action AS audit_action, a.object_id AS audit_object,
            a.hash = o.audit_hash AS hash_matches
     FROM outbox_event o JOIN audit_event a ON a.tenant_id = o.tenant_id AND a.seq = o.audit_seq
     WHERE o.tenant_id = $1 AND (o.subject_id = ANY($2::uuid[]) OR o.parents->>'fileId' = ANY($2::text[]))
     ORDER BY o.audit_seq, o.id`,
    [tenantId, ids],
  );
  return rows;
}
const types = (rows: Row[]) => rows.map((r) => r.type);

describe('events', () => {
  it('a file, its case, document and versions through their whole life: one event per change, linked to its audit event', async () => {
    const manager = f.manager;
    const file = await f.file({}, manager);
    const kase = await f.kase(file.id, {}, manager);
    const doc = await f.document(kase.id, {}, manager);
    const v1 = await f.upload(manager, doc.id, 'eins', doc.etag);
    expect(v1.statusCode).toBe(201);
    await manager.patch(`/documents/${doc.id}`, { title: 'Neu' }, { 'if-match': v1.headers['document-etag'] as string });
    const out = await manager.post(`/documents/${doc.id}/checkout`, { minutes: 5 });
    const v2 = await f.upload(manager, doc.id, 'zwei', out.headers.etag as string, {}, '?checkin=true');
    expect(v2.statusCode).toBe(201);
    const clerk = f.as(['clerk'], 'clerk@herdecke');
    const held = await clerk.post(`/documents/${doc.id}/checkout`, {});
    await manager.delete(`/documents/${doc.id}/checkout?break=true`, { 'if-match': held.headers.etag as string });
    const reheld = await manager.post(`/documents/${doc.id}/checkout`, {});
    await manager.delete(`/documents/${doc.id}/checkout`, { 'if-match': reheld.headers.etag as string });
    await manager.patch(`/cases/${kase.id}`, { title: 'Neuer Vorgang' }, { 'if-match': await f.etag(`/cases/${kase.id}`) });
    await manager.post(`/cases/${kase.id}/close`, {}, { 'if-match': await f.etag(`/cases/${kase.id}`) });
    await manager.post(`/cases/${kase.id}/reopen`, { reason: 'Nachtrag' }, { 'if-match': await f.etag(`/cases/${kase.id}`) });
    await manager.patch(`/files/${file.id}`, { title: 'Neue Akte', description: 'x' }, { 'if-match': await f.etag(`/files/${file.id}`) });
    expect((await f.closeFile(file.id, { closeOpenCases: true }, manager)).statusCode).toBe(200);
    await manager.post(`/files/${file.id}/reopen`, { reason: 'Widerspruch' }, { 'if-match': await f.etag(`/files/${file.id}`) });

    const rows = await eventsOf(file.id, kase.id, doc.id);
    expect(types(rows)).toEqual([
      'file.created', 'case.created', 'document.created', 'version.created', 'document.updated', 'document.checked-out',
      'version.created', 'document.checked-in', 'document.checked-out', 'document.checked-in', 'document.checked-out',
      'document.checked-in', 'case.updated', 'case.closed', 'case.reopened', 'file.updated', 'case.closed', 'file.closed', 'file.reopened',
    ]);
    expect(rows.every((r) => r.hash_matches)).toBe(true);
    // Subject and parents name the chain; the data is small and names no content.
    const version = rows.find((r) => r.type === 'version.created')!;
    expect(version).toMatchObject({
      subject_type: 'version',
      parents: { fileId: file.id, caseId: kase.id, documentId: doc.id },
      data: { number: 1, size: 4, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), mediaType: 'text/plain' },
      audit_action: 'version.created',
      audit_object: doc.id,
    });
    expect(rows.filter((r) => r.type === 'document.checked-in').map((r) => r.data.how)).toEqual(['version', 'broken', 'released']);
    expect(rows.find((r) => r.type === 'file.updated')!.data).toEqual({ reference: file.reference, changed: ['description', 'title'] });
    expect(rows.find((r) => r.type === 'file.closed')!.data).toEqual({ reference: file.reference, closedOn: expect.any(String), casesClosed: 1 });
    // The version event's checked-in twin rides on the same audit event.
    const [vEvent, inEvent] = rows.slice(6, 8);
    expect(vEvent!.audit_action).toBe('version.created');
    expect(inEvent!.audit_action).toBe('version.created');
  });

  it('closing a file with its open cases records each case closing, as closing the case on its own does', async () => {
    const file = await f.file();
    const a = await f.kase(file.id, { title: 'A' });
    const b = await f.kase(file.id, { title: 'B' });
    const refused = await f.closeFile(file.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('open-cases');
    const closed = await f.closeFile(file.id, { closeOpenCases: true, closedOn: '2026-11-30' });
    expect(closed.statusCode).toBe(200);
    for (const kase of [a, b]) {
      const history = (await f.as(['auditor']).get(`/audit/objects/${kase.id}`)).json();
      expect(history.items.map((e: { action: string; newValues: Record<string, unknown> }) => [e.action, e.newValues])).toEqual([
        ['case.created', expect.objectContaining({ status: 'open' })],
        ['case.closed', { status: 'closed', closedOn: '2026-11-30', withFile: true }],
      ]);
      expect((await f.clerk.get(`/cases/${kase.id}`)).json()).toMatchObject({ status: 'closed', closedOn: '2026-11-30' });
    }
    const rows = await eventsOf(file.id);
    expect(types(rows)).toEqual(['file.created', 'case.created', 'case.created', 'case.closed', 'case.closed', 'file.closed']);
    expect(rows.filter((r) => r.type === 'case.closed').map((r) => r.subject_id).sort()).toEqual([a.id, b.id].sort());
  });

  it('a refused change writes no event (and no audit event)', async () => {
    const file = await f.file();
    const before = await eventsOf(file.id);
    expect((await f.clerk.patch(`/files/${file.id}`, { title: 'x' }, { 'if-match': '"stale"' })).statusCode).toBe(412);
    expect((await f.clerk.post(`/files/${file.id}/reopen`, { reason: 'nicht erlaubt' }, { 'if-match': await f.etag(`/files/${file.id}`) })).statusCode).toBe(403);
    expect((await f.closeFile(file.id, { closedOn: '2999-01-01' })).statusCode).toBe(400);
    expect(await eventsOf(file.id)).toEqual(before);
    expect(types(before)).toEqual(['file.created']);
  });

  it('every type of the catalogue is documented in openapi.json', async () => {
    const { readFile } = await import('node:fs/promises');
    const spec = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
    expect(Object.keys(spec.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const body = spec.webhooks[type].post.requestBody.content['application/json'].schema;
      expect(body.properties.type).toEqual({ const: type, type: 'string' });
      expect(body.required).toEqual(['id', 'type', 'timestamp', 'tenant', 'subject', 'parents', 'data', 'audit']);
    }
  });
});
