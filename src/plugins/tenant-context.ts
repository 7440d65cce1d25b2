import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client.js';
import { errors } from '../errors.js';

export interface TenantRef {
  id: string;
  slug: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest/preHandler hook for routes under /v1/tenants/:tenant/… */
    resolveTenant: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    tenant: TenantRef | null;
  }
}

/**
 * Resolves the tenant of the path and checks that the caller belongs to it. A caller of another
 * tenant gets the same 404 as for an unknown tenant, so paths reveal nothing.
 * (Support grants for the competence centre hook in here.)
 */
export default fp(
  async function tenantContext(app: FastifyInstance, opts: { db: Db }) {
    // Slug → id never changes once a tenant exists, so it is safe to cache per process.
    const cache = new Map<string, string>();
    app.decorateRequest('tenant', null);
    app.decorate('resolveTenant', async (request: FastifyRequest) => {
      const slug = (request.params as { tenant?: string }).tenant;
      const principal = request.principal;
      if (!slug || !principal || principal.tenant !== slug) throw errors.notFound('tenant');
      let id = cache.get(slug);
      if (!id) {
        const row = await opts.db.tenant.findUnique({ where: { slug }, select: { id: true, active: true } });
        if (!row) throw errors.notFound('tenant');
        id = row.id;
        cache.set(slug, id);
      }
      request.tenant = { id, slug };
    });
  },
  { name: 'tenant-context', dependencies: ['auth'], fastify: '5.x' },
);
