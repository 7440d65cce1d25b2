import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../lib/reply.js';
import { requires } from '../../schemas/access.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../schemas/common.js';
import { created, described, readWithEtag, withEtag } from '../../schemas/responses.js';
import {
  CreatePlanUnit,
  ImportPlan,
  ImportResult,
  PlanTree,
  PlanTreeNode,
  PlanTreeQuery,
  PlanUnit,
  PlanUnitList,
  PlanUnitListQuery,
  UpdatePlanUnit,
} from './schemas.js';
import type { InScope } from '../../core/index.js';
import type { FilePlanOps } from './service.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const UnitParams = IdParam('unitId', 'file-plan unit');
const tags = ['file plan'];
const security = [{ bearerAuth: [] }];

const filePlanRoutes: FastifyPluginAsyncTypebox<{ service: InScope<FilePlanOps> }> = async (app, { service }) => {
  app.addSchema(PlanUnit);
  app.addSchema(PlanTreeNode);

  app.get('/file-plan', {
    schema: {
      tags, security, operationId: 'getFilePlan',
      summary: 'The whole file plan (Aktenplan) as a tree',
      ...requires('plan:read',
        'Every unit of the tenant\'s file plan in one answer (at most 10 000 units, no pagination): the top-level units, each with ' +
        'its `children` recursively, ordered by code. Retired (stillgelegte) units are included unless `includeRetired=false`; ' +
        'a retired unit\'s children are then left out with it. For a flat, paginated view use `GET …/file-plan/units`.'),
      params: TenantOnly, querystring: PlanTreeQuery,
      response: { 200: described(PlanTree, 'Top-level units with their children'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => ({ units: await service.getTree(request.ctx!, request.query.includeRetired) }));

  app.get('/file-plan/units', {
    schema: {
      tags, security, operationId: 'listFilePlanUnits',
      summary: 'List file-plan units (flat, paginated)',
      ...requires('plan:read',
        'Units in creation order (UUIDv7 id), `limit` per page (default 50, at most 200); pass `next` as `cursor` for the next ' +
        'page. `parentCode` lists the direct children of one unit (an unknown code answers an empty page), `retired` only ' +
        'retired (true) or only active (false) units.'),
      params: TenantOnly, querystring: PlanUnitListQuery,
      response: { 200: PlanUnitList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listUnits(request.ctx!, request.query));

  app.post('/file-plan/units', {
    schema: {
      tags, security, operationId: 'createFilePlanUnit',
      summary: 'Create a file-plan unit',
      ...requires('plan:write',
        'The parent is derived from the code (`32.10.05` goes under `32.10`): a missing parent answers 422 parent-missing, a ' +
        'retired one 409 unit-retired, an existing code 409 unit-exists, a plan of 10 000 units 409 limit-reached. Retention (Aufbewahrungsfrist) and disposal code (Aussonderungsart) set here are ' +
        'what files under the unit get at zdA.'),
      params: TenantOnly, headers: IdempotencyHeaders, body: CreatePlanUnit,
      response: { 201: created('PlanUnit', 'The new unit'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
    },
  }, async (request, reply) => {
    const unit = await service.createUnit(request.ctx!, request.body);
    return sendVersioned(reply, unit, 201, `/v1/tenants/${request.ctx!.tenant.slug}/file-plan/units/${unit.value.id}`);
  });

  app.post('/file-plan/import', {
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags, security, operationId: 'importFilePlan',
      summary: 'Import many units at once (all or nothing)',
      ...requires('plan:write',
        'For a town migrating from another system. Parents may be in the same import or exist already. ' +
        'Any duplicate code, existing code or missing parent rejects the whole import; nothing is created.'),
      params: TenantOnly, headers: IdempotencyHeaders, body: ImportPlan,
      response: { 201: described(ImportResult, 'How many units were created'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
    },
  }, async (request, reply) => reply.code(201).send(await service.importPlan(request.ctx!, request.body.units)));

  app.get('/file-plan/units/:unitId', {
    schema: {
      tags, security, operationId: 'getFilePlanUnit', summary: 'Read a file-plan unit',
      ...requires('plan:read',
        'One unit with its retention, disposal code and validity. Its ETag is the If-Match for changing or retiring it. ' +
        'An unknown id, or a unit of another tenant, answers 404.'),
      params: UnitParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('PlanUnit', 'The unit'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.getUnit(request.ctx!, request.params.unitId)));

  app.patch('/file-plan/units/:unitId', {
    schema: {
      tags, security, operationId: 'updateFilePlanUnit',
      summary: 'Change title, retention, disposal or validity of a unit',
      ...requires('plan:write', 'Fields not sent stay as they are; `null` clears an optional field. Requires If-Match.'),
      params: UnitParams, headers: IfMatchHeaders, body: UpdatePlanUnit,
      response: { 200: withEtag('PlanUnit', 'The changed unit'), ...problemResponses(400, 401, 403, 404, 409, 412, 415, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await service.updateUnit(request.ctx!, request.params.unitId, request.headers['if-match'], request.body)));

  app.post('/file-plan/units/:unitId/retire', {
    schema: {
      tags, security, operationId: 'retireFilePlanUnit',
      summary: 'Retire (stilllegen) a unit',
      ...requires('plan:write', 'The unit keeps its files but accepts no new ones. Retiring cannot be undone. Requires If-Match.'),
      params: UnitParams, headers: Type.Intersect([IfMatchHeaders, IdempotencyHeaders]),
      response: { 200: withEtag('PlanUnit', 'The retired unit'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await service.retireUnit(request.ctx!, request.params.unitId, request.headers['if-match'])));
};

export default filePlanRoutes;
