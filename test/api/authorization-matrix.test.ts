import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { MACHINE_ROLES, MATRIX, ROLES } from '../support/authorization-matrix.js';
import { recordFactories } from '../support/records.js';

/**
 * Who may call what, for every operation of openapi/openapi.json. The expectations (MATRIX, in
 * test/support/authorization-matrix.ts) are written by hand from the permission matrix in the
 * README (not derived from src/), and the test fails when an operation has no entry. "allowed"
 * means authorization passed: any status but 401/403/404 (writes are sent with a stale If-Match
 * where they need one, so nothing changes but creations). test/contract/roles.test.ts holds the
 * document's declared roles (x-required-roles) against the same MATRIX.
 */
const TOWN = 'wetter';

interface Operation { id: string; method: string; path: string }
const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { operationId?: string }>>;
};
const OPERATIONS: Operation[] = Object.entries(spec.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ id: op.operationId ?? `${method} ${path}`, method: method.toUpperCase(), path })),
);

let t: TestApp;
const ids: Record<string, string> = {};
let grantId = '';

beforeAll(async () => {
  t = await buildTestApp({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1' });
  const f = recordFactories(t, TOWN);
  const unit = await f.unit();
  const file = (await f.clerk.post('/files', { planCode: unit.code, title: 'Matrix' })).json();
  const kase = (await f.clerk.post(`/files/${file.id}/cases`, { title: 'Matrix' })).json();
  const doc = await f.clerk.post(`/cases/${kase.id}/documents`, { title: 'Matrix', kind: 'note' });
  await f.clerk.post(`/documents/${doc.json().id}/versions`, Buffer.from('matrix'), { 'content-type': 'text/plain', 'if-match': doc.headers.etag as string });
  const client = (await f.as(['tenant-admin']).post('/clients', { name: 'Matrix', roles: ['reader'] })).json();
  // A read grant for the competence-centre caller "kk.matrix", approved by the town.
  const ccToken = await t.tokenFor('kompetenzzentrum', ['support-agent'], 'kk.matrix');
  const requested = await t.app.inject({
    method: 'POST', url: `/v1/tenants/${TOWN}/support-grants`, headers: { authorization: `Bearer ${ccToken}` },
    payload: { scope: 'read', reason: 'matrix test', durationHours: 2 },
  });
  grantId = requested.json().id;
  const approve = await f.as(['tenant-admin']).post(`/support-grants/${grantId}/approve`, undefined, { 'if-match': requested.headers.etag as string });
  expect(approve.statusCode, `${requested.body} ${approve.body}`).toBe(200);
  const created = await f.as(['tenant-admin']).post('/webhooks', { url: 'http://127.0.0.1:9/matrix', eventTypes: ['*'] });
  const webhook = created.json();
  const delivery = (await f.as(['tenant-admin']).post(`/webhooks/${webhook.id}/test`, undefined)).json();
  // Disabled, so that no worker of another test file tries to deliver to it.
  await f.as(['tenant-admin']).post(`/webhooks/${webhook.id}/disable`, {}, { 'if-match': created.headers.etag as string });
  // An online service of the town and one submission through it (by an intake client).
  const service = await f.as(['tenant-admin']).post('/online-services', {
    serviceKey: 'matrix-0', title: 'Matrix', formSchema: { type: 'object' }, planCode: unit.code, filing: 'file-per-applicant', caseTitle: 'Matrix',
  });
  expect(service.statusCode, service.body).toBe(201);
  const submitted = await f.as(['intake']).post('/submissions', submissionBody());
  expect(submitted.statusCode, submitted.body).toBe(201);
  // A hand-over from hattingen to the town (the town decides on it; witten sees nothing of it), decided already
  // so that accept/refuse answer 409 for whoever may decide, and its 0402 exists.
  const h = recordFactories(t, 'hattingen');
  const hFile = await h.file({ planCode: (await h.unit()).code, title: 'Matrix-Abgabe' });
  const handover = await h.manager.post(`/files/${hFile.id}/xdomea/handovers`, { recipient: TOWN });
  expect(handover.statusCode, handover.body).toBe(201);
  const refusedHandover = await f.manager.post(`/xdomea/handovers/${handover.json().id}/refuse`, { reason: 'matrix' });
  expect(refusedHandover.statusCode, refusedHandover.body).toBe(200);
  // An XDOMEA export of the file as a job (no worker runs here: it stays queued).
  const exported = await f.clerk.post('/xdomea/exports', { message: '0401', fileIds: [file.id] });
  expect(exported.statusCode, exported.body).toBe(202);
  Object.assign(ids, {
    serviceId: service.json().id, submissionId: submitted.json().id,
    tenant: TOWN, unitId: unit.id, unitCode: unit.code, fileId: file.id, caseId: kase.id, documentId: doc.json().id, number: '1', clientId: client.id, grantId, objectId: file.id,
    webhookId: webhook.id, deliveryId: delivery.deliveryId, handoverId: handover.json().id, exportId: exported.json().id, uploadId: 'a'.repeat(32),
    code: 'not-found',
  });
});
afterAll(() => t.close());

const submissionBody = () => ({
  serviceKey: 'matrix-0', submissionId: `matrix-${Math.random().toString(36).slice(2, 10)}`, submittedAt: new Date().toISOString(),
  applicant: { name: 'Matrix' }, formData: {},
});

const bodies: Record<string, () => unknown> = {
  createOnlineService: () => ({ serviceKey: `m-${Math.random().toString(36).slice(2, 10)}`, title: 'm', formSchema: { type: 'object' }, planCode: ids.unitCode, filing: 'file-per-applicant', caseTitle: 'm', active: false }),
  updateOnlineService: () => ({ title: 'm' }), submitApplication: submissionBody, transitionSubmission: () => ({ to: 'accepted' }),
  reportPayment: () => ({ submissionId: 'matrix-none', status: 'paid', amountCents: 1, transactionReference: 'm' }),
  createFilePlanUnit: () => ({ code: `M${Math.random().toString(36).slice(2, 8)}`, title: 'm', retentionYears: 1, disposal: 'B' }),
  importFilePlan: () => ({ units: [{ code: `M${Math.random().toString(36).slice(2, 8)}`, title: 'm', retentionYears: 1, disposal: 'B' }] }),
  updateFilePlanUnit: () => ({ title: 'm' }), createFile: () => ({ planUnitId: ids.unitId, title: 'm' }), updateFile: () => ({ title: 'm' }),
  closeFile: () => ({}), reopenFile: () => ({ reason: 'matrix' }), createCase: () => ({ title: 'm' }), updateCase: () => ({ title: 'm' }),
  closeCase: () => ({}), reopenCase: () => ({ reason: 'matrix' }), createDocument: () => ({ title: 'm', kind: 'note' }),
  updateDocument: () => ({ title: 'm' }), checkOutDocument: () => ({ minutes: 1 }), createClient: () => ({ name: 'm', roles: ['reader'] }),
  requestSupportGrant: () => ({ scope: 'read', reason: 'matrix', durationHours: 1 }),
  approveSupportGrant: () => ({}), rejectSupportGrant: () => ({}), revokeSupportGrant: () => ({}), retireFilePlanUnit: () => undefined,
  rotateClientSecret: () => undefined, disableClient: () => undefined,
  createWebhook: () => ({ url: 'http://127.0.0.1:9/matrix', eventTypes: ['file.created'] }), updateWebhook: () => ({ eventTypes: ['*'] }),
  disableWebhook: () => ({}), enableWebhook: () => undefined, rotateWebhookSecret: () => undefined, testWebhook: () => undefined,
  redeliverWebhookDelivery: () => undefined,
  overrideRetention: () => ({ retentionYears: 5, reason: 'matrix' }), placeHold: () => ({ reason: 'matrix' }),
  recordArchiveDecision: () => ({ decision: 'A', decidedBy: 'matrix' }), confirmFileArchived: () => ({ archiveReference: 'matrix' }),
  destroyFile: () => ({}), offerFileForDisposal: () => undefined,
  startXdomeaHandover: () => ({ recipient: 'hattingen' }), acceptXdomeaHandover: () => ({ planCode: 'X1' }), refuseXdomeaHandover: () => ({ reason: 'matrix' }),
  offerFilesXdomea: () => ({ fileIds: [ids.fileId] }), requestExportXdomea: () => ({ message: '0401', fileIds: [ids.fileId] }),
  updateTenantSettings: () => ({ wormMode: 'GOVERNANCE' }), previewReference: () => ({ referencePattern: '{plan}/{seq}/{yy}', planCode: 'M1' }),
};

/** Required query parameters of GET operations. */
const queries: Record<string, string> = { search: 'q=Matrix', importAbgabeXdomea: 'planCode=X1', importAussonderungXdomea: 'planCode=X1' };

async function call(op: Operation, authorization?: string) {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (!(name in ids)) throw new Error(`${op.id}: no fixture for path parameter {${name}}`);
    return ids[name]!;
  });
  const url = queries[op.id] ? `${path}?${queries[op.id]}` : path;
  const headers: Record<string, string> = { 'if-match': '"stale"' };
  if (authorization) headers.authorization = authorization;
  let payload: string | Buffer | undefined;
  if (op.id === 'addVersion') {
    headers['content-type'] = 'text/plain';
    payload = Buffer.from('x');
  } else if (op.method !== 'GET' && op.method !== 'DELETE' && bodies[op.id]?.() !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(bodies[op.id]!());
  }
  return t.app.inject({ method: op.method as 'GET', url, headers, payload });
}

