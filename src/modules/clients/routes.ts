import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../lib/reply.js';
import { requires } from '../../schemas/access.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../schemas/common.js';
import { readWithEtag, withEtag } from '../../schemas/responses.js';
import { ApiClient, ApiClientWithSecret, ClientList, ClientListQuery, CreateClient } from './schemas.js';
import type { ClientService } from './service.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const ClientParams = IdParam('clientId', 'client (its id, not the OAuth client_id)');
const WriteHeaders = Type.Intersect([IfMatchHeaders, IdempotencyHeaders]);
const tags = ['clients'];
const security = [{ bearerAuth: [] }];
const withSecret = (description: string) => withEtag('ApiClientWithSecret', description);

/** Tenant admins manage their town's machine clients. */
const clientRoutes: FastifyPluginAsyncTypebox<{ service: ClientService }> = async (app, { service }) => {
  app.addSchema(ApiClient);
  app.addSchema(ApiClientWithSecret);

  app.post('/clients', {
    schema: {
      tags, security, operationId: 'createClient',
      summary: 'Register a machine client (tenant admins)',
      ...requires('clients:manage',
        'Returns the client_id and the client secret. The secret is shown only here; it is stored as a scrypt hash. The client ' +
        'gets the roles given (its tokens carry them) and a clearance `maxConfidentiality` no higher than the admin\'s own (403).'),
      params: TenantOnly, headers: IdempotencyHeaders, body: CreateClient,
      response: { 201: withSecret('The client with its secret'), ...problemResponses(400, 401, 403, 404, 415, 500) },
    },
  }, async (request, reply) => {
    const c = await service.createClient(request.ctx!, request.body);
    reply.header('etag', c.etag).header('location', `/v1/tenants/${request.ctx!.tenant.slug}/clients/${c.value.id}`);
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ ...c.value, clientSecret: c.secret });
  });

  app.get('/clients', {
    schema: {
      tags, security, operationId: 'listClients', summary: 'List the machine clients of the tenant',
      ...requires('clients:manage',
        'Every machine client of the tenant with its client_id, roles, clearance and whether it is disabled; never a secret. ' +
        '`limit` per page (default 50, at most 200); pass `next` as `cursor` for the next page.'),
      params: TenantOnly, querystring: ClientListQuery,
      response: { 200: ClientList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listClients(request.ctx!, request.query));

  app.get('/clients/:clientId', {
    schema: {
      tags, security, operationId: 'getClient', summary: 'Read a machine client',
      ...requires('clients:manage',
        'The client\'s client_id, roles, clearance, when its secret was last rotated and whether it is disabled; never the ' +
        'secret. Its ETag is the If-Match for rotating the secret or disabling it.'),
      params: ClientParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('ApiClient', 'The client (never its secret)'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.getClient(request.ctx!, request.params.clientId)));

  app.post('/clients/:clientId/rotate-secret', {
    schema: {
      tags, security, operationId: 'rotateClientSecret',
      summary: 'Issue a new secret (the old one stops working at once)',
      ...requires('clients:manage', 'Tokens already issued stay valid until they expire. A disabled client answers 409. Requires If-Match.'),
      params: ClientParams, headers: WriteHeaders,
      response: { 200: withSecret('The client with its new secret'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) => {
    const c = await service.rotateSecret(request.ctx!, request.params.clientId, request.headers['if-match']);
    reply.header('etag', c.etag).header('cache-control', 'no-store');
    return { ...c.value, clientSecret: c.secret! };
  });

  app.post('/clients/:clientId/disable', {
    schema: {
      tags, security, operationId: 'disableClient',
      summary: 'Disable a client (no new tokens)',
      ...requires('clients:manage', 'Tokens already issued expire on their own (AUTH_TOKEN_TTL). A disabled client answers 409. Requires If-Match.'),
      params: ClientParams, headers: WriteHeaders,
      response: { 200: withEtag('ApiClient', 'The disabled client'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) => {
    const c = await service.disableClient(request.ctx!, request.params.clientId, request.headers['if-match']);
    return sendVersioned(reply, c);
  });
};

export default clientRoutes;
