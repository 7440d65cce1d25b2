/* eslint-disable no-console -- an example script prints what it does */
// Plays the online-service portal against a running EN-Akte (`npm start`): sets up Hattingen's
// (and the Kreis's) plan units, switches the four seeded services on, files one submission of
// each (the Gewerbeanzeige with an attachment, multipart), reports the Gewerbe payment as ePayBL,
// accepts each as a clerk, and looks each up as the citizen would.
// Usage: node --import tsx examples/portal.ts [base-url]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { gewerbe, parkerleichterung, PLAN_UNITS, schwerbehindertenausweis, SERVICE_KEYS, sperrmuell, submission } from './portal-forms.js';

const BASE = process.argv[2] ?? 'http://localhost:3000';
const token = (tenant: string, roles: string, sub: string) =>
  execFileSync('npm', ['run', '-s', 'token', '--', '--tenant', tenant, '--roles', roles, '--sub', sub], { encoding: 'utf8' }).trim();

async function call(tok: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${tok}`, ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag') ?? '', body: text ? JSON.parse(text) : null };
}
function must<T extends { status: number; body: unknown }>(what: string, r: T, ...ok: number[]): T {
  if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

// 1. The tenants' set-up: plan units, services switched on.
for (const tenant of ['hattingen', 'en-kreis'] as const) {
  const admin = token(tenant, 'tenant-admin,records-manager', `admin@${tenant}`);
  for (const unit of PLAN_UNITS[tenant]) must(`unit ${unit.code}`, await call(admin, 'POST', `/v1/tenants/${tenant}/file-plan/units`, unit), 201, 409);
  for (const s of must('services', await call(admin, 'GET', `/v1/tenants/${tenant}/online-services`), 200).body.items as { id: string; title: string; active: boolean }[]) {
    if (s.active) continue;
    const read = await call(admin, 'GET', `/v1/tenants/${tenant}/online-services/${s.id}`);
    must(`activate ${s.title}`, await call(admin, 'PATCH', `/v1/tenants/${tenant}/online-services/${s.id}`, { active: true }, { 'if-match': read.etag }), 200);
  }
  console.log(`1. ${tenant}: plan units and online services ready`);
}

// 2. The portal files one submission of each service in Hattingen.
const intake = token('hattingen', 'intake', 'portal.hattingen');
const pdf = Buffer.from('%PDF-1.4\n% Kopie des Personalausweises\n');
const gew = submission(SERVICE_KEYS.gewerbe, gewerbe(), {
  accountId: 'bundid:pseudo:example-0001',
  payment: { status: 'open', amountCents: 2600, transactionReference: `EPAYBL-${Date.now()}` },
  attachments: [{ part: 'ausweis', title: 'Personalausweis (Kopie)', filename: 'ausweis.pdf', mediaType: 'application/pdf', sha256: createHash('sha256').update(pdf).digest('hex') }],
});
const form = new FormData();
form.append('submission', JSON.stringify(gew));
form.append('ausweis', new Blob([pdf], { type: 'application/pdf' }), 'ausweis.pdf');
const filed = {
  gewerbe: must('Gewerbe', await call(intake, 'POST', '/v1/tenants/hattingen/submissions', form), 201).body,
  sperrmuell: must('Sperrmüll', await call(intake, 'POST', '/v1/tenants/hattingen/submissions', submission(SERVICE_KEYS.sperrmuell, sperrmuell())), 201).body,
  parkerleichterung: must('Parkerleichterung', await call(intake, 'POST', '/v1/tenants/hattingen/submissions', submission(SERVICE_KEYS.parkerleichterung, parkerleichterung())), 201).body,
  schwerbehindertenausweis: must('Schwerbehindertenausweis', await call(intake, 'POST', '/v1/tenants/hattingen/submissions', submission(SERVICE_KEYS.schwerbehindertenausweis, schwerbehindertenausweis())), 201).body,
};
for (const [name, a] of Object.entries(filed)) console.log(`2. ${name}: filed with ${a.filedWith.name}${a.forwarded ? ' (forwarded)' : ''}, state ${a.state}`);
const retry = await call(intake, 'POST', '/v1/tenants/hattingen/submissions', submission(SERVICE_KEYS.sperrmuell, sperrmuell(), { submissionId: filed.sperrmuell.submissionId }));
console.log(`   a retry of the Sperrmüll submission with another body: ${retry.status} ${retry.body.code}`);

// 3. ePayBL reports the Gewerbe payment; the clerks accept.
const epaybl = token('hattingen', 'payment-provider', 'epaybl');
const clerk = { hattingen: token('hattingen', 'clerk', 'sachbearbeitung@hattingen'), 'en-kreis': token('en-kreis', 'clerk', 'versorgungsamt@en-kreis') };
const accept = async (tenant: 'hattingen' | 'en-kreis', id: string) => {
  const read = await call(clerk[tenant], 'GET', `/v1/tenants/${tenant}/submissions/${id}`);
  return call(clerk[tenant], 'POST', `/v1/tenants/${tenant}/submissions/${id}/transitions`, { to: 'accepted' }, { 'if-match': read.etag });
};
console.log(`3. Gewerbe accepted before payment: ${(await accept('hattingen', filed.gewerbe.id)).status}`);
must('payment', await call(epaybl, 'POST', '/v1/tenants/hattingen/payments', { submissionId: gew.submissionId, status: 'paid', amountCents: 2600, transactionReference: gew.payment.transactionReference }), 200);
for (const [name, a] of Object.entries(filed)) {
  const r = must(`accept ${name}`, await accept(a.filedWith.tenant, a.id), 200);
  console.log(`   ${name}: ${r.body.state} by ${a.filedWith.tenant}`);
}
const town = await call(clerk.hattingen, 'GET', `/v1/tenants/hattingen/submissions/${filed.schwerbehindertenausweis.id}`);
console.log(`   Hattingen sees of the ID card application: ${JSON.stringify(town.body)}`);

// 4. The citizen asks "where is my application?".
for (const [name, a] of Object.entries(filed)) {
  const res = await fetch(a.statusUrl.replace(/^https?:\/\/[^/]+/, BASE));
  console.log(`4. ${name}: ${JSON.stringify(await res.json())}`);
}