const bearer = async (tenant: string, roles: string[], sub?: string) => `Bearer ${await t.tokenFor(tenant, roles, sub)}`;
const isAllowed = (status: number) => ![401, 403, 404].includes(status) && status < 500;

describe('authorization matrix over every operation of openapi.json', () => {
  it('has an entry for every operation, and every path parameter has a fixture', () => {
    expect(OPERATIONS.map((o) => o.id).filter((id) => !(id in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((id) => !OPERATIONS.some((o) => o.id === id))).toEqual([]);
  });

  for (const op of OPERATIONS) {
    const e = MATRIX[op.id] ?? {};
    if (e.kind === 'public') continue;
    // As the tenant context counts them: HEAD is a read.
    const isWrite = op.method !== 'GET' && op.method !== 'HEAD';

    it(`${op.id}: every role of ${TOWN}, another tenant, the competence centre with and without a grant, no token`, async () => {
      const seen: Record<string, number> = {};
      seen.anonymous = (await call(op)).statusCode;
      for (const role of ROLES) seen[role] = (await call(op, await bearer(TOWN, [role]))).statusCode;
      seen['other-tenant'] = (await call(op, await bearer('witten', [...ROLES]))).statusCode;
      seen['cc-without-grant'] = (await call(op, await bearer('kompetenzzentrum', ['support-agent'], 'kk.nogrant'))).statusCode;
      seen['cc-read-grant'] = (await call(op, await bearer('kompetenzzentrum', ['support-agent'], 'kk.matrix'))).statusCode;

      const expected: Record<string, string> = { anonymous: '401' };
      if (e.kind === 'directory') {
        for (const role of ROLES) expected[role] = 'allowed';
        expected['other-tenant'] = op.id === 'getTenant' ? '404' : 'allowed';
        expected['cc-without-grant'] = 'allowed';
        expected['cc-read-grant'] = 'allowed';
      } else {
        for (const role of ROLES) expected[role] = e.roles!.includes(role) ? 'allowed' : '403';
        expected['other-tenant'] = '404';
        expected['cc-without-grant'] = e.cc === 'allowed' ? 'allowed' : '404';
        // Under a read grant: the grant routes as competence centre; elsewhere reads as a reader, writes refused.
        expected['cc-read-grant'] = e.cc ? 'allowed' : isWrite ? '404' : e.roles!.includes('reader') ? 'allowed' : '403';
      }
      const classified = Object.fromEntries(
        Object.entries(seen).map(([who, status]) => [who, expected[who] === 'allowed' && isAllowed(status) ? 'allowed' : String(status)]),
      );
      expect(classified).toEqual(expected);
    });
  }
});

describe('the machine roles of the online services', () => {
  it('lets an intake client submit and a payment provider report, and nothing else', async () => {
    const intake = await bearer(TOWN, ['intake']);
    const epaybl = await bearer(TOWN, ['payment-provider']);
    const byOp = (id: string) => OPERATIONS.find((o) => o.id === id)!;
    expect((await call(byOp('submitApplication'), intake)).statusCode).toBe(201);
    expect((await call(byOp('reportPayment'), epaybl)).statusCode).toBe(404);
    for (const id of ['getSubmission', 'listSubmissions', 'transitionSubmission', 'createOnlineService', 'listFiles', 'reportPayment']) {
      expect((await call(byOp(id), intake)).statusCode, id).toBe(403);
    }
    for (const id of ['getSubmission', 'transitionSubmission', 'submitApplication', 'listOnlineServices', 'listFiles']) {
      expect((await call(byOp(id), epaybl)).statusCode, id).toBe(403);
    }
    expect((await call(byOp('listOnlineServices'), intake)).statusCode).toBe(200);
  });

  it('refuses every machine role (403) wherever MATRIX names no machine role, across every tenant operation', async () => {
    const seen: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const op of OPERATIONS) {
      const e = MATRIX[op.id] ?? {};
      if (e.kind) continue;
      for (const role of MACHINE_ROLES) {
        const status = (await call(op, await bearer(TOWN, [role]))).statusCode;
        const key = `${op.id} as ${role}`;
        // reportPayment passes authorization and finds no submission "matrix-none": 404 there is the allowed answer.
        const allowed = e.machine?.includes(role) ?? false;
        expected[key] = allowed ? 'allowed' : '403';
        seen[key] = allowed && (isAllowed(status) || (op.id === 'reportPayment' && status === 404)) ? 'allowed' : String(status);
      }
    }
    expect(seen).toEqual(expected);
  });
});

describe('the public problem types', () => {
  it('answer anyone alike: no token, any role of any tenant, the competence centre', async () => {
    for (const id of ['listProblemTypes', 'getProblemType']) {
      const op = OPERATIONS.find((o) => o.id === id)!;
      const seen = [
        (await call(op)).statusCode,
        (await call(op, await bearer(TOWN, ['reader']))).statusCode,
        (await call(op, await bearer('witten', [...ROLES]))).statusCode,
        (await call(op, await bearer('kompetenzzentrum', ['support-agent'], 'kk.nogrant'))).statusCode,
        (await call(op, 'Bearer not-a-token')).statusCode,
      ];
      expect(seen, id).toEqual([200, 200, 200, 200, 200]);
    }
  });
});
