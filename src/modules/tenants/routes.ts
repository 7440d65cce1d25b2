import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { etagOf } from '../../lib/etag.js';
import { sendVersioned } from '../../lib/reply.js';
import { directoryAccess } from '../../schemas/access.js';
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
        ...directoryAccess('The tenants in slug order (names only, never records: those need a support grant), with `limit` per page (default 50, at most 200); pass `next` as `cursor`.'),
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
        ...directoryAccess(
          "Slug, name, kind and whether it takes part (active) of one tenant. Another tenant's slug answers 404, as an unknown slug does. " +
            'With `If-None-Match` of the ETag held it answers 304 while the tenant is unchanged.',
        ),
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
