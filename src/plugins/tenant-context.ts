import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client.js';
import { errors } from '../errors.js';
import type { Principal } from './auth.js';

export interface TenantRef {
  id: string;
  slug: string;
}

/** Finds the support grant a competence-centre caller may use for a request in a town. */
export type GrantLookup = (
  caller: Principal,
  tenant: TenantRef,
  request: { write: boolean; params: { fileId?: string; caseId?: string; documentId?: string } },
) => Promise<{ id: string; roles: readonly string[] } | null>;

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for routes under /v1/tenants/:tenant/… */
    resolveTenant: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    tenant: TenantRef | null;
  }
  interface FastifyContextConfig {
    /** Competence-centre staff reach this route in any town without a grant (asking for one). */
    withoutGrant?: boolean;
  }
}

const COMPETENCE_CENTRE = 'kompetenzzentrum';
const READS = new Set(['GET', 'HEAD']);

/**
 * Resolves the tenant of the path and decides whether the caller may act in it: its own tenant;
 * or, for competence-centre staff, a town that approved a support grant (the grant's scope then
 * replaces the caller's roles, and its id goes into the audit trail). Everyone else gets the same
 * 404 as for an unknown tenant, so paths reveal nothing.
 */
/** Records a read a competence-centre caller made under a grant (writes record themselves). */
export type GrantReadRecorder = (caller: Principal, tenant: TenantRef, read: { route: string; url: string; objectId: string | null }) => Promise<void>;

export default fp(
  async function tenantContext(app: FastifyInstance, opts: { db: Db; grantFor: GrantLookup; recordGrantRead: GrantReadRecorder }) {
    // Slug → id never changes once a tenant exists, so it is safe to cache per process.
    const cache = new Map<string, string>();
    async function lookup(slug: string): Promise<TenantRef> {
      let id = cache.get(slug);
      if (!id) {
        const row = await opts.db.tenant.findUnique({ where: { slug }, select: { id: true } });
        if (!row) throw errors.notFound('tenant');
        id = row.id;
        cache.set(slug, id);
      }
      return { id, slug };
    }

    app.decorateRequest('tenant', null);
    app.decorate('resolveTenant', async (request: FastifyRequest) => {
      const slug = (request.params as { tenant?: string }).tenant;
      const principal = request.principal;
      if (!slug || !principal) throw errors.notFound('tenant');
      if (principal.tenant === slug) {
        request.tenant = await lookup(slug);
        return;
      }
      if (principal.tenant !== COMPETENCE_CENTRE) throw errors.notFound('tenant');
      const tenant = await lookup(slug);
      if (request.routeOptions.config.withoutGrant) {
        request.tenant = tenant;
        return;
      }
      const grant = await opts.grantFor(principal, tenant, {
        write: !READS.has(request.method),
        params: request.params as { fileId?: string; caseId?: string; documentId?: string },
      });
      if (!grant) throw errors.notFound('tenant');
      request.tenant = tenant;
      request.principal = { ...principal, roles: [...grant.roles], grantId: grant.id };
    });

    // Every action under a grant is visible to the town: writes and content reads record themselves
    // in their transaction; other successful reads are recorded here, after the answer.
    app.addHook('onResponse', async (request, reply) => {
      const { principal, tenant } = request;
      if (!principal?.grantId || !tenant || !READS.has(request.method) || reply.statusCode >= 400) return;
      const route = request.routeOptions.url ?? '';
      if (route.endsWith('/content')) return;
      const params = request.params as Record<string, string | undefined>;
      const objectId = params.documentId ?? params.caseId ?? params.fileId ?? params.unitId ?? null;
      await opts.recordGrantRead(principal, tenant, { route, url: request.url, objectId }).catch((err: unknown) => {
        request.log.error({ err }, 'could not record a read under a support grant');
      });
    });
  },
  { name: 'tenant-context', dependencies: ['auth'], fastify: '5.x' },
);
