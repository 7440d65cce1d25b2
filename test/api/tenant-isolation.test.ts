import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { allOperations, METHODS, resolveSchema, type JsonSchema, type OpenApi, type Op } from '../support/openapi.js';
import { problem, recordFactories } from '../support/records.js';

/**
 * Tenant isolation, generated from openapi/openapi.json: every operation under /v1/tenants/{tenant}/…
 * is called by another town ('witten') against the real ids of 'hattingen' objects, and must answer
 * 404 (never revealing existence) and change nothing. An operation whose path the test cannot fill
 * fails the test: add its parameter to FILL instead of skipping it.
 */

const TENANT_PREFIX = '/v1/tenants/{tenant}/';

// The citizen's status lookups take no token of ours (a status token in the path, or the citizen IdP's).
const CITIZEN_OPERATIONS = new Set(['getApplicationStatus', 'listMyApplications']);
const v1Operations = allOperations.filter((o) => o.path.startsWith('/v1/') && !CITIZEN_OPERATIONS.has(o.id));
const tenantOperations = allOperations.filter((o) => o.path.startsWith(TENANT_PREFIX));

/** The hattingen objects the calls aim at. */
interface Targets {
  unitId: string;
  fileId: string;
  caseId: string;
  documentId: string;
  grantId: string;
  clientId: string;
  webhookId: string;
  deliveryId: string;
  serviceId: string;
  submissionId: string;
  handoverId: string;
  exportId: string;
}
/** Path parameter → its value, and which object's ETag goes into If-Match. */
const FILL: Record<string, { value: (x: Targets) => string; object?: keyof Targets; resource: string }> = {
  unitId: { value: (x) => x.unitId, object: 'unitId', resource: 'file-plan unit' },
  fileId: { value: (x) => x.fileId, object: 'fileId', resource: 'file' },
  caseId: { value: (x) => x.caseId, object: 'caseId', resource: 'case' },
  documentId: { value: (x) => x.documentId, object: 'documentId', resource: 'document' },
  number: { value: () => '1', resource: 'version' },
  grantId: { value: (x) => x.grantId, object: 'grantId', resource: 'support grant' },
  clientId: { value: (x) => x.clientId, object: 'clientId', resource: 'client' },
  webhookId: { value: (x) => x.webhookId, object: 'webhookId', resource: 'webhook' },
  deliveryId: { value: (x) => x.deliveryId, resource: 'delivery' },
  serviceId: { value: (x) => x.serviceId, object: 'serviceId', resource: 'online service' },
  submissionId: { value: (x) => x.submissionId, object: 'submissionId', resource: 'submission' },
  // A hand-over hattingen sends to en-kreis: only those two see it.
  handoverId: { value: (x) => x.handoverId, resource: 'hand-over' },
  exportId: { value: (x) => x.exportId, resource: 'export' },
  // A resumable upload: hattingen's document is the wall (tus ids live in the tenant's own bucket).
  uploadId: { value: () => 'b'.repeat(32), resource: 'upload' },
  // The audit history of a hattingen document.
  objectId: { value: (x) => x.documentId, resource: 'object' },
};
const idParamsOf = (o: Op) => o.pathParams.filter((p) => p !== 'tenant');
const unfillable = (o: Op) => idParamsOf(o).filter((p) => !(p in FILL));

/** Operations that take content instead of JSON (the spec has no requestBody for them). */
const RAW_BODY = new Set(['addVersion', 'sendUploadPart']);

/** A plausible value of a JSON schema: its example, default, first enum or alternative, or a minimal valid value. */
function sample(raw: JsonSchema): unknown {
  const schema = resolveSchema(raw);
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return sample(alternatives.find((a) => a.type !== 'null') ?? alternatives[0]!);
  switch (schema.type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      const keys = new Set(schema.required ?? []);
      for (const [k] of props) if (keys.size < (schema.minProperties ?? 0)) keys.add(k);
      return Object.fromEntries(props.filter(([k]) => keys.has(k)).map(([k, v]) => [k, sample(v)]));
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => sample(schema.items ?? {}));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'date') return '2026-11-25';
      if (schema.format === 'date-time') return '2026-11-25T10:00:00.000Z';
      if (schema.format === 'uuid') return randomUUID();
      return 'Isolationstest'.padEnd(schema.minLength ?? 1, 'x');
    default:
      throw new Error(`cannot sample schema ${JSON.stringify(schema)}`);
  }
}

