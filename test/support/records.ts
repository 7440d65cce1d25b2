import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { catalogue, type ProblemCode } from '../../src/errors.js';
import { TEST_ISSUER, type TestApp } from './app.js';

/** The calendar year in Germany, as references count it (`{yyyy}` is rendered in Europe/Berlin). */
export const germanYearNow = () => Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Berlin', year: 'numeric' }).format(new Date()));

/** A file, case or document as the API returns it (the fields the tests use). */
export interface Created {
  id: string;
  reference: string;
  etag: string;
  body: Record<string, unknown>;
}

export type Caller = ReturnType<ReturnType<typeof recordFactories>['as']>;

/** Factories that create records through the API, as a town's system would. */
export function recordFactories(t: TestApp, tenant: string) {
  /**
   * Requests of a caller with `roles`; `sub` picks the subject (default `user@<tenant>`), so two
   * callers with different subjects are two different people (check-outs, Idempotency-Keys);
   * `claims` adds token claims (`{ clearance: '002' }`).
   */
  const as = (roles: string[], sub?: string, claims?: Record<string, unknown>) => {
    const send = async (opts: { method: 'POST' | 'GET' | 'PATCH' | 'PUT' | 'DELETE'; url: string; payload?: unknown; headers: Record<string, string> }) => {
      const token = await t.tokenFor(tenant, roles, sub, claims);
      return t.app.inject({
        method: opts.method,
        url: `/v1/tenants/${tenant}${opts.url}`,
        ...(opts.payload === undefined ? {} : { payload: opts.payload as object }),
        headers: { authorization: `Bearer ${token}`, ...opts.headers },
      });
    };
    return {
      post: (url: string, payload: unknown, headers: Record<string, string> = {}) => send({ method: 'POST', url, payload, headers }),
      get: (url: string, headers: Record<string, string> = {}) => send({ method: 'GET', url, headers }),
      patch: (url: string, payload: unknown, headers: Record<string, string> = {}) => send({ method: 'PATCH', url, payload, headers }),
      put: (url: string, payload: unknown, headers: Record<string, string> = {}) => send({ method: 'PUT', url, payload, headers }),
      delete: (url: string, headers: Record<string, string> = {}) => send({ method: 'DELETE', url, headers }),
    };
  };
  const manager = as(['records-manager']);
  const clerk = as(['clerk']);

  /** A unique top-level code, so tests never collide on the shared database. */
  const uniqueCode = () => `T${randomUUID().replace(/-/g, '').slice(0, 7)}`;

  async function unit(fields: Record<string, unknown> = {}) {
    const res = await manager.post('/file-plan/units', { code: uniqueCode(), title: 'Testeinheit', retentionYears: 10, disposal: 'B', ...fields });
    if (res.statusCode !== 201) throw new Error(`unit: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; code: string };
  }

  const created = (what: string, res: LightMyRequestResponse): Created => {
    if (res.statusCode !== 201) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
    const body = res.json() as Record<string, unknown>;
    return { id: body.id as string, reference: (body.reference as string | undefined) ?? '', etag: res.headers.etag as string, body };
  };

  /** A file (Akte): give planCode or planUnitId in `fields`, or get a fresh unit of its own. */
  async function file(fields: Record<string, unknown> = {}, by: Caller = clerk) {
    const planCode = fields.planUnitId === undefined && fields.planCode === undefined ? (await unit()).code : undefined;
    return created('file', await by.post('/files', { title: 'Testakte', ...(planCode ? { planCode } : {}), ...fields }));
  }

  /** A case (Vorgang) in a file. */
  async function kase(fileId: string, fields: Record<string, unknown> = {}, by: Caller = clerk) {
    return created('case', await by.post(`/files/${fileId}/cases`, { title: 'Testvorgang', ...fields }));
  }

  /** A document in a case. */
  async function document(caseId: string, fields: Record<string, unknown> = {}, by: Caller = clerk) {
    return created('document', await by.post(`/cases/${caseId}/documents`, { title: 'Testdokument', kind: 'letter', ...fields }));
  }

  /** The current ETag of a resource (e.g. `/files/<id>`). */
  async function etag(url: string, by: Caller = clerk): Promise<string> {
    const res = await by.get(url);
    if (res.statusCode !== 200) throw new Error(`etag ${url}: ${res.statusCode} ${res.body}`);
    return res.headers.etag as string;
  }

  /** Retires a unit (records manager, with its current ETag). */
  async function retire(unitId: string) {
    const res = await manager.post(`/file-plan/units/${unitId}/retire`, undefined, { 'if-match': await etag(`/file-plan/units/${unitId}`, manager) });
    if (res.statusCode !== 200) throw new Error(`retire: ${res.statusCode} ${res.body}`);
  }

  /** Closes a file (with its current ETag). */
  async function closeFile(fileId: string, body: Record<string, unknown> = {}, by: Caller = clerk) {
    return by.post(`/files/${fileId}/close`, body, { 'if-match': await etag(`/files/${fileId}`, by) });
  }

  /** Adds a version as raw bytes with If-Match. */
  function upload(by: Caller, documentId: string, content: string | Buffer, ifMatch: string, headers: Record<string, string> = {}, query = '') {
    return by.post(`/documents/${documentId}/versions${query}`, Buffer.from(content), { 'content-type': 'text/plain', 'if-match': ifMatch, ...headers });
  }

  return { as, manager, clerk, uniqueCode, unit, file, kase, document, etag, retire, closeFile, upload };
}

/**
 * The exact RFC 9457 body of a problem with catalogue `code`; the request id differs per request and is
 * matched as any string. `instance` is the request path; `extra` holds extension members (errors, limits).
 */
export function problem(code: ProblemCode, detail: string, instance: string, extra: Record<string, unknown> = {}) {
  const { status, title } = catalogue[code];
  return { type: `${TEST_ISSUER}/problems/${code}`, title, status, detail, instance, code, requestId: expect.any(String), ...extra };
}
