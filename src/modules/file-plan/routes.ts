import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../lib/reply.js';
import { IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../schemas/common.js';
import { created, described, readWithEtag, withEtag } from '../../schemas/responses.js';
import {
  CreatePlanUnit,
  ImportPlan,
  ImportResult,
  PlanTree,
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

  app.get('/file-plan', {
    schema: {
      tags, security, operationId: 'getFilePlan',
      summary: 'The whole file plan (Aktenplan) as a tree',
      params: TenantOnly, querystring: PlanTreeQuery,
      response: { 200: described(PlanTree, 'Top-level units with their children'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => ({ units: await service.getTree(request.ctx!, request.query.includeRetired) }));

  app.get('/file-plan/units', {
    schema: {
      tags, security, operationId: 'listFilePlanUnits',
      summary: 'List file-plan units (flat, paginated)',
      params: TenantOnly, querystring: PlanUnitListQuery,
      response: { 200: PlanUnitList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listUnits(request.ctx!, request.query));

  app.post('/file-plan/units', {
    schema: {
      tags, security, operationId: 'createFilePlanUnit',
      summary: 'Create a file-plan unit',
      description: 'The parent is derived from the code (`32.10.05` goes under `32.10`, which must exist and not be retired).',
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
      description:
        'For a town migrating from another system. Parents may be in the same import or exist already. ' +
        'Any duplicate code, existing code or missing parent rejects the whole import; nothing is created.',
      params: TenantOnly, headers: IdempotencyHeaders, body: ImportPlan,
      response: { 201: described(ImportResult, 'How many units were created'), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500) },
    },
  }, async (request, reply) => reply.code(201).send(await service.importPlan(request.ctx!, request.body.units)));

  app.get('/file-plan/units/:unitId', {
    schema: {
      tags, security, operationId: 'getFilePlanUnit', summary: 'Read a file-plan unit',
      params: UnitParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('PlanUnit', 'The unit'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.getUnit(request.ctx!, request.params.unitId)));

  app.patch('/file-plan/units/:unitId', {
    schema: {
      tags, security, operationId: 'updateFilePlanUnit',
      summary: 'Change title, retention, disposal or validity of a unit',
      description: 'Fields not sent stay as they are; `null` clears an optional field. Requires If-Match.',
      params: UnitParams, headers: IfMatchHeaders, body: UpdatePlanUnit,
      response: { 200: withEtag('PlanUnit', 'The changed unit'), ...problemResponses(400, 401, 403, 404, 409, 412, 415, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await service.updateUnit(request.ctx!, request.params.unitId, request.headers['if-match'], request.body)));

  app.post('/file-plan/units/:unitId/retire', {
    schema: {
      tags, security, operationId: 'retireFilePlanUnit',
      summary: 'Retire (stilllegen) a unit',
      description: 'The unit keeps its files but accepts no new ones. Retiring cannot be undone. Requires If-Match.',
      params: UnitParams, headers: Type.Intersect([IfMatchHeaders, IdempotencyHeaders]),
      response: { 200: withEtag('PlanUnit', 'The retired unit'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await service.retireUnit(request.ctx!, request.params.unitId, request.headers['if-match'])));
};

export default filePlanRoutes;
