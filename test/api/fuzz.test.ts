import { createHash, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, type ProblemCode } from '../../src/errors.js';
import { buildTestApp, TEST_ISSUER, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { allOperations, type Op } from '../support/openapi.js';
import { recordFactories } from '../support/records.js';
import { valueOf, type ArbitraryContext } from '../support/schema-arbitrary.js';

/**
 * Bad input never hurts, tried 10 000 times: property-based requests across every operation of
 * openapi/openapi.json, with the tokens of several roles and tenants (and broken ones), values
 * from the schemas with mutations at any node, wrong content types, malformed and oversized
 * bodies, foreign and unknown ids, stale and junk preconditions. Every answer must be below 500,
 * every refusal an application/problem+json, and no refused request may change a row or object.
 *
 * "Changed" is counted by row triggers on every table of the schema (in a database of this file's
 * own), except three that record requests rather than data: rate_limit_bucket (counts every call),
 * idempotency_record (the stored answer to an Idempotency-Key, refusals included, so a retry gets
 * the same answer) and version_upload (the upload ledger, which must be empty again after every
 * upload, refused or not). Objects are checked at the end: every object in storage belongs to a
 * version row or is an audit checkpoint.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** Operations that take raw content (the contract describes the body as binary). */
const RAW_BODY = new Set(['addVersion']);
const TOKEN_OP = 'issueToken';
const TENANTS = ['witten', 'hattingen'] as const;

let t: TestApp;
let owner: pg.Client;
let ids: Record<string, string[]>;
let etags: string[];
let tokens: string[];
let oauthClient: { clientId: string; clientSecret: string };

const changes = async () => Number((await owner.query<{ n: string }>('SELECT n FROM fuzz_change')).rows[0]!.n);
const openUploads = async () => Number((await owner.query<{ n: string }>('SELECT count(*) AS n FROM version_upload')).rows[0]!.n);

/** Row triggers that count every committed change, in this file's own database. */
async function installChangeCounter(client: pg.Client) {
  await client.query(`
    CREATE TABLE fuzz_change (n bigint NOT NULL);
    INSERT INTO fuzz_change VALUES (0);
    CREATE FUNCTION fuzz_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN UPDATE fuzz_change SET n = n + 1; RETURN NULL; END $$;
    DO $$ DECLARE t text; BEGIN
      FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                 AND tablename NOT IN ('fuzz_change', '_prisma_migrations', 'rate_limit_bucket', 'idempotency_record', 'version_upload') LOOP
        EXECUTE format('CREATE TRIGGER fuzz_changed AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fuzz_changed()', t);
        EXECUTE format('CREATE TRIGGER fuzz_truncated AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION fuzz_changed()', t);
      END LOOP;
    END $$;`);
}

beforeAll(async () => {
  const db = await isolatedDatabase('fuzz');
  // Buckets of its own too, so that the storage check at the end sees only this file's objects.
  t = await buildTestApp({ ...db.env, S3_BUCKET_PREFIX: 'en-akte-fuzz-', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1' });
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();

  // Real objects in two towns, so that requests reach the rules behind validation.
  ids = { unitId: [], fileId: [], caseId: [], documentId: [], grantId: [], clientId: [], webhookId: [], deliveryId: [] };
  etags = [];
  for (const tenant of TENANTS) {
    const h = recordFactories(t, tenant);
    const unit = await h.unit();
    const file = await h.file({ planCode: unit.code });
    const kase = await h.kase(file.id);
    const doc = await h.document(kase.id);
    const version = await h.upload(h.clerk, doc.id, `Inhalt ${tenant}`, doc.etag);
    if (version.statusCode !== 201) throw new Error(`version: ${version.statusCode} ${version.body}`);
    const admin = h.as(['tenant-admin']);
    const client = await admin.post('/clients', { name: `Fuzz ${randomUUID().slice(0, 8)}`, roles: ['clerk'] });
    if (client.statusCode !== 201) throw new Error(`client: ${client.statusCode} ${client.body}`);
    if (tenant === 'witten') oauthClient = { clientId: client.json().clientId, clientSecret: client.json().clientSecret };
    const grant = await t.app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/support-grants`,
      headers: { authorization: `Bearer ${await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kz-agent')}` },
      payload: { scope: 'read-write', reason: 'Fuzz', durationHours: 2 },
    });
    if (grant.statusCode !== 201) throw new Error(`grant: ${grant.statusCode} ${grant.body}`);
    const webhook = await admin.post('/webhooks', { url: 'http://127.0.0.1:9/fuzz', eventTypes: ['*'] });
    if (webhook.statusCode !== 201) throw new Error(`webhook: ${webhook.statusCode} ${webhook.body}`);
    const delivery = await admin.post(`/webhooks/${webhook.json().id}/test`, undefined);
    if (delivery.statusCode !== 202) throw new Error(`delivery: ${delivery.statusCode} ${delivery.body}`);
    ids.unitId!.push(unit.id);
    ids.fileId!.push(file.id);
    ids.caseId!.push(kase.id);
    ids.documentId!.push(doc.id);
    ids.grantId!.push(grant.json().id);
    ids.clientId!.push(client.json().id);
    ids.webhookId!.push(webhook.json().id);
    ids.deliveryId!.push(delivery.json().deliveryId);
    etags.push(file.etag, kase.etag, doc.etag, version.headers['document-etag'] as string, webhook.headers.etag as string, client.headers.etag as string, grant.headers.etag as string);
  }
  ids.objectId = [...ids.fileId!, ...ids.documentId!, ...ids.grantId!];

  const roles = ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor'];
  tokens = [
    ...(await Promise.all(roles.map((r) => t.tokenFor('witten', [r])))),
    await t.tokenFor('witten', roles, 'alle-rollen@witten', { clearance: '004' }),
    await t.tokenFor('hattingen', ['records-manager', 'clerk']),
    await t.tokenFor('hattingen', ['tenant-admin']),
    await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kz-agent'),
    await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kz-other'),
    // Inactive town; a token for a tenant that does not exist.
    await t.tokenFor('ennepetal', ['clerk']),
    await t.tokenFor('nirgendwo', ['tenant-admin']),
  ].map((tok) => `Bearer ${tok}`);
  tokens.push('Bearer not.a.jwt', 'Basic d2l0dGVuOnNlY3JldA==', '');

  await installChangeCounter(owner);
});
afterAll(async () => {
  await owner?.end();
  await t?.close();
});

interface FuzzRequest {
  /** The operation id (not the operation: counterexamples stay readable). */
  op: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

const junkSegment = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom('0', '-1', '1', '2', '2147483648', '1e3', 'null', '%zz', '%E0%A4%A', '..%2F..', '%00', 'a'.repeat(300), '%F0%9F%98%80'),
);

/**
 * A request of `op`: half of them well-formed (valid values, real ids of both towns, real ETags),
 * so they reach the rules; the other half mutated anywhere.
 */
function requestArbitrary(op: Op): fc.Arbitrary<FuzzRequest> {
  return fc.boolean().chain((mutate) => buildRequest(op, mutate));
}

function buildRequest(op: Op, mutate: boolean): fc.Arbitrary<FuzzRequest> {
  const idsOf = (name: string) => (ids[name]?.length ? fc.constantFrom(...ids[name]!) : fc.uuid());
  const anyId = fc.oneof(fc.constantFrom(...Object.values(ids).flat()), fc.uuid());
  const ctx: ArbitraryContext = { ids: anyId, mutate };
  const sometimes = <T>(valid: fc.Arbitrary<T>, broken: fc.Arbitrary<T>, weight = 1) => (mutate ? fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: broken, weight }) : valid);

  const pathValues = fc.record(
    Object.fromEntries(
      op.pathParams.map((name) => [
        name,
        name === 'tenant'
          ? fc.oneof(
              { arbitrary: fc.constantFrom('witten', 'hattingen'), weight: 8 },
              { arbitrary: sometimes(fc.constantFrom('ennepetal', 'kompetenzzentrum', 'schwelm'), fc.oneof(fc.constantFrom('nirgendwo', 'WITTEN', 'wit', 'x'.repeat(60)), junkSegment)), weight: 2 },
            )
          : name === 'number'
            ? sometimes(fc.constantFrom('1', '2', '3'), fc.oneof(fc.integer({ min: -5, max: 2 ** 31 }).map(String), junkSegment))
            : sometimes(fc.oneof({ arbitrary: idsOf(name), weight: 6 }, { arbitrary: anyId, weight: 1 }), junkSegment),
      ]),
    ),
  );

  const queryParams = (op.op.parameters ?? []).filter((p) => p.in === 'query');
  const query = fc.tuple(
    fc.record(Object.fromEntries(queryParams.map((p) => [p.name, fc.option(valueOf(p.schema ?? {}, ctx), { freq: 2 })]))),
    mutate ? fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 10 })), { freq: 8 }) : fc.constant(null),
  );

  const declaresHeader = (name: string) => (op.op.parameters ?? []).some((p) => p.in === 'header' && p.name === name);
  const headers = fc.record({
    // The token endpoint takes client credentials (Basic or the form), not a bearer token.
    authorization: op.id === TOKEN_OP && !mutate ? fc.constantFrom('', `Basic ${Buffer.from(`${oauthClient.clientId}:${oauthClient.clientSecret}`).toString('base64')}`) : fc.constantFrom(...tokens),
    'if-match': declaresHeader('if-match') || RAW_BODY.has(op.id)
      ? fc.option(sometimes(fc.constantFrom(...etags), fc.constantFrom('*', '"0"', 'W/"1"', '""', 'x'.repeat(300))), { freq: 5 })
      : fc.constant(null),
    'idempotency-key': op.method === 'post'
      ? fc.option(sometimes(fc.uuid(), fc.constantFrom('mit leerzeichen', 'ä', 'k'.repeat(256), 'fuzz-key-1')), { freq: 3 })
      : fc.constant(null),
    accept: fc.option(fc.constantFrom('application/json', '*/*', 'text/html', 'application/xml', 'application/problem+json'), { freq: 4 }),
    'x-request-id': fc.option(sometimes(fc.uuid(), fc.string({ maxLength: 200 })), { freq: 10 }),
  });

  const body: fc.Arbitrary<{ payload?: string | Buffer; contentType?: string; extra?: Record<string, string> }> = RAW_BODY.has(op.id)
    ? fc
        .record({
          bytes: fc.uint8Array({ maxLength: 2048 }),
          contentType: fc.option(sometimes(fc.constantFrom('application/pdf', 'text/plain; charset=utf-8', 'image/png', 'application/octet-stream'), fc.constantFrom('multipart/form-data; boundary=x', 'kein/typ/da', 'x'.repeat(300))), { freq: 6 }),
          digest: sometimes(fc.constantFrom('none', 'right'), fc.constantFrom('wrong', 'junk')),
          disposition: fc.option(fc.string({ unit: 'grapheme', maxLength: 80 }).map((n) => `attachment; filename*=UTF-8''${encodeURIComponent(n)}`), { freq: 3 }),
        })
        .map(({ bytes, contentType, digest, disposition }) => {
          const payload = Buffer.from(bytes);
          const sha = createHash('sha256').update(payload).digest('base64');
          const extra: Record<string, string> = {};
          if (digest === 'right') extra['content-digest'] = `sha-256=:${sha}:`;
          if (digest === 'wrong') extra['content-digest'] = `sha-256=:${createHash('sha256').update('anders').digest('base64')}:`;
          if (digest === 'junk') extra['content-digest'] = 'sha-256=nicht-base64';
          if (disposition) extra['content-disposition'] = disposition;
          return { payload, contentType: contentType ?? undefined, extra };
        })
    : op.id === TOKEN_OP
      ? fc
          .record({
            grant_type: sometimes(fc.constant('client_credentials'), fc.string({ maxLength: 30 })),
            client_id: sometimes(fc.constant(oauthClient.clientId), fc.string({ maxLength: 120 })),
            client_secret: sometimes(fc.constant(oauthClient.clientSecret), fc.string({ maxLength: 220 })),
            form: fc.boolean(),
          })
          .map(({ form, ...fields }) => ({
            payload: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
            contentType: form ? 'application/x-www-form-urlencoded' : 'application/json',
          }))
      : op.op.requestBody?.content['application/json'] && !mutate
        ? valueOf(op.op.requestBody.content['application/json'].schema ?? {}, ctx).map((v) => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/json' }))
      : op.op.requestBody?.content['application/json']
        ? fc.oneof(
            { arbitrary: valueOf(op.op.requestBody.content['application/json'].schema ?? {}, ctx).map((v) => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/json' })), weight: 6 },
            { arbitrary: fc.jsonValue().map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' })), weight: 1 },
            { arbitrary: fc.constantFrom('{', '{"a":', '[]', 'null', '', '\u0000', '{"__proto__":{"x":1}}', `{"title":"${'x'.repeat(1_100_000)}"}`).map((p) => ({ payload: p, contentType: 'application/json' })), weight: 1 },
            { arbitrary: fc.tuple(fc.string({ maxLength: 60 }), fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'ganz falsch')).map(([p, ct]) => ({ payload: p, contentType: ct })), weight: 1 },
          )
        : sometimes(fc.constant({}), fc.jsonValue().map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' })));

  return fc.tuple(pathValues, query, headers, body).map(([pathValue, [q, extraQuery], h, b]) => {
    let url = op.path;
    for (const [name, value] of Object.entries(pathValue)) url = url.replace(`{${name}}`, String(value));
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(q)) {
      if (value === null || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) params.append(name, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    if (extraQuery) params.append(extraQuery[0], extraQuery[1]);
    if (params.size) url += `?${params}`;
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(h)) if (value) out[name] = value;
    if (b.contentType) out['content-type'] = b.contentType;
    Object.assign(out, b.extra ?? {});
    return { op: op.id, method: op.method.toUpperCase(), url, headers: out, ...(b.payload === undefined ? {} : { payload: b.payload }) };
  });
}

describe(`${RUNS} fuzzed requests across every operation`, () => {
  it('never answer 5xx, refuse with problem+json, and a refusal changes nothing', async () => {
    const operations = allOperations;
    expect(operations.length).toBeGreaterThanOrEqual(60);
    const byOp = new Map<string, Map<number, number>>();
    let sent = 0;
    const anyRequest = fc.constantFrom(...operations).chain(requestArbitrary);
    let counted = await changes();
    const problems: string[] = [];

    await fc.assert(
      fc.asyncProperty(anyRequest, async (req) => {
        const res: LightMyRequestResponse = await t.app.inject({
          method: req.method as 'GET',
          url: req.url,
          headers: req.headers,
          ...(req.payload === undefined ? {} : { payload: req.payload }),
        });
        sent++;
        const statuses = byOp.get(req.op) ?? new Map<number, number>();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        byOp.set(req.op, statuses);
        const now = await changes();
        const changed = now - counted;
        counted = now;
        const where = `${req.method} ${req.url.slice(0, 200)} → ${res.statusCode}`;
        expect(res.statusCode, `${where}: ${res.body.slice(0, 500)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
          const body = res.json() as { status: number; code: string; type: string };
          expect([body.status, body.type], where).toEqual([res.statusCode, `${TEST_ISSUER}/problems/${body.code}`]);
          // The code is one the contract lists for this status (openapi.json: Problem<status>).
          expect(catalogue[body.code as ProblemCode]?.status, `${where}: code ${body.code}`).toBe(res.statusCode);
          expect(changed, `${where}: a refused request changed ${changed} row(s)`).toBe(0);
        }
        if (RAW_BODY.has(req.op)) expect(await openUploads(), `${where}: an upload was left open`).toBe(0);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true, interruptAfterTimeLimit: 14 * 60_000 },
    ).catch((err: Error) => {
      problems.push(`seed ${SEED}: ${err.message}\ncause: ${err.cause instanceof Error ? err.cause.message : String(err.cause)}`);
    });
    expect(problems).toEqual([]);
    expect(sent).toBe(RUNS);

    // Every operation was tried, and every one got past authentication at least once.
    const summary = Object.fromEntries([...byOp].map(([id, s]) => [id, Object.fromEntries([...s].sort((a, b) => a[0] - b[0]))]));
    expect(Object.keys(summary).sort()).toEqual(operations.map((o) => o.id).sort());
    const neverPastAuth = [...byOp].filter(([, s]) => [...s.keys()].every((code) => code === 401)).map(([id]) => id);
    expect(neverPastAuth).toEqual([]);
    const classes = [...byOp.values()].flatMap((s) => [...s]).reduce<Record<string, number>>((acc, [code, n]) => ({ ...acc, [`${String(code)[0]}xx`]: (acc[`${String(code)[0]}xx`] ?? 0) + n }), {});
    console.info(`fuzz: ${sent} requests over ${byOp.size} operations (seed ${SEED}): ${JSON.stringify(classes)}`);
    if (process.env.FUZZ_SUMMARY) console.info(JSON.stringify(summary, null, 1));

    // Storage: every object is a version's content or an audit checkpoint; nothing half-written.
    const versionKeys = new Set((await owner.query<{ storage_key: string }>('SELECT storage_key FROM document_version')).rows.map((r) => r.storage_key));
    for (const tenant of TENANTS) {
      const stray: string[] = [];
      for await (const item of t.deps.storage.list(tenant)) {
        if (!versionKeys.has(item.key) && !item.key.startsWith('audit-anchors/')) stray.push(item.key);
      }
      expect(stray, `objects in ${tenant}'s bucket no version row names`).toEqual([]);
    }
  }, 15 * 60_000);
});
