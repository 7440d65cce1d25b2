import fc from 'fast-check';
import type PgBoss from 'pg-boss';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gewerbe, parkerleichterung, schwerbehindertenausweis, SERVICE_KEYS, sperrmuell, submission } from '../../examples/portal-forms.js';
import { serverOptions, VERSION } from '../../src/app.js';
import { jobDepsOf, jobHandlers, QUEUES } from '../../src/jobs/index.js';
import { createServices } from '../../src/services.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { germanYearNow } from '../support/records.js';
import { multipartBody, setUpServices, sha256, startCitizenIdp } from '../support/online.js';

/**
 * Online services end to end: the portal's intake client files a submission of each of
 * Hattingen's four services, the clerk moves it through FIT-Connect's states, ePayBL reports the
 * payment, and the citizen looks it up. A database of its own: the file counts rows and events.
 */
let t: TestApp;
let owner: pg.Client;
let idp: Awaited<ReturnType<typeof startCitizenIdp>>;
const YEAR = germanYearNow();

beforeAll(async () => {
  idp = await startCitizenIdp();
  const db = await isolatedDatabase('online');
  t = await buildTestApp({ ...db.env, S3_BUCKET_PREFIX: 'en-akte-online-', ...idp.env, STATUS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '10000' });
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  await setUpServices(t, 'hattingen');
  await setUpServices(t, 'en-kreis');
});
afterAll(async () => {
  await owner.end();
  await t.close();
  await idp.close();
});