interface Built {
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** The request of `o` for path tenant `tenant` against the hattingen objects, with their real ETags. */
function buildRequest(o: Op, tenant: string, x: Targets, etags: Record<keyof Targets, string>): Built {
  let url = o.path.replace('{tenant}', tenant);
  const headers: Record<string, string> = {};
  let ifMatchObject: keyof Targets | undefined;
  for (const name of idParamsOf(o)) {
    const fill = FILL[name];
    if (!fill) throw new Error(`${o.id}: no value for path parameter {${name}}; add it to FILL`);
    url = url.replace(`{${name}}`, encodeURIComponent(fill.value(x)));
    if (fill.object) ifMatchObject = fill.object;
  }
  const query = new URLSearchParams();
  for (const p of o.op.parameters ?? []) {
    if (p.in === 'query' && p.required) {
      const value = p.example ?? p.schema?.default ?? p.schema?.example;
      if (value === undefined) throw new Error(`${o.id}: no value for required query parameter ${p.name}`);
      query.set(p.name, String(value));
    }
    if (p.in === 'header' && p.name === 'if-match' && ifMatchObject) headers['if-match'] = etags[ifMatchObject];
    if (p.in === 'header' && p.name === 'idempotency-key') headers['idempotency-key'] = `isolation-${randomUUID()}`;
  }
  if (query.size) url += `?${query}`;
  let payload: string | Buffer | undefined;
  if (RAW_BODY.has(o.id)) {
    payload = Buffer.from('%PDF-1.7 Isolationstest');
    headers['content-type'] = 'application/pdf';
    if (ifMatchObject && !headers['if-match']) headers['if-match'] = etags[ifMatchObject];
  } else if (o.op.requestBody?.content['application/zip']) {
    // An XDOMEA container: not a valid ZIP, but the wall answers before it is read.
    payload = Buffer.from('PK\u0003\u0004 Isolationstest');
    headers['content-type'] = 'application/zip';
  } else if (o.op.requestBody?.content['application/xml']) {
    // XDOMEA messages: a well-formed XML body (the wall answers before it is read).
    payload = '<?xml version="1.0" encoding="UTF-8"?><Isolationstest/>';
    headers['content-type'] = 'application/xml';
  } else if (o.op.requestBody) {
    const json = o.op.requestBody.content['application/json'];
    if (!json) throw new Error(`${o.id}: request body without application/json; add it to RAW_BODY or teach the test`);
    payload = JSON.stringify(json.example ?? sample(json.schema ?? {}));
    headers['content-type'] = 'application/json';
  }
  return { url, headers, payload };
}

const isNotFoundProblem = (res: LightMyRequestResponse, instance: string, details: string[]) => {
  expect(res.statusCode, `${instance}: ${res.body}`).toBe(404);
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(res.headers.etag, 'a 404 must not carry the ETag of the object').toBeUndefined();
  expect(res.headers.location).toBeUndefined();
  const body = res.json() as { detail: string };
  expect(details, `${instance}: ${body.detail}`).toContain(body.detail);
  expect(body).toEqual(problem('not-found', body.detail, instance));
};

let t: TestApp;
let targets: Targets;
let snapshot: () => Promise<Record<string, unknown>>;
let before: Record<string, unknown>;
let etags: Record<keyof Targets, string>;

/** Waits until the app answers /healthz (under-pressure refuses requests while the start-up blocked the loop). */
async function settled(app: TestApp['app']) {
  for (let i = 0; i < 100; i++) {
    if ((await app.inject({ method: 'GET', url: '/healthz' })).statusCode === 200) return;
    await sleep(100);
  }
  throw new Error('the app never became healthy');
}

const WITTEN_ROLES = ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor'];
const asWitten = async (method: string, b: Built) =>
  t.app.inject({
    method: method.toUpperCase() as 'GET',
    url: b.url,
    headers: { authorization: `Bearer ${await t.tokenFor('witten', WITTEN_ROLES)}`, ...b.headers },
    ...(b.payload === undefined ? {} : { payload: b.payload }),
  });

beforeAll(async () => {
  // A loopback receiver URL is allowed so that hattingen can subscribe; no worker runs, nothing is sent.
  t = await buildTestApp({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1' });
  await settled(t.app);
  const h = recordFactories(t, 'hattingen');
  const unit = await h.unit();
  const file = await h.file({ planCode: unit.code });
  const kase = await h.kase(file.id);
  const doc = await h.document(kase.id);
  const version = await h.upload(h.clerk, doc.id, 'Hattinger Inhalt', doc.etag);
  if (version.statusCode !== 201) throw new Error(`version: ${version.statusCode} ${version.body}`);
  const admin = h.as(['tenant-admin']);
  const client = await admin.post('/clients', { name: `Isolationstest ${randomUUID().slice(0, 8)}`, roles: ['clerk'] });
  if (client.statusCode !== 201) throw new Error(`client: ${client.statusCode} ${client.body}`);
  // The competence centre asks hattingen for support access: a grant in hattingen, still requested.
  const grant = await t.app.inject({
    method: 'POST',
    url: '/v1/tenants/hattingen/support-grants',
    headers: { authorization: `Bearer ${await t.tokenFor('kompetenzzentrum', ['support-agent'])}` },
    payload: { scope: 'read', reason: 'Isolationstest', ticket: 'KZ-ISO', durationHours: 1 },
  });
  if (grant.statusCode !== 201) throw new Error(`grant: ${grant.statusCode} ${grant.body}`);
  const webhook = await admin.post('/webhooks', { url: 'http://127.0.0.1:9/isolation', eventTypes: ['file.*'] });
  if (webhook.statusCode !== 201) throw new Error(`webhook: ${webhook.statusCode} ${webhook.body}`);
  const delivery = await admin.post(`/webhooks/${webhook.json().id}/test`, undefined);
  if (delivery.statusCode !== 202) throw new Error(`delivery: ${delivery.statusCode} ${delivery.body}`);
  // Disabled (its delivery cancelled), so that a worker of another test file never changes it.
  const disabled = await admin.post(`/webhooks/${webhook.json().id}/disable`, {}, { 'if-match': webhook.headers.etag as string });
  if (disabled.statusCode !== 200) throw new Error(`disable: ${disabled.statusCode} ${disabled.body}`);
  // An online service of hattingen, and a submission through it by its intake client.
  const serviceKey = `iso-${randomUUID().slice(0, 8)}`;
  const service = await admin.post('/online-services', { serviceKey, title: 'Isolation', formSchema: { type: 'object' }, planCode: unit.code, filing: 'file-per-applicant', caseTitle: 'Isolation' });
  if (service.statusCode !== 201) throw new Error(`service: ${service.statusCode} ${service.body}`);
  const submitted = await h.as(['intake']).post('/submissions', { serviceKey, submissionId: `iso-${randomUUID()}`, submittedAt: new Date().toISOString(), applicant: { name: 'Iso' }, formData: {} });
  if (submitted.statusCode !== 201) throw new Error(`submission: ${submitted.statusCode} ${submitted.body}`);
  // hattingen hands a second file over to en-kreis: a hand-over only those two tenants see.
  const handed = await h.file({ planCode: unit.code, title: 'Isolation-Abgabe' });
  const handover = await h.manager.post(`/files/${handed.id}/xdomea/handovers`, { recipient: 'en-kreis' });
  if (handover.statusCode !== 201) throw new Error(`handover: ${handover.statusCode} ${handover.body}`);
  // An XDOMEA export of hattingen's file as a job (no worker runs: it stays queued).
  const exported = await h.manager.post('/xdomea/exports', { message: '0401', fileIds: [file.id] });
  if (exported.statusCode !== 202) throw new Error(`export: ${exported.statusCode} ${exported.body}`);
  targets = {
    handoverId: handover.json().id,
    exportId: exported.json().id,
    serviceId: service.json().id,
    submissionId: submitted.json().id,
    unitId: unit.id,
    fileId: file.id,
    caseId: kase.id,
    documentId: doc.id,
    grantId: grant.json().id,
    clientId: client.json().id,
    webhookId: webhook.json().id,
    deliveryId: delivery.json().deliveryId,
  };

  const read = async (url: string, by = h.manager) => {
    const res = await by.get(url);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return { etag: res.headers.etag, body: res.json() as unknown };
  };
  snapshot = async () => ({
    unit: await read(`/file-plan/units/${unit.id}`),
    file: await read(`/files/${file.id}`),
    case: await read(`/cases/${kase.id}`),
    document: await read(`/documents/${doc.id}`),
    casesOfFile: (await read(`/files/${file.id}/cases`)).body,
    documentsOfCase: (await read(`/cases/${kase.id}/documents`)).body,
    versions: (await read(`/documents/${doc.id}/versions`)).body,
    content: (await h.manager.get(`/documents/${doc.id}/versions/1/content`)).body,
    grant: await read(`/support-grants/${targets.grantId}`, admin),
    client: await read(`/clients/${targets.clientId}`, admin),
    webhook: await read(`/webhooks/${targets.webhookId}`, admin),
    service: await read(`/online-services/${targets.serviceId}`, admin),
    submission: await read(`/submissions/${targets.submissionId}`),
    handover: (await read(`/xdomea/handovers/${targets.handoverId}`)).body,
    export: (await read(`/xdomea/exports/${targets.exportId}`)).body,
    deliveries: (await read(`/webhooks/${targets.webhookId}/deliveries`, admin)).body,
    // Reads are audited too (content downloads), so compare what other tenants' actors did to these objects.
    auditByOthers: await Promise.all(
      Object.entries(targets).filter(([k]) => k !== 'deliveryId' && k !== 'serviceId' && k !== 'submissionId' && k !== 'handoverId' && k !== 'exportId').map(async ([, id]) =>
        ((await read(`/audit/objects/${id}?limit=200`, admin)).body as { items: { actorTenant: string }[] }).items.filter((e) => e.actorTenant !== 'hattingen'),
      ),
    ),
  });
  before = await snapshot();
  const etagOf = (key: string) => (before[key] as { etag: string }).etag;
  etags = {
    unitId: etagOf('unit'),
    fileId: etagOf('file'),
    caseId: etagOf('case'),
    documentId: etagOf('document'),
    grantId: etagOf('grant'),
    clientId: etagOf('client'),
    webhookId: etagOf('webhook'),
    deliveryId: '',
    serviceId: etagOf('service'),
    submissionId: etagOf('submission'),
    handoverId: '',
    exportId: '',
  };
});
afterAll(() => t?.close());

describe('the operations the isolation tests are generated from', () => {
  it('are read from openapi.json, and every path parameter can be filled', () => {
    expect(tenantOperations.length).toBeGreaterThanOrEqual(25);
    expect(tenantOperations.map((o) => o.id)).toEqual(expect.arrayContaining(['getFile', 'updateDocument', 'addVersion', 'getVersionContent']));
    const missing = tenantOperations.filter((o) => unfillable(o).length > 0).map((o) => `${o.id}: {${unfillable(o).join('}, {')}}`);
    expect(missing, 'operations with path parameters the test cannot fill (add them to FILL)').toEqual([]);
  });

  it('cover every route the running app serves under /v1/tenants/{tenant}/ (openapi.json is not stale)', () => {
    const live = (t.app as unknown as { swagger(): OpenApi }).swagger();
    const liveOps = Object.entries(live.paths)
      .filter(([path]) => path.startsWith(TENANT_PREFIX))
      .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`));
    expect(tenantOperations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(liveOps.sort());
  });
});

describe("another tenant's token on hattingen's paths (witten → /v1/tenants/hattingen/…)", () => {
  for (const o of tenantOperations) {
    it(`${o.id}: ${o.method.toUpperCase()} ${o.path} → 404 not-found, nothing changed`, async () => {
      expect(unfillable(o), `path parameters without a value; add them to FILL`).toEqual([]);
      const req = buildRequest(o, 'hattingen', targets, etags);
      const res = await asWitten(o.method, req);
      isNotFoundProblem(res, req.url.split('?')[0]!, ['No such tenant']);
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe("hattingen's ids in another tenant's own paths (witten → /v1/tenants/witten/…/<hattingen id>)", () => {
  for (const o of tenantOperations.filter((x) => idParamsOf(x).length > 0)) {
    it(`${o.id}: ${o.method.toUpperCase()} ${o.path} → 404 not-found, nothing changed`, async () => {
      expect(unfillable(o), `path parameters without a value; add them to FILL`).toEqual([]);
      const req = buildRequest(o, 'witten', targets, etags);
      const res = await asWitten(o.method, req);
      const details = idParamsOf(o).map((p) => `No such ${FILL[p]!.resource}`);
      isNotFoundProblem(res, req.url.split('?')[0]!, details);
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe('the tenant itself', () => {
  it("GET /v1/tenants/hattingen with witten's token → 404, as for an unknown tenant", async () => {
    const res = await asWitten('get', { url: '/v1/tenants/hattingen', headers: {} });
    isNotFoundProblem(res, '/v1/tenants/hattingen', ['No such tenant']);
    const unknown = await asWitten('get', { url: '/v1/tenants/gibt-es-nicht', headers: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ ...(res.json() as object), instance: '/v1/tenants/gibt-es-nicht', requestId: unknown.json().requestId });
  });
});

describe('without a token', () => {
  for (const o of v1Operations) {
    it(`${o.id}: ${o.method.toUpperCase()} ${o.path} → 401`, async () => {
      const req = o.path.startsWith(TENANT_PREFIX)
        ? buildRequest(o, 'hattingen', targets, etags)
        : { url: o.path.replace('{tenant}', 'hattingen'), headers: {} as Record<string, string>, payload: undefined };
      const res = await t.app.inject({
        method: o.method.toUpperCase() as 'GET',
        url: req.url,
        headers: req.headers,
        ...(req.payload === undefined ? {} : { payload: req.payload }),
      });
      expect(res.statusCode, res.body).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toEqual(problem('unauthenticated', 'Send Authorization: Bearer <token>', req.url.split('?')[0]!));
    });
  }

  it('leaves the hattingen objects unchanged', async () => {
    expect(await snapshot()).toEqual(before);
  });
});
