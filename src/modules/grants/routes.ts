import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../lib/reply.js';
import { requires } from '../../schemas/access.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../schemas/common.js';
import { created, readWithEtag, withEtag } from '../../schemas/responses.js';
import type { InScope } from '../../core/index.js';
import { AuditList, AuditQuery, type AuditService } from '../audit/index.js';
import { DecisionBody, GrantList, GrantListQuery, RequestGrant, SupportGrant } from './schemas.js';
import type { GrantOps } from './service.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const GrantParams = IdParam('grantId', 'support grant');
const WriteHeaders = Type.Intersect([IfMatchHeaders, IdempotencyHeaders]);
const tags = ['support grants'];
const security = [{ bearerAuth: [] }];
// Competence-centre staff reach these routes in any town: that is how they ask.
const config = { withoutGrant: true };

const grantRoutes: FastifyPluginAsyncTypebox<{ service: InScope<GrantOps>; audit: AuditService }> = async (app, { service, audit }) => {
  app.addSchema(SupportGrant);

  app.post('/support-grants', {
    config,
    schema: {
      tags, security, operationId: 'requestSupportGrant',
      summary: 'Ask a town for support access (competence centre)',
      ...requires('grants:request',
        'Competence-centre staff (support-agent, cc-admin; tokens of the kompetenzzentrum tenant) ask for read or read-write ' +
        'access to the whole tenant or one file, for a reason or ticket and at most 14 days. Nothing is allowed until the town ' +
        'approves. Town tokens get 403; a file the town does not have answers 404.'),
      params: TenantOnly, headers: IdempotencyHeaders, body: RequestGrant,
      response: { 201: created('SupportGrant', 'The request, status requested'), ...problemResponses(400, 401, 403, 404, 415, 422, 500) },
    },
  }, async (request, reply) => {
    const g = await service.requestGrant(request.ctx!, request.body);
    return sendVersioned(reply, g, 201, `/v1/tenants/${request.ctx!.tenant.slug}/support-grants/${g.value.id}`);
  });

  app.get('/support-grants', {
    config,
    schema: {
      tags, security, operationId: 'listSupportGrants',
      summary: 'List support grants',
      ...requires({ anyOf: ['grants:read', 'grants:request'] },
        'The town (`grants:read`: tenant-admin, auditor) sees every grant; competence-centre staff (`grants:request`) see the ' +
        'grants they asked for or hold (cc-admin: all), without needing a grant. Filter by `status`; `limit` per page (default ' +
        '50, at most 200), pass `next` as `cursor`.'),
      params: TenantOnly, querystring: GrantListQuery,
      response: { 200: GrantList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listGrants(request.ctx!, request.query));

  app.get('/support-grants/:grantId', {
    config,
    schema: {
      tags, security, operationId: 'getSupportGrant', summary: 'Read a support grant',
      ...requires({ anyOf: ['grants:read', 'grants:request'] },
        'Scope, file, reason, status and validity of one grant. The town (`grants:read`) reads every grant; competence-centre ' +
        'staff (`grants:request`) only those they asked for or hold (cc-admin: all), others answer 404. Its ETag is the If-Match ' +
        'for approving, rejecting or revoking it.'),
      params: GrantParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('SupportGrant', 'The grant'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.getGrant(request.ctx!, request.params.grantId)));

  for (const action of ['approve', 'reject', 'revoke'] as const) {
    app.post(`/support-grants/:grantId/${action}`, {
      schema: {
        tags, security, operationId: `${action}SupportGrant`,
        summary: { approve: 'Approve a requested grant (town admin)', reject: 'Reject a requested grant (town admin)', revoke: 'Revoke a grant at any time (town admin)' }[action],
        ...requires('grants:decide',
          { approve: 'Starts the grant now; it ends after its duration.', reject: 'The request ends without access.', revoke: 'Access ends at once.' }[action] +
            { approve: ' Only a requested grant (409 otherwise).', reject: ' Only a requested grant (409 otherwise).', revoke: ' A requested or approved grant (409 otherwise).' }[action] +
            ' Only the town decides: competence-centre tokens get 403. Requires If-Match.'),
        params: GrantParams, headers: WriteHeaders, body: Type.Optional(DecisionBody),
        response: { 200: withEtag('SupportGrant', 'The grant after the decision'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
      },
    }, async (request, reply) =>
      sendVersioned(reply, await service[action](request.ctx!, request.params.grantId, request.headers['if-match'], request.body?.note)));
  }

  app.get('/support-grants/:grantId/actions', {
    schema: {
      tags, security, operationId: 'listSupportGrantActions',
      summary: 'Everything done under a grant',
      ...requires({ allOf: ['grants:read', 'audit:read'] },
        'The audit events of the competence centre acting under this grant, in sequence order. `limit` per page (default 50, ' +
        'at most 200); pass `next` as `cursor`.'),
      params: GrantParams,
      querystring: Type.Object({ limit: AuditQuery.properties.limit, cursor: AuditQuery.properties.cursor }, { additionalProperties: false }),
      response: { 200: AuditList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => {
    await service.getGrant(request.ctx!, request.params.grantId);
    return audit.list(request.ctx!, { ...request.query, grantId: request.params.grantId });
  });
};

export default grantRoutes;
