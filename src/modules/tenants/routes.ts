import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { etagOf, matchesIfNoneMatch } from '../../lib/etag.js';
import { directoryAccess } from '../../schemas/access.js';
import { ETagHeaders, problemResponses } from '../../schemas/common.js';
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
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 2000, description: 'ETag(s) the client holds' })) }),
        response: {
          200: { ...Type.Ref('Tenant'), description: 'The tenant', headers: ETagHeaders },
          304: { description: 'Not modified (If-None-Match matched)', type: 'null' },
          ...problemResponses(400, 401, 404, 500),
        },
      },
    },
    async (request, reply) => {
      const tenant = await service.getTenant(request.caller!, request.params.tenant);
      const etag = etagOf(tenant.id, tenant.updatedAt);
      reply.header('etag', etag);
      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return tenant;
    },
  );
};

export default tenantRoutes;
