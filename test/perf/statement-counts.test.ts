import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { recordFactories } from '../support/records.js';

/**
 * The SQL statements a request sends, counted where the driver puts them on the wire
 * (pg.Client#query, which Prisma's adapter uses for every statement including BEGIN and COMMIT).
 * Exact numbers: a change that adds a round trip to the hot paths fails here.
 */
const sent: string[] = [];
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string };
  sent.push(typeof first === 'string' ? first : (first?.text ?? '?'));
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;

async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  sent.length = 0;
  const result = await fn();
  // The idempotency record and grant reads complete after the response is sent (onSend/onResponse).
  await new Promise((r) => setTimeout(r, 50));
  return { result, statements: [...sent] };
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe('SQL statements per request', () => {
  it('GET a file: 5 (the caller\'s rate-limit count; BEGIN READ ONLY, set_config, the file with its plan code, COMMIT)', async () => {
    const f = recordFactories(t, 'herdecke');
    const file = await f.file();
    await f.clerk.get(`/files/${file.id}`);
    const get = await counting(() => f.clerk.get(`/files/${file.id}`));
    expect(get.result.statusCode).toBe(200);
    expect(get.statements.map(kind)).toEqual(['rate limit', 'BEGIN READ ONLY', 'set_config', 'SELECT record_file JOIN file_plan_unit', 'COMMIT']);
  });

  it('list a page of files: 5 (the rate-limit count; BEGIN READ ONLY, set_config, the page with its plan codes, COMMIT)', async () => {
    const f = recordFactories(t, 'herdecke');
    await f.file();
    await f.file();
    await f.clerk.get('/files?limit=50');
    const list = await counting(() => f.clerk.get('/files?limit=50'));
    expect(list.result.statusCode).toBe(200);
    expect(list.result.json().items.length).toBeGreaterThanOrEqual(2);
    expect(list.statements.map(kind)).toEqual(['rate limit', 'BEGIN READ ONLY', 'set_config', 'SELECT record_file JOIN file_plan_unit', 'COMMIT']);
  });

  it('GET a case and a document: 5 each (one statement under the read-only tenant transaction)', async () => {
    const f = recordFactories(t, 'herdecke');
    const kase = await f.kase((await f.file()).id);
    const doc = await f.document(kase.id);
    const getCase = await counting(() => f.clerk.get(`/cases/${kase.id}`));
    expect(getCase.result.statusCode).toBe(200);
    expect(getCase.statements.map(kind)).toEqual(['rate limit', 'BEGIN READ ONLY', 'set_config', 'SELECT record_case JOIN record_file', 'COMMIT']);
    const getDoc = await counting(() => f.clerk.get(`/documents/${doc.id}`));
    expect(getDoc.result.statusCode).toBe(200);
    expect(getDoc.statements.map(kind)).toEqual(['rate limit', 'BEGIN READ ONLY', 'set_config', 'SELECT record_document JOIN record_case', 'COMMIT']);
  });

  it('POST a version: 8 (the rate-limit count, then two SQL units, each opened in one round trip: prepare 3, commit 4, the outbox row riding on the audit append and the COMMIT with it); 8 more with Idempotency-Key', async () => {
    const f = recordFactories(t, 'herdecke');
    const doc = await f.document((await f.kase((await f.file()).id)).id);
    const up = await counting(() => f.upload(f.clerk, doc.id, 'eins', doc.etag));
    expect(up.result.statusCode).toBe(201);
    expect(up.statements.map(kind)).toEqual([
      'rate limit',
      'BEGIN; set_config + statement_timeout', 'SELECT record_document JOIN record_case + INSERT version_upload', 'COMMIT',
      'BEGIN; set_config + statement_timeout', 'lock record_file, record_case, record_document',
      'DELETE version_upload + INSERT document_version + UPDATE record_document', 'audit_append + INSERT outbox_event; COMMIT',
    ]);
    const withKey = await counting(() =>
      f.upload(f.clerk, doc.id, 'zwei', up.result.headers['document-etag'] as string, { 'idempotency-key': `k-${Date.now()}` }),
    );
    expect(withKey.result.statusCode).toBe(201);
    // Claiming the key (4) before, completing it (4) after: each a short unit of its own.
    expect(withKey.statements).toHaveLength(16);
  });
});

/** A short name for a statement as the driver sent it. */
function kind(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  if (s === 'BEGIN' || s === 'BEGIN READ ONLY' || s === 'COMMIT') return s;
  // An SQL unit (node-postgres, not Prisma's interactive transaction) opens in one round trip and bounds its statements.
  if (s.startsWith('BEGIN;') && s.includes('set_config') && s.includes('statement_timeout')) return 'BEGIN; set_config + statement_timeout';
  if (s.includes('set_config')) return 'set_config';
  if (s.includes('pg_advisory_xact_lock')) return 'advisory lock';
  if (s.includes('rate_limit_bucket')) return 'rate limit';
  if (s.includes('audit_append(') && s.endsWith('; COMMIT')) return 'audit_append + INSERT outbox_event; COMMIT';
  if (s.includes('audit_append(')) return s.includes('INSERT INTO outbox_event') ? 'audit_append + INSERT outbox_event' : 'audit_append';
  if (/^WITH lf AS MATERIALIZED/.test(s) && /FOR SHARE OF f/.test(s) && /FOR SHARE OF c/.test(s) && /FOR UPDATE OF d/.test(s))
    return 'lock record_file, record_case, record_document';
  if (/^WITH up AS \( ?DELETE FROM version_upload/.test(s) && s.includes('INSERT INTO document_version') && s.includes('UPDATE record_document'))
    return 'DELETE version_upload + INSERT document_version + UPDATE record_document';
  if (/^WITH doc AS/.test(s) && s.includes('INSERT INTO version_upload')) return 'SELECT record_document JOIN record_case + INSERT version_upload';
  const verb = s.split(' ')[0]!.toUpperCase();
  const table = (t: string) => new RegExp(`"?(public"?\\.)?"?${t}"?\\b`).test(s);
  const tables = ['record_document', 'record_case', 'record_file', 'file_plan_unit', 'version_upload', 'document_version', 'audit_event'].filter(table);
  if (verb === 'SELECT' && tables.length > 1) return `SELECT ${tables[0]} JOIN ${tables[1]}`;
  return `${verb} ${tables[0] ?? '?'}`;
}
