import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { PLAN_UNITS } from '../../examples/portal-forms.js';
import type { TestApp } from './app.js';

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A multipart/form-data body: the field `submission`, then the file parts. */
export function multipartBody(submission: unknown, files: { part: string; filename: string; type: string; bytes: Buffer }[]) {
  const boundary = `enakte-${randomUUID()}`;
  const chunks: Buffer[] = [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="submission"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(submission)}\r\n`),
  ];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.part}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`), f.bytes, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Creates the plan units of the services (in order: parents first) and switches the seeded services on. */
export async function setUpServices(t: TestApp, tenant: 'hattingen' | 'en-kreis') {
  const admin = `Bearer ${await t.tokenFor(tenant, ['tenant-admin', 'records-manager'], `admin@${tenant}`)}`;
  for (const unit of PLAN_UNITS[tenant]) {
    const res = await t.app.inject({ method: 'POST', url: `/v1/tenants/${tenant}/file-plan/units`, headers: { authorization: admin }, payload: unit });
    if (res.statusCode !== 201) throw new Error(`unit ${unit.code}: ${res.statusCode} ${res.body}`);
  }
  const list = (await t.app.inject({ method: 'GET', url: `/v1/tenants/${tenant}/online-services`, headers: { authorization: admin } })).json().items as { id: string; serviceKey: string }[];
  const ids: Record<string, string> = {};
  for (const s of list) {
    const read = await t.app.inject({ method: 'GET', url: `/v1/tenants/${tenant}/online-services/${s.id}`, headers: { authorization: admin } });
    const res = await t.app.inject({ method: 'PATCH', url: `/v1/tenants/${tenant}/online-services/${s.id}`, headers: { authorization: admin, 'if-match': read.headers.etag as string }, payload: { active: true } });
    if (res.statusCode !== 200) throw new Error(`activate ${s.serviceKey}: ${res.statusCode} ${res.body}`);
    ids[s.serviceKey] = s.id;
  }
  return ids;
}

/** A citizen IdP (BundID stand-in): a real key pair, its JWKS served by a real loopback HTTP server. */
export async function startCitizenIdp(issuer = 'https://bundid.test') {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bundid-1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const sign = (sub: string, opts: { audience?: string; key?: CryptoKey } = {}) =>
    new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'bundid-1' }).setSubject(sub).setIssuer(issuer).setAudience(opts.audience ?? 'en-akte-status').setIssuedAt().setExpirationTime('5m').sign(opts.key ?? privateKey);
  return {
    env: { CITIZEN_IDP_JWKS_URL: `http://127.0.0.1:${port}/jwks`, CITIZEN_IDP_ISSUER: issuer },
    sign,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
