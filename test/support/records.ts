import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';

/** Factories that create records through the API, as a town's system would. */
export function recordFactories(t: TestApp, tenant: string) {
  const as = (roles: string[]) => ({
    post: (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      t.injectAs(tenant, roles, { method: 'POST', url: `/v1/tenants/${tenant}${url}`, payload: payload as object, headers }),
    get: (url: string, headers: Record<string, string> = {}) =>
      t.injectAs(tenant, roles, { method: 'GET', url: `/v1/tenants/${tenant}${url}`, headers }),
    patch: (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      t.injectAs(tenant, roles, { method: 'PATCH', url: `/v1/tenants/${tenant}${url}`, payload: payload as object, headers }),
    delete: (url: string, headers: Record<string, string> = {}) =>
      t.injectAs(tenant, roles, { method: 'DELETE', url: `/v1/tenants/${tenant}${url}`, headers }),
  });
  const manager = as(['records-manager']);

  /** A unique top-level code, so tests never collide on the shared database. */
  const uniqueCode = () => `T${randomUUID().replace(/-/g, '').slice(0, 7)}`;

  async function unit(fields: Record<string, unknown> = {}) {
    const res = await manager.post('/file-plan/units', { code: uniqueCode(), title: 'Testeinheit', retentionYears: 10, disposal: 'B', ...fields });
    if (res.statusCode !== 201) throw new Error(`unit: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; code: string };
  }

  return { as, manager, clerk: as(['clerk']), uniqueCode, unit };
}
