import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { COMPETENCE_CENTRE, type GrantRef, type RequestContext, type TenantRef } from '../core/index.js';
import { errors } from '../errors.js';

/** Finds the support grant a competence-centre caller may use for a request in a town. */
export type GrantLookup = (
  ctx: RequestContext,
  request: { write: boolean; params: { fileId?: string; caseId?: string; documentId?: string } },
) => Promise<(GrantRef & { roles: readonly string[] }) | null>;

/** Records a read a competence-centre caller made under a grant (writes record themselves). */
export type GrantReadRecorder = (ctx: RequestContext, read: { route: string; url: string; objectId: string | null }) => Promise<void>;

export interface TenantContextOptions {
  resolveTenant(slug: string): Promise<TenantRef & { active: boolean }>;
  isActive(slug: string): Promise<boolean>;
  grantFor: GrantLookup;
  recordGrantRead: GrantReadRecorder;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest for every /v1 route, after authentication: the caller's tenant must be active. */
    requireActiveTenant: (request: FastifyRequest) => Promise<void>;
    /** preHandler for routes under /v1/tenants/:tenant/… */
    resolveTenant: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    /** Who acts in which tenant under which grant: what services and the audit trail take. */
    ctx: RequestContext | null;
  }
  interface FastifyContextConfig {
    /** Competence-centre staff reach this route in any town without a grant (asking for one). */
    withoutGrant?: boolean;
    /**
     * The route narrows itself to the file of its `fileId` query parameter (search): a grant for
     * that one file covers it.
     */
    grantFileFromQuery?: boolean;
  }
}

const READS = new Set(['GET', 'HEAD']);

/**
 * Resolves the tenant of the path and decides whether the caller may act in it: its own tenant;
 * or, for competence-centre staff, a town that approved a support grant (the grant's scope then
 * replaces the caller's roles, and its id goes into the audit trail). Everyone else gets the same
 * 404 as for an unknown tenant, so paths reveal nothing. The result is the request context.
 */
export default fp(
  async function tenantContext(app: FastifyInstance, opts: TenantContextOptions) {
    app.decorateRequest('ctx', null);

    // A town that has not joined (or has left): its tokens, clients and grants open nothing.
    app.decorate('requireActiveTenant', async (request: FastifyRequest) => {
      const caller = request.caller!;
      if (!(await opts.isActive(caller.tenant))) throw errors.tenantInactive(caller.tenant);
    });

    app.decorate('resolveTenant', async (request: FastifyRequest) => {
      const caller = request.caller!;
      const slug = (request.params as { tenant: string }).tenant;
      const base = { caller, grant: null, requestId: request.id };
      if (caller.tenant === slug) {
        const { active: _active, ...tenant } = await opts.resolveTenant(slug);
        request.ctx = { ...base, tenant };
        return;
      }
      if (caller.tenant !== COMPETENCE_CENTRE) throw errors.notFound('tenant');
      const { active, ...tenant } = await opts.resolveTenant(slug);
      if (!active) throw errors.tenantInactive(slug);
      if (request.routeOptions.config.withoutGrant) {
        request.ctx = { ...base, tenant };
        return;
      }
      const params = request.params as { fileId?: string; caseId?: string; documentId?: string };
      const fromQuery = request.routeOptions.config.grantFileFromQuery ? (request.query as { fileId?: string }).fileId : undefined;
      const grant = await opts.grantFor({ ...base, tenant }, { write: !READS.has(request.method), params: fromQuery ? { ...params, fileId: fromQuery } : params });
      if (!grant) throw errors.notFound('tenant');
      request.ctx = {
        ...base,
        tenant,
        caller: { ...caller, roles: [...grant.roles] },
        grant: { id: grant.id, scope: grant.scope, fileId: grant.fileId },
      };
    });

    // Every action under a grant is visible to the town: writes and content reads record themselves
    // in their transaction; other successful reads are recorded here, before the answer leaves. A read
    // that cannot be recorded is not answered: the error handler answers instead (503 while the
    // database is away), so no data reaches the competence centre unseen by the town.
    app.addHook('onSend', async (request, reply, payload) => {
      const ctx = request.ctx;
      if (!ctx?.grant || !READS.has(request.method) || reply.statusCode >= 400) return payload;
      const route = request.routeOptions.url ?? '';
      if (route.endsWith('/content')) return payload;
      const params = request.params as Record<string, string | undefined>;
      const objectId = params.documentId ?? params.caseId ?? params.fileId ?? params.unitId ?? null;
      await opts.recordGrantRead(ctx, { route, url: request.url, objectId });
      return payload;
    });
  },
  { name: 'tenant-context', dependencies: ['auth'], fastify: '5.x' },
);
