import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client.js';
import { sqlState } from '../../src/db/tenant-tx.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { problem, recordFactories, type Caller } from '../support/records.js';

const TENANT = 'herdecke';
const BASE = `/v1/tenants/${TENANT}`;
const HEX64 = /^[0-9a-f]{64}$/;
/** This file's database is its own, and nothing checkpoints its chains (audit-anchors.test.ts does that). */
const NO_ANCHORS = { checked: 0, latest: null, firstMismatch: null };

let t: TestApp;
let f: ReturnType<typeof recordFactories>;
let auditor: Caller;
let owner: pg.Client;
let apiUrl: string;
beforeAll(async () => {
  // A database of this file's own: the tests edit, remove and reorder events of whole chains, which
  // no other test file may write to meanwhile.
  const db = await isolatedDatabase('audit');
  apiUrl = db.url;
  t = await buildTestApp(db.env);
  f = recordFactories(t, TENANT);
  auditor = f.as(['auditor'], 'pruefer@herdecke');
  // The database owner (a superuser): it can do what the API role cannot.
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await t.close();
});

type Event = Record<string, unknown> & { seq: number; action: string; hash: string; prevHash: string };

/** Every event of a filter, following `next` (limit 200 per page). */
async function listAll(by: Caller, query: string, tenantBase = ''): Promise<Event[]> {
  const out: Event[] = [];
  let cursor: string | null = null;
  do {
    const res = await by.get(`${tenantBase}/audit?limit=200${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`audit: ${res.statusCode} ${res.body}`);
    out.push(...(res.json().items as Event[]));
    cursor = res.json().next;
  } while (cursor);
  return out;
}

const tenantId = async (slug: string) =>
  (await owner.query<{ id: string }>('SELECT id FROM tenant WHERE slug = $1', [slug])).rows[0]!.id;

describe('what the audit trail records', () => {
  it('a file and a document: every write and content read, in order, with actor, values and request id', async () => {
    const unit = await f.unit({ title: 'Bauordnung' });
    const fileRes = await f.clerk.post('/files', { planCode: unit.code, title: 'Bauakte Hauptstraße 1', description: 'alt' });
    expect(fileRes.statusCode).toBe(201);
    const file = fileRes.json();
    const caseRes = await f.clerk.post(`/files/${file.id}/cases`, { title: 'Bauantrag' });
    expect(caseRes.statusCode).toBe(201);
    const docRes = await f.clerk.post(`/cases/${caseRes.json().id}/documents`, { title: 'Antrag', kind: 'application' });
    expect(docRes.statusCode).toBe(201);
    const doc = docRes.json();
    const versionRes = await f.upload(f.clerk, doc.id, 'Antragsformular Seite 1', docRes.headers.etag as string);
    expect(versionRes.statusCode).toBe(201);
    const download = await f.clerk.get(`/documents/${doc.id}/versions/1/content`);
    expect(download.statusCode).toBe(200);
    const ranged = await f.clerk.get(`/documents/${doc.id}/versions/1/content`, { range: 'bytes=0-3' });
    expect(ranged.statusCode).toBe(206);
    const patch = await f.clerk.patch(
      `/files/${file.id}`,
      { title: 'Bauakte Hauptstraße 1a', description: 'neu', confidentiality: '003' },
      { 'if-match': fileRes.headers.etag as string, 'x-request-id': 'bauamt-req-0001' },
    );
    expect(patch.statusCode).toBe(200);
    expect(patch.headers['x-request-id']).toBe('bauamt-req-0001');

    const actor = { actorTenant: TENANT, actorSub: 'user@herdecke', clientId: null, grantId: null };
    const fileEvents = await auditor.get(`/audit?objectId=${file.id}`);
    expect(fileEvents.statusCode).toBe(200);
    expect(fileEvents.json().next).toBeNull();
    const fileItems = fileEvents.json().items as Event[];
    expect(fileItems).toEqual([
      {
        ...actor,
        seq: expect.any(Number), id: expect.any(String), at: expect.any(String), prevHash: expect.stringMatching(HEX64), hash: expect.stringMatching(HEX64),
        action: 'file.created', objectType: 'file', objectId: file.id,
        oldValues: null, newValues: file, requestId: fileRes.headers['x-request-id'],
      },
      {
        ...actor,
        seq: expect.any(Number), id: expect.any(String), at: expect.any(String), prevHash: expect.stringMatching(HEX64), hash: expect.stringMatching(HEX64),
        action: 'file.updated', objectType: 'file', objectId: file.id,
        // Exactly the fields that changed (confidentiality was sent unchanged; updatedAt is not a change).
        oldValues: { title: 'Bauakte Hauptstraße 1', description: 'alt' },
        newValues: { title: 'Bauakte Hauptstraße 1a', description: 'neu' },
        requestId: 'bauamt-req-0001',
      },
    ]);
    expect(fileItems[0]!.seq).toBeLessThan(fileItems[1]!.seq);

    const { contentUrl: _url, ...version } = versionRes.json();
    const docEvents = await auditor.get(`/audit/objects/${doc.id}`);
    expect(docEvents.statusCode).toBe(200);
    const docItems = docEvents.json().items as Event[];
    expect(docItems.map((e) => e.action)).toEqual(['document.created', 'version.created', 'version.content-read', 'version.content-read']);
    expect(docItems).toEqual([
      expect.objectContaining({ ...actor, objectType: 'document', objectId: doc.id, newValues: doc, requestId: docRes.headers['x-request-id'] }),
      expect.objectContaining({ ...actor, objectId: doc.id, oldValues: null, newValues: version, requestId: versionRes.headers['x-request-id'] }),
      expect.objectContaining({ ...actor, objectId: doc.id, oldValues: null, newValues: { number: 1 }, requestId: download.headers['x-request-id'] }),
      expect.objectContaining({ ...actor, objectId: doc.id, oldValues: null, newValues: { number: 1, range: 'bytes=0-3' }, requestId: ranged.headers['x-request-id'] }),
    ]);
    expect(docItems.map((e) => e.seq)).toEqual([...docItems.map((e) => e.seq)].sort((a, b) => a - b));

    const unitEvents = await auditor.get(`/audit/objects/${unit.id}`);
    expect(unitEvents.json().items.map((e: Event) => e.action)).toEqual(['unit.created']);

    // The other filters: action, object type and actor.
    const reads = await listAll(auditor, `action=version.content-read&objectId=${doc.id}`);
    expect(reads.map((e) => e.requestId)).toEqual([download.headers['x-request-id'], ranged.headers['x-request-id']]);
    const byOther = await listAll(auditor, `actor=someone-else@herdecke&objectId=${doc.id}`);
    expect(byOther).toEqual([]);
  });

  it('pages with limit and cursor', async () => {
    const file = await f.file();
    const etag1 = file.etag;
    const p1 = await f.clerk.patch(`/files/${file.id}`, { title: 'zwei' }, { 'if-match': etag1 });
    await f.clerk.patch(`/files/${file.id}`, { title: 'drei' }, { 'if-match': p1.headers.etag as string });
    const first = await auditor.get(`/audit?objectId=${file.id}&limit=2`);
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((e: Event) => e.action)).toEqual(['file.created', 'file.updated']);
    expect(page1.next).toBe(String(page1.items[1].seq));
    const second = await auditor.get(`/audit?objectId=${file.id}&limit=2&cursor=${page1.next}`);
    expect(second.json().items.map((e: Event) => e.newValues)).toEqual([{ title: 'drei' }]);
    expect(second.json().next).toBeNull();
  });
});

describe('who may read the audit trail', () => {
  it('auditors and tenant admins read; clerks, records managers and readers get 403', async () => {
    const file = await f.file();
    const urls = [`/audit?objectId=${file.id}`, `/audit/objects/${file.id}`, `/audit/export?objectId=${file.id}`, '/audit/verify'];
    for (const roles of [['auditor'], ['tenant-admin']]) {
      for (const url of urls) {
        const res = await f.as(roles).get(url);
        expect(res.statusCode, `${roles} ${url}`).toBe(200);
      }
    }
    for (const roles of [['clerk'], ['records-manager'], ['reader']]) {
      for (const url of urls) {
        const res = await f.as(roles).get(url);
        expect(res.statusCode, `${roles} ${url}`).toBe(403);
        expect(res.json()).toEqual(problem('forbidden', 'This needs one of the roles: tenant-admin, auditor', `${BASE}${url.split('?')[0]}`));
      }
    }
  });

  it('another town cannot read it (404)', async () => {
    const res = await t.injectAs('witten', ['auditor'], { method: 'GET', url: `${BASE}/audit` });
    expect(res.statusCode).toBe(404);
  });
});

describe('exporting the audit trail as JSON Lines', () => {
  it('streams one event per line, the same events as the list', async () => {
    const { id } = await f.file();
    await f.kase(id);
    const res = await auditor.get(`/audit/export?objectId=${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="audit-${TENANT}.jsonl"`);
    expect(res.body.endsWith('\n')).toBe(true);
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l) as Event);
    expect(lines).toEqual(await listAll(auditor, `objectId=${id}`));
  });

  it('the whole tenant: the line count equals the list total for the same filter', async () => {
    await f.unit();
    for (const query of ['', 'objectType=file-plan-unit', 'action=file.created']) {
      const res = await auditor.get(`/audit/export${query ? `?${query}` : ''}`);
      expect(res.statusCode).toBe(200);
      const lines = res.body.trimEnd().split('\n');
      const parsed = lines.map((l) => JSON.parse(l) as Event);
      const listed = await listAll(auditor, query);
      expect(parsed.length, query).toBe(listed.length);
      expect(parsed.map((e) => e.seq)).toEqual(listed.map((e) => e.seq));
    }
  });

  it('a filter that matches nothing exports an empty body', async () => {
    const res = await auditor.get('/audit/export?objectId=01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c30');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.body).toBe('');
  });
});

/** Creates `n` events in `slug`'s chain (file-plan units) and returns the seq of each, in order. */
async function seedChain(slug: string, n: number): Promise<number[]> {
  const factories = recordFactories(t, slug);
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const unit = await factories.unit({ title: `Kette ${i}` });
    const res = await factories.as(['auditor']).get(`/audit/objects/${unit.id}`);
    seqs.push(res.json().items[0].seq as number);
  }
  return seqs;
}

const verify = (slug: string) => recordFactories(t, slug).as(['auditor']).get('/audit/verify');

async function chainHead(slug: string) {
  const { rows } = await owner.query<{ n: string; hash: string }>(
    `SELECT count(*) OVER () AS n, hash FROM audit_event WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`,
    [await tenantId(slug)],
  );
  return { events: Number(rows[0]!.n), hash: rows[0]!.hash };
}

const hashAt = async (slug: string, seq: number) =>
  (await owner.query<{ hash: string }>('SELECT hash FROM audit_event WHERE tenant_id = $1 AND seq = $2', [await tenantId(slug), seq])).rows[0]!.hash;

describe('verifying the hash chain', () => {
  it('an intact chain verifies: ok, every event checked, head hash of the last event', async () => {
    await seedChain(TENANT, 2);
    const res = await verify(TENANT);
    expect(res.statusCode).toBe(200);
    const head = await chainHead(TENANT);
    expect(res.json()).toEqual({ ok: true, events: head.events, headHash: head.hash, firstBroken: null, anchors: NO_ANCHORS });
  });

  it('an edited event is found: content does not match its hash (wetter)', async () => {
    const slug = 'wetter';
    const seqs = await seedChain(slug, 5);
    const k = seqs[2]!;
    const id = await tenantId(slug);
    expect((await verify(slug)).json()).toMatchObject({ ok: true, firstBroken: null });
    const original = (await owner.query<{ new_values: unknown }>('SELECT new_values FROM audit_event WHERE tenant_id = $1 AND seq = $2', [id, k])).rows[0]!.new_values;
    await owner.query(`UPDATE audit_event SET new_values = jsonb_set(new_values, '{title}', '"gefälscht"') WHERE tenant_id = $1 AND seq = $2`, [id, k]);
    try {
      const res = await verify(slug);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        ok: false,
        events: k,
        headHash: await hashAt(slug, k - 1),
        firstBroken: { seq: k, reason: 'content does not match its hash' },
        anchors: NO_ANCHORS,
      });
    } finally {
      await owner.query('UPDATE audit_event SET new_values = $3 WHERE tenant_id = $1 AND seq = $2', [id, k, JSON.stringify(original)]);
    }
    expect((await verify(slug)).json()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('a removed event is found: sequence gap at the next event, naming the missing seq (schwelm)', async () => {
    const slug = 'schwelm';
    const seqs = await seedChain(slug, 5);
    const k = seqs[2]!;
    const id = await tenantId(slug);
    expect((await verify(slug)).json()).toMatchObject({ ok: true, firstBroken: null });
    const saved = (await owner.query<{ row: unknown }>('SELECT row_to_json(a) AS row FROM audit_event a WHERE tenant_id = $1 AND seq = $2', [id, k])).rows[0]!.row;
    await owner.query('DELETE FROM audit_event WHERE tenant_id = $1 AND seq = $2', [id, k]);
    try {
      const res = await verify(slug);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        ok: false,
        events: k,
        headHash: await hashAt(slug, k - 1),
        firstBroken: { seq: k + 1, reason: `sequence gap: expected ${k}` },
        anchors: NO_ANCHORS,
      });
    } finally {
      await owner.query('INSERT INTO audit_event SELECT * FROM json_populate_record(NULL::audit_event, $1::json)', [JSON.stringify(saved)]);
    }
    expect((await verify(slug)).json()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('reordered events are found: the previous hash does not match (sprockhoevel)', async () => {
    const slug = 'sprockhoevel';
    const seqs = await seedChain(slug, 5);
    const k = seqs[2]!;
    const id = await tenantId(slug);
    expect((await verify(slug)).json()).toMatchObject({ ok: true, firstBroken: null });
    const swap = async () => {
      await owner.query('BEGIN');
      await owner.query('UPDATE audit_event SET seq = -1 WHERE tenant_id = $1 AND seq = $2', [id, k]);
      await owner.query('UPDATE audit_event SET seq = $2 WHERE tenant_id = $1 AND seq = $3', [id, k, k + 1]);
      await owner.query('UPDATE audit_event SET seq = $2 WHERE tenant_id = $1 AND seq = -1', [id, k + 1]);
      await owner.query('COMMIT');
    };
    await swap();
    try {
      const res = await verify(slug);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        ok: false,
        events: k,
        headHash: await hashAt(slug, k - 1),
        firstBroken: { seq: k, reason: 'previous hash does not match the event before' },
        anchors: NO_ANCHORS,
      });
    } finally {
      await swap();
    }
    expect((await verify(slug)).json()).toMatchObject({ ok: true, firstBroken: null });
  });
});

describe('the API role cannot tamper with the trail', () => {
  it('UPDATE and DELETE on audit_event are refused for en_akte_app (permission denied)', async () => {
    const db = createDb(apiUrl, 1);
    try {
      const id = await tenantId(TENANT);
      const attempts = [
        () => db.$executeRawUnsafe(`UPDATE audit_event SET action = 'file.deleted' WHERE tenant_id = '${id}'`),
        () => db.$executeRawUnsafe(`DELETE FROM audit_event WHERE tenant_id = '${id}'`),
        // Also inside the tenant's own transaction, where row-level security would let it see the rows.
        () =>
          db.$transaction(async (tx) => {
            await tx.$executeRaw`SELECT set_config('app.tenant_id', ${id}, true)`;
            return tx.$executeRawUnsafe(`DELETE FROM audit_event WHERE tenant_id = '${id}'`);
          }),
      ];
      for (const attempt of attempts) {
        const err = await attempt().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).not.toBeNull();
        expect(String((err as Error).message)).toMatch(/permission denied for table audit_event/);
        expect(sqlState(err)).toBe('42501');
      }
      // It can still read and append (through the API), and the chain is intact.
      const res = await verify(TENANT);
      expect(res.json()).toMatchObject({ ok: true, firstBroken: null });
    } finally {
      await db.$disconnect();
    }
  });
});
