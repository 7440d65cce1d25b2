import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { etagOf } from '../../lib/etag.js';
import { sendVersioned } from '../../lib/reply.js';
import { IfNoneMatchHeaders, problemResponses } from '../../schemas/common.js';
import { readWithEtag } from '../../schemas/responses.js';
import { Tenant, TenantList, TenantListQuery, TenantParams } from './schemas.js';
import type { TenantService } from './service.js';

const tenantRoutes: FastifyPluginAsyncTypebox<{ service: TenantService }> = async (app, { service }) => {
  app.addSchema(Tenant);

  app.get(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        operationId: 'listTenants',
        summary: 'List the tenants the caller can see',
        description: "A town's token sees its own tenant; a competence-centre token sees all tenants.",
        security: [{ bearerAuth: [] }],
        querystring: TenantListQuery,
        response: { 200: TenantList, ...problemResponses(400, 401, 500) },
      },
    },
    async (request) => service.listVisibleTenants(request.caller!, request.query),
  );

  app.get(
    '/tenants/:tenant',
    {
      schema: {
        tags: ['tenants'],
        operationId: 'getTenant',
        summary: 'Read one tenant',
        description: "Another tenant's slug answers 404, as an unknown slug does (the competence centre sees all).",
        security: [{ bearerAuth: [] }],
        params: TenantParams,
        headers: IfNoneMatchHeaders,
        response: { ...readWithEtag('Tenant', 'The tenant'), ...problemResponses(400, 401, 404, 500) },
      },
    },
    async (request, reply) => {
      const tenant = await service.getTenant(request.caller!, request.params.tenant);
      return sendVersioned(reply, { value: tenant, etag: etagOf(tenant.id, tenant.updatedAt) });
    },
  );
};

export default tenantRoutes;