const as = async (tenant: string, roles: string[], sub?: string) => `Bearer ${await t.tokenFor(tenant, roles, sub, roles.includes('intake') || roles.includes('payment-provider') ? { client_id: `${roles[0]}-client` } : {})}`;
async function submit(tenant: string, body: unknown, files: Parameters<typeof multipartBody>[1] = []) {
  const authorization = await as(tenant, ['intake'], 'portal');
  if (!files.length) return t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/submissions`, headers: { authorization }, payload: body as object });
  const { payload, contentType } = multipartBody(body, files);
  return t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/submissions`, headers: { authorization, 'content-type': contentType }, payload });
}
const get = async (tenant: string, url: string, roles = ['clerk']) => t.app.inject({ method: 'GET', url: `/v1/tenants/${tenant}${url}`, headers: { authorization: await as(tenant, roles) } });
async function move(tenant: string, id: string, body: Record<string, unknown>) {
  const read = await get(tenant, `/submissions/${id}`);
  return t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/submissions/${id}/transitions`, headers: { authorization: await as(tenant, ['clerk']), 'if-match': read.headers.etag as string }, payload: body });
}
async function pay(tenant: string, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/payments`, headers: { authorization: await as(tenant, ['payment-provider'], 'epaybl') }, payload: body });
}
async function upload(tenant: string, caseId: string, title: string) {
  const doc = await t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/cases/${caseId}/documents`, headers: { authorization: await as(tenant, ['clerk']) }, payload: { title, kind: 'decision' } });
  const v = await t.app.inject({
    method: 'POST', url: `/v1/tenants/${tenant}/documents/${doc.json().id}/versions?filename=bescheid.pdf`,
    headers: { authorization: await as(tenant, ['clerk']), 'if-match': doc.headers.etag as string, 'content-type': 'application/pdf' }, payload: Buffer.from('%PDF-1.4 Bescheid'),
  });
  expect(v.statusCode).toBe(201);
  return doc.json().id as string;
}
const events = async (subjectId: string) =>
  (await owner.query<{ type: string; slug: string; data: Record<string, unknown> }>(
    'SELECT e.type, t.slug, e.data FROM outbox_event e JOIN tenant t ON t.id = e.tenant_id WHERE e.subject_id = $1 ORDER BY e.audit_seq', [subjectId])).rows;
const status = (token: string) => t.app.inject({ method: 'GET', url: `/v1/status/${token}` });
const counts = async () =>
  (await owner.query<Record<string, string>>(`SELECT (SELECT count(*) FROM submission) s, (SELECT count(*) FROM submission_receipt) r, (SELECT count(*) FROM record_file) f,
    (SELECT count(*) FROM record_document) d, (SELECT count(*) FROM document_version) v, (SELECT count(*) FROM version_upload) u, (SELECT count(*) FROM outbox_event) e,
    (SELECT count(*) FROM submission_status_index) i`)).rows[0];

describe('Gewerbeanzeige (paid, a case in the running file)', () => {
  it('files, waits for the payment, moves through every state, and tells the citizen', async () => {
    const pdf = Buffer.from('%PDF-1.4 Personalausweis (Kopie)');
    const body = submission(SERVICE_KEYS.gewerbe, gewerbe(), {
      accountId: 'bundid:pseudo:gewerbe-0001',
      payment: { status: 'open', amountCents: 2600, transactionReference: 'EPAYBL-1' },
      attachments: [{ part: 'ausweis', title: 'Personalausweis', filename: 'ausweis.pdf', mediaType: 'application/pdf', sha256: sha256(pdf) }],
    });
    const res = await submit('hattingen', body, [{ part: 'ausweis', filename: 'ausweis.pdf', type: 'application/pdf', bytes: pdf }]);
    expect(res.statusCode, res.body).toBe(201);
    const answer = res.json();
    expect(answer).toEqual({
      id: expect.any(String), submissionId: body.submissionId, state: 'received', forwarded: false,
      filedWith: { tenant: 'hattingen', name: 'Stadt Hattingen' },
      statusToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), statusUrl: `${t.config.publicUrl.replace(/\/$/, '')}/v1/status/${answer.statusToken}`,
    });

    // Where it was filed: a case in "Gewerbeanzeigen <year>" under 32.10.01, three documents.
    const s = (await get('hattingen', `/submissions/${answer.id}`)).json();
    expect(s).toMatchObject({ submissionId: body.submissionId, serviceKey: SERVICE_KEYS.gewerbe, receivedFrom: 'hattingen', state: 'received', paymentRequired: true, payment: { status: 'open', amountCents: 2600, transactionReference: 'EPAYBL-1' }, overdue: false });
    const file = (await get('hattingen', `/files/${s.fileId}`)).json();
    expect(file).toMatchObject({ title: `Gewerbeanzeigen ${YEAR}`, planCode: '32.10.01', status: 'open' });
    const kase = (await get('hattingen', `/cases/${s.caseId}`)).json();
    expect(kase).toMatchObject({ fileId: s.fileId, title: 'Gewerbe-anmeldung: Bäckerei Yılmaz' });
    const docs = (await get('hattingen', `/cases/${s.caseId}/documents`)).json().items as { id: string; title: string; kind: string; versionCount: number }[];
    expect(docs.map((d) => [d.title, d.kind, d.versionCount])).toEqual([
      ['Gewerbeanzeige (An-, Um-, Abmeldung): Antragsdaten', 'application', 1],
      ['Gewerbeanzeige (An-, Um-, Abmeldung): Antrag (lesbar)', 'form', 1],
      ['Personalausweis', 'other', 1],
    ]);
    expect(docs[0]!.id).toBe(s.formDocumentId);
    const json = await get('hattingen', `/documents/${docs[0]!.id}/versions/1/content`);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(json.body).formData).toEqual(body.formData);
    const text = (await get('hattingen', `/documents/${docs[1]!.id}/versions/1/content`)).body;
    expect(text).toContain('Angemeldete Tätigkeit (Feld 15): Herstellung und Verkauf von Backwaren');
    expect(text).toContain('Geschäftsbezeichnung: Bäckerei Yılmaz');
    const att = await get('hattingen', `/documents/${docs[2]!.id}/versions/1`);
    expect(att.json()).toMatchObject({ sha256: sha256(pdf), size: pdf.length, mediaType: 'application/pdf', filename: 'ausweis.pdf' });

    // A second Gewerbeanzeige goes into the same running file.
    const second = await submit('hattingen', submission(SERVICE_KEYS.gewerbe, gewerbe('Friseur Lange'), { payment: { status: 'paid', amountCents: 2600, transactionReference: 'EPAYBL-2' } }));
    expect(second.statusCode, second.body).toBe(201);
    expect((await get('hattingen', `/submissions/${second.json().id}`)).json().fileId).toBe(s.fileId);

    // Not accepted while unpaid; ePayBL's report is idempotent.
    const early = await move('hattingen', answer.id, { to: 'accepted' });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'conflict', detail: 'The service requires payment; the payment is open' });
    const paid = { submissionId: body.submissionId, status: 'paid', amountCents: 2600, transactionReference: 'EPAYBL-1' };
    expect((await pay('hattingen', paid)).json()).toEqual({ ...paid, changed: true });
    expect((await pay('hattingen', paid)).json()).toEqual({ ...paid, changed: false });
    expect((await pay('hattingen', { ...paid, status: 'failed' })).statusCode).toBe(409);

    for (const to of ['accepted', 'in-progress'] as const) expect((await move('hattingen', answer.id, { to })).json().state).toBe(to);
    const noBescheid = await move('hattingen', answer.id, { to: 'decided' });
    expect(noBescheid.statusCode).toBe(422);
    expect(noBescheid.json().errors).toEqual([{ path: '/decisionDocumentId', message: 'is required for decided' }]);
    const bescheid = await upload('hattingen', s.caseId, 'Gewerbeanmeldung: Empfangsbescheinigung');
    const decided = await move('hattingen', answer.id, { to: 'decided', decisionDocumentId: bescheid });
    expect(decided.json()).toMatchObject({ state: 'decided', decisionDocumentId: bescheid });
    expect((await move('hattingen', answer.id, { to: 'closed' })).json().state).toBe('closed');
    expect((await move('hattingen', answer.id, { to: 'accepted' })).statusCode).toBe(409);

    // The citizen: only service, state, date, authority.
    const looked = await status(answer.statusToken);
    expect(looked.statusCode).toBe(200);
    expect(looked.json()).toEqual({ service: 'Gewerbeanzeige (An-, Um-, Abmeldung)', state: 'closed', since: expect.any(String), authority: 'Stadt Hattingen' });

    expect((await events(answer.id)).map((e) => [e.slug, e.type, e.data.to ?? e.data.status ?? null])).toEqual([
      ['hattingen', 'submission.received', null],
      ['hattingen', 'submission.payment-changed', 'paid'],
      ['hattingen', 'submission.state-changed', 'accepted'],
      ['hattingen', 'submission.state-changed', 'in-progress'],
      ['hattingen', 'submission.state-changed', 'decided'],
      ['hattingen', 'submission.state-changed', 'closed'],
    ]);
  });
});

describe('Sperrmüll / Elektroschrott (free, JSON without attachments)', () => {
  it('files in its running file, and a rejection with reason closes it', async () => {
    const body = submission(SERVICE_KEYS.sperrmuell, sperrmuell());
    const res = await submit('hattingen', body);
    expect(res.statusCode, res.body).toBe(201);
    const s = (await get('hattingen', `/submissions/${res.json().id}`)).json();
    expect((await get('hattingen', `/files/${s.fileId}`)).json()).toMatchObject({ title: `Sperrmüll- und Elektroschrottabholung ${YEAR}`, planCode: '70.20.01' });
    expect((await get('hattingen', `/cases/${s.caseId}`)).json().title).toBe('Abholung beides: Heggerstraße 12');
    const noReason = await move('hattingen', s.id, { to: 'rejected' });
    expect(noReason.json().errors).toEqual([{ path: '/reason', message: 'is required for rejected' }]);
    expect((await move('hattingen', s.id, { to: 'rejected', reason: 'Elektroschrott wird nur am Wertstoffhof angenommen' })).json()).toMatchObject({ state: 'rejected', stateReason: 'Elektroschrott wird nur am Wertstoffhof angenommen' });
    expect((await move('hattingen', s.id, { to: 'closed' })).json().state).toBe('closed');
    expect((await status(res.json().statusToken)).json()).toMatchObject({ service: 'Sperrmüll- und Elektroschrottabholung', state: 'closed', authority: 'Stadt Hattingen' });
    expect((await events(s.id)).map((e) => e.type)).toEqual(['submission.received', 'submission.state-changed', 'submission.state-changed']);
  });
});

describe('Parkerleichterung (a file per applicant) and the citizen\'s own lookup', () => {
  it('opens a file for the applicant and lists it for the citizen signed in with that account', async () => {
    const accountId = 'bundid:pseudo:schulte-1951';
    const body = submission(SERVICE_KEYS.parkerleichterung, parkerleichterung(), { accountId });
    const res = await submit('hattingen', body);
    expect(res.statusCode, res.body).toBe(201);
    const s = (await get('hattingen', `/submissions/${res.json().id}`)).json();
    expect((await get('hattingen', `/files/${s.fileId}`)).json()).toMatchObject({ title: 'Parkerleichterung Schulte, Heinz', planCode: '32.30.05' });
    expect((await move('hattingen', s.id, { to: 'accepted' })).statusCode).toBe(200);

    const mine = await t.app.inject({ method: 'GET', url: '/v1/citizen/applications', headers: { authorization: `Bearer ${await idp.sign(accountId)}` } });
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json()).toEqual({ items: [{ service: 'Parkerleichterung für schwerbehinderte Menschen', state: 'accepted', since: expect.any(String), authority: 'Stadt Hattingen' }] });
    const other = await t.app.inject({ method: 'GET', url: '/v1/citizen/applications', headers: { authorization: `Bearer ${await idp.sign('bundid:pseudo:someone-else')}` } });
    expect(other.json()).toEqual({ items: [] });
    // A token of our own service, or for another audience, is no citizen token.
    const ours = await t.app.inject({ method: 'GET', url: '/v1/citizen/applications', headers: { authorization: await as('hattingen', ['clerk'], accountId) } });
    expect(ours.statusCode).toBe(401);
    const aud = await t.app.inject({ method: 'GET', url: '/v1/citizen/applications', headers: { authorization: `Bearer ${await idp.sign(accountId, { audience: 'other' })}` } });
    expect(aud.statusCode).toBe(401);
  });
});

describe('Schwerbehindertenausweis: sent to Hattingen, filed with the Kreis', () => {
  it('lands with en-kreis and nowhere else; Hattingen sees only where it went', async () => {
    const befund = Buffer.from('%PDF-1.4 Befundbericht');
    const body = submission(SERVICE_KEYS.schwerbehindertenausweis, schwerbehindertenausweis(), {
      attachments: [{ part: 'befund', title: 'Befundbericht', filename: 'befund.pdf', mediaType: 'application/pdf', sha256: sha256(befund) }],
    });
    const res = await submit('hattingen', body, [{ part: 'befund', filename: 'befund.pdf', type: 'application/pdf', bytes: befund }]);
    expect(res.statusCode, res.body).toBe(201);
    const answer = res.json();
    expect(answer).toMatchObject({ state: 'received', forwarded: true, filedWith: { tenant: 'en-kreis', name: 'Ennepe-Ruhr-Kreis' } });

    const kreis = (await get('en-kreis', `/submissions/${answer.id}`)).json();
    expect(kreis).toMatchObject({ receivedFrom: 'hattingen', serviceKey: SERVICE_KEYS.schwerbehindertenausweis, state: 'received' });
    expect((await get('en-kreis', `/files/${kreis.fileId}`)).json()).toMatchObject({ title: 'SGB IX erstantrag: Kowalski, Marta', planCode: '50.30.01' });
    const town = await get('hattingen', `/submissions/${answer.id}`);
    expect(town.json()).toEqual({ id: answer.id, submissionId: body.submissionId, serviceKey: SERVICE_KEYS.schwerbehindertenausweis, state: 'forwarded', forwardedTo: { tenant: 'en-kreis', name: 'Ennepe-Ruhr-Kreis' }, createdAt: expect.any(String) });
    expect((await get('hattingen', `/files/${kreis.fileId}`)).statusCode).toBe(404);
    expect((await get('witten', `/submissions/${answer.id}`)).statusCode).toBe(404);

    // Every record of it is the Kreis's: file, case, the three documents, their versions.
    const where = await owner.query<{ slug: string; n: string }>(
      `SELECT t.slug, count(*) AS n FROM record_document d JOIN tenant t ON t.id = d.tenant_id WHERE d.metadata->>'submissionId' = $1 GROUP BY t.slug`, [answer.id]);
    expect(where.rows).toEqual([{ slug: 'en-kreis', n: '3' }]);
    const rows = await owner.query<{ tbl: string; slug: string }>(
      `SELECT 'submission' AS tbl, t.slug FROM submission s JOIN tenant t ON t.id = s.tenant_id WHERE s.id = $1
       UNION ALL SELECT 'receipt', t.slug FROM submission_receipt r JOIN tenant t ON t.id = r.tenant_id WHERE r.id = $1 ORDER BY 1`, [answer.id]);
    expect(rows.rows).toEqual([{ tbl: 'receipt', slug: 'hattingen' }, { tbl: 'submission', slug: 'en-kreis' }]);
    expect((await events(answer.id)).map((e) => [e.slug, e.type])).toEqual([['en-kreis', 'submission.received'], ['hattingen', 'submission.forwarded']]);
    expect((await status(answer.statusToken)).json()).toMatchObject({ state: 'received', authority: 'Ennepe-Ruhr-Kreis' });

    // A retry of the same submission answers as the first time and files nothing more.
    const before = await counts();
    const again = await submit('hattingen', body, [{ part: 'befund', filename: 'befund.pdf', type: 'application/pdf', bytes: befund }]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(answer);
    expect(await counts()).toEqual(before);
  });
});

describe('bad input is refused with problem+json, and nothing is stored', () => {
  const refusals: [string, () => Promise<LightMyRequestResponse>, number, string, unknown][] = [];
  it('refuses each case of the issue', async () => {
    const gew = submission(SERVICE_KEYS.gewerbe, gewerbe());
    const filed = await submit('hattingen', gew);
    expect(filed.statusCode).toBe(201);
    const bad = gewerbe() as Record<string, unknown>;
    bad.beginn = '15.12.2026';
    bad.rechtsform = 'kiosk';
    delete bad.taetigkeit;
    const pdf = Buffer.from('%PDF echt');
    refusals.push(
      ['form fails the schema', () => submit('hattingen', submission(SERVICE_KEYS.gewerbe, bad)), 422, 'form-invalid',
        [{ path: '/formData/taetigkeit', message: "must have required property 'taetigkeit'" }, { path: '/formData/beginn', message: 'must match format "date"' }, { path: '/formData/rechtsform', message: 'must be equal to one of the allowed values' }]],
      ['Abmeldung without its dates (if/then)', () => submit('hattingen', submission(SERVICE_KEYS.gewerbe, { ...gewerbe(), anzeigeart: 'abmeldung' })), 422, 'form-invalid',
        [{ path: '/formData/abmeldung', message: "must have required property 'abmeldung'" }]],
      ['attachment hash differs', () => submit('hattingen', submission(SERVICE_KEYS.gewerbe, gewerbe(), { attachments: [{ part: 'a', title: 'A', filename: 'a.pdf', mediaType: 'application/pdf', sha256: sha256('anders') }] }), [{ part: 'a', filename: 'a.pdf', type: 'application/pdf', bytes: pdf }]), 422, 'form-invalid',
        [{ path: '/attachments/0/sha256', message: `the received content has SHA-256 ${sha256(pdf)}` }]],
      ['declared attachment missing', () => submit('hattingen', submission(SERVICE_KEYS.gewerbe, gewerbe(), { attachments: [{ part: 'a', title: 'A', filename: 'a.pdf', mediaType: 'application/pdf', sha256: sha256(pdf) }] }), [{ part: 'b', filename: 'b.pdf', type: 'application/pdf', bytes: pdf }]), 422, 'form-invalid',
        [{ path: '/attachments/0/part', message: 'the next file part is "b"' }]],
      ['unknown service', () => submit('hattingen', submission('99999999999999', {})), 422, 'form-invalid', [{ path: '/serviceKey', message: 'is not offered by this tenant' }]],
      ['tenant does not offer it', () => submit('witten', submission(SERVICE_KEYS.gewerbe, gewerbe())), 422, 'form-invalid', [{ path: '/serviceKey', message: 'is not offered by this tenant' }]],
      ['replay with a different body', () => submit('hattingen', { ...gew, formData: gewerbe('Anderer Name') }), 422, 'submission-id-reused', undefined],
      ['not an intake client', async () => t.app.inject({ method: 'POST', url: '/v1/tenants/hattingen/submissions', headers: { authorization: await as('hattingen', ['clerk']) }, payload: submission(SERVICE_KEYS.sperrmuell, sperrmuell()) }), 403, 'forbidden', undefined],
      ['status token of the wrong shape', () => status('kurz'), 400, 'validation-failed', undefined],
    );
    for (const [what, send, statusCode, code, list] of refusals) {
      const before = await counts();
      const res = await send();
      expect(res.statusCode, `${what}: ${res.body}`).toBe(statusCode);
      expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      expect(res.json().code, what).toBe(code);
      if (list) expect(res.json().errors, what).toEqual(list);
      expect(await counts(), what).toEqual(before);
    }
  });

  it('refuses a switched-off service', async () => {
    const admin = await as('hattingen', ['tenant-admin']);
    const list = (await t.app.inject({ method: 'GET', url: '/v1/tenants/hattingen/online-services', headers: { authorization: admin } })).json().items as { id: string; serviceKey: string }[];
    const id = list.find((s) => s.serviceKey === SERVICE_KEYS.sperrmuell)!.id;
    const flip = async (active: boolean) => {
      const read = await t.app.inject({ method: 'GET', url: `/v1/tenants/hattingen/online-services/${id}`, headers: { authorization: admin } });
      expect((await t.app.inject({ method: 'PATCH', url: `/v1/tenants/hattingen/online-services/${id}`, headers: { authorization: admin, 'if-match': read.headers.etag as string }, payload: { active } })).statusCode).toBe(200);
    };
    await flip(false);
    const res = await submit('hattingen', submission(SERVICE_KEYS.sperrmuell, sperrmuell()));
    expect(res.json()).toMatchObject({ status: 422, code: 'form-invalid', errors: [{ path: '/serviceKey', message: 'is switched off' }] });
    await flip(true);
  });

  it('answers an unknown status token exactly like an expired one', async () => {
    const res = await submit('hattingen', submission(SERVICE_KEYS.sperrmuell, sperrmuell()));
    const token = res.json().statusToken as string;
    expect((await status(token)).statusCode).toBe(200);
    await owner.query('UPDATE submission_status_index SET expires_at = now() - interval \'1 second\' WHERE submission_id = $1', [res.json().id]);
    const expired = await status(token);
    const unknown = await status('A'.repeat(43));
    expect(expired.statusCode).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined, requestId: undefined });
    expect(strip(expired.json())).toEqual(strip(unknown.json()));
  });
});

describe('catalogue administration', () => {
  it('adds a service with a valid form schema, refuses an invalid one, and only for tenant admins', async () => {
    const admin = await as('witten', ['tenant-admin', 'records-manager']);
    await t.app.inject({ method: 'POST', url: '/v1/tenants/witten/file-plan/units', headers: { authorization: admin }, payload: { code: '61', title: 'Stadtplanung', retentionYears: 10, disposal: 'B' } });
    const service = { serviceKey: '99115003000000', title: 'Hundesteuer-Anmeldung', formSchema: { type: 'object', required: ['rasse'], properties: { rasse: { type: 'string', maxLength: 100 } } }, planCode: '61', filing: 'file-per-applicant', caseTitle: 'Hund {rasse}' };
    const created = await t.app.inject({ method: 'POST', url: '/v1/tenants/witten/online-services', headers: { authorization: admin }, payload: service });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ ...service, paymentRequired: false, competentTenant: null, active: true, runningFileTitle: null });
    const invalid = await t.app.inject({ method: 'POST', url: '/v1/tenants/witten/online-services', headers: { authorization: admin }, payload: { ...service, serviceKey: '99115003000001', formSchema: { type: 'object', properties: { x: { type: 'gibtsnicht' } } } } });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors[0].path).toBe('/formSchema');
    const noUnit = await t.app.inject({ method: 'POST', url: '/v1/tenants/witten/online-services', headers: { authorization: admin }, payload: { ...service, serviceKey: '99115003000002', planCode: '99.99' } });
    expect(noUnit.statusCode).toBe(422);
    const dup = await t.app.inject({ method: 'POST', url: '/v1/tenants/witten/online-services', headers: { authorization: admin }, payload: service });
    expect(dup.statusCode).toBe(409);
    const clerk = await t.app.inject({ method: 'POST', url: '/v1/tenants/witten/online-services', headers: { authorization: await as('witten', ['clerk']) }, payload: { ...service, serviceKey: '1' } });
    expect(clerk.statusCode).toBe(403);
  });
});

describe('overdue submissions', () => {
  it('flags a submission still received after three days, once', async () => {
    const res = await submit('hattingen', submission(SERVICE_KEYS.sperrmuell, sperrmuell()));
    const id = res.json().id as string;
    await owner.query("UPDATE submission SET state_at = now() - interval '3 days 1 hour' WHERE id = $1", [id]);
    const services = createServices({ ...t.deps, version: VERSION });
    const run = jobHandlers(jobDepsOf(services, t.config, t.app.log))[QUEUES.submissionsOverdue.name]!;
    const first = (await run({ data: {} } as PgBoss.JobWithMetadata<unknown>, t.deps.jobs)) as { flagged: Record<string, number> };
    expect(first.flagged.hattingen).toBeGreaterThanOrEqual(1);
    expect((await get('hattingen', `/submissions/${id}`)).json().overdue).toBe(true);
    expect((await get('hattingen', '/submissions?overdue=true')).json().items.map((s: { id: string }) => s.id)).toContain(id);
    const second = (await run({ data: {} } as PgBoss.JobWithMetadata<unknown>, t.deps.jobs)) as { flagged: Record<string, number> };
    expect(second.flagged.hattingen).toBe(0);
    expect((await events(id)).map((e) => e.type)).toEqual(['submission.received', 'submission.overdue']);
  });
});

describe('form data, property-based', () => {
  it('files a form or refuses it with pointers into formData, and a refusal stores nothing', async () => {
    // A valid Gewerbeanzeige with one field replaced by an arbitrary JSON value (or removed).
    const paths = [['beginn'], ['rechtsform'], ['inhaber', 'geburtsdatum'], ['inhaber', 'anschrift', 'plz'], ['betrieb', 'telefon'], ['beschaeftigte', 'vollzeit'], ['taetigkeit'], ['nebenerwerb'], ['neuesFeld']];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }), async (path, value) => {
        const form = structuredClone(gewerbe()) as Record<string, unknown>;
        let at = form;
        for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
        if (value === undefined) delete at[path.at(-1)!];
        else at[path.at(-1)!] = value;
        const before = await counts();
        const res = await submit('hattingen', submission(SERVICE_KEYS.gewerbe, form, { payment: { status: 'open', amountCents: 1, transactionReference: 'P' } }));
        expect([201, 422], res.body).toContain(res.statusCode);
        if (res.statusCode === 422) {
          expect(res.json().code).toBe('form-invalid');
          for (const e of res.json().errors as { path: string }[]) expect(e.path.startsWith('/formData/')).toBe(true);
          expect(await counts()).toEqual(before);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('status tokens in logs', () => {
  it('are redacted from the logged request url', () => {
    const logger = serverOptions(t.config).logger as { serializers: { req: (r: object) => { url: string } } };
    expect(logger.serializers.req({ method: 'GET', url: `/v1/status/${'A'.repeat(43)}?x=1`, hostname: 'h', ip: '127.0.0.1' }).url).toBe('/v1/status/[redacted]?x=1');
    expect(logger.serializers.req({ method: 'GET', url: '/v1/tenants/hattingen/files', hostname: 'h', ip: '127.0.0.1' }).url).toBe('/v1/tenants/hattingen/files');
  });
});

describe('the same submission twice at once', () => {
  it('files it once: one answer 201, the other 200 or 409, never a 500', async () => {
    const body = submission(SERVICE_KEYS.sperrmuell, sperrmuell());
    const answers = await Promise.all([submit('hattingen', body), submit('hattingen', body), submit('hattingen', body)]);
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const s of statuses) expect([200, 201, 409]).toContain(s);
    const rows = await owner.query('SELECT id FROM submission WHERE portal_id = $1', [body.submissionId]);
    expect(rows.rowCount).toBe(1);
    expect((await owner.query('SELECT count(*)::int AS n FROM version_upload')).rows[0].n).toBe(0);
    const retry = await submit('hattingen', body);
    expect(retry.statusCode).toBe(200);
    expect(retry.json().id).toBe(rows.rows[0].id);
  });
});
