import { PassThrough } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { InScope, RequestContext } from '../../core/index.js';
import { AppError, errors } from '../../errors.js';
import { sendVersioned } from '../../lib/reply.js';
import { requires } from '../../schemas/access.js';
import { ETagHeaders, IdempotencyHeaders, IdParam, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../schemas/common.js';
import { created, notModified, readWithEtag, withEtag } from '../../schemas/responses.js';
import { compileInput, FORM_DATA_MAX_BYTES } from './form.js';
import {
  CreateOnlineService,
  IntakeAnswer,
  OnlineService,
  OnlineServiceList,
  PaymentAnswer,
  PaymentReport,
  SubmissionInput,
  SubmissionList,
  SubmissionListQuery,
  SubmissionOrForward,
  SubmissionRef,
  SubmissionView,
  Transition,
  UpdateOnlineService,
} from './schemas.js';
import type { OnlineOps } from './service.js';

/** A file part of a multipart submission. */
export interface SubmissionPart {
  field: string;
  stream: NodeJS.ReadableStream & PassThrough;
}

export interface OnlineRouteOptions {
  service: InScope<OnlineOps>;
  intake(ctx: RequestContext, sub: SubmissionInput, nextPart: () => Promise<SubmissionPart | null>): Promise<{ status: 200 | 201; body: IntakeAnswer }>;
  reportPayment(ctx: RequestContext, report: PaymentReport): Promise<Static<typeof PaymentAnswer>>;
  maxBytes: number;
}

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const ServiceParams = IdParam('serviceId', 'online service');
const SubmissionParams = IdParam('submissionId', 'submission');
const WriteHeaders = Type.Intersect([IfMatchHeaders, IdempotencyHeaders]);
const security = [{ bearerAuth: [] }];
const checkSubmission = compileInput<SubmissionInput>(SubmissionInput);
/** A multipart submission for the document: the handler reads its parts in order (readMultipart). */
const MultipartSubmission = {
  type: 'object',
  required: ['submission'],
  maxProperties: 21,
  description: 'First the field `submission`, then one file part per declared attachment, named as its `part`, in that order',
  properties: {
    submission: {
      type: 'string',
      contentMediaType: 'application/json',
      maxLength: FORM_DATA_MAX_BYTES + 64 * 1024,
      description: 'The submission as JSON (the SubmissionInput of the JSON body), sent as a text field or as a part of type application/json',
    },
  },
  additionalProperties: {
    type: 'string',
    format: 'binary',
    maxLength: 2 ** 40,
    description: 'An attachment: the file part named in `attachments[].part`, checked against its declared SHA-256',
  },
} as const;

function clientFault(err: unknown): Error {
  const e = err as Error & { statusCode?: number };
  if (e instanceof AppError || (typeof e.statusCode === 'number' && e.statusCode < 500)) return e;
  return errors.badRequest(`The multipart body is malformed: ${e.message}`);
}

/** The submission of a multipart body (its first part, a field named `submission`) and its file parts after it. */
async function readMultipart(request: FastifyRequest) {
  const parts = request.parts();
  const next = async () => {
    try {
      return await parts.next();
    } catch (err) {
      throw clientFault(err);
    }
  };
  const first = await next();
  if (first.done || first.value.type !== 'field' || first.value.fieldname !== 'submission') {
    throw errors.badRequest('The first part of a multipart submission is the field "submission" (the JSON metadata and form data)');
  }
  // @fastify/multipart parses a field sent as application/json itself; a plain field is text.
  let json: unknown = first.value.value;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch {
      throw errors.malformedJson('The "submission" part is not valid JSON');
    }
  }
  const checked = checkSubmission(json);
  if (!checked.ok) throw errors.validation(checked.errors.map((e) => `submission${e.path} ${e.message}`).join('; '), checked.errors.map((e) => ({ path: `submission${e.path}`, message: e.message })));
  const nextPart = async (): Promise<SubmissionPart | null> => {
    const r = await next();
    if (r.done) return null;
    if (r.value.type !== 'file') throw errors.badRequest('After "submission", a multipart submission carries only file parts (the attachments)');
    const stream = new PassThrough();
    r.value.file.once('error', (err) => stream.destroy(clientFault(err)));
    r.value.file.pipe(stream);
    return { field: r.value.fieldname, stream };
  };
  return { submission: checked.value, nextPart };
}

const onlineRoutes: FastifyPluginAsyncTypebox<OnlineRouteOptions> = async (app, opts) => {
  const { service } = opts;
  app.addSchema(OnlineService);
  app.addSchema(SubmissionView);

  await app.register(multipart, {
    limits: { files: 20, fileSize: opts.maxBytes + 1, fields: 1, parts: 21, fieldSize: FORM_DATA_MAX_BYTES + 64 * 1024, headerPairs: 50 },
    throwFileSizeLimit: true,
  });

  app.get('/online-services', {
    schema: {
      tags: ['online services'], security, operationId: 'listOnlineServices', summary: 'The tenant\'s online services (catalogue)',
      ...requires('online-services:read',
        'Every online service (Onlinedienst) the tenant offers, ordered by service key, with its form schema, filing rule, ' +
        'payment requirement and whether it is active (at most 200, no pagination). The portal\'s intake client reads it to ' +
        'know which services and forms a town takes.'),
      params: TenantOnly, response: { 200: OnlineServiceList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listServices(request.ctx!));

  app.post('/online-services', {
    schema: {
      tags: ['online services'], security, operationId: 'createOnlineService', summary: 'Offer an online service (tenant admin)',
      ...requires('online-services:manage',
        'The form schema must be a valid JSON Schema (draft-07) of an object; a service filed here needs its plan unit before it ' +
        'is active. A service key the tenant offers already answers 409; an invalid form schema, a case in a running file ' +
        'without `runningFileTitle` or an inactive competent tenant 422 form-invalid.'),
      params: TenantOnly, headers: IdempotencyHeaders, body: CreateOnlineService,
      response: { 201: created('OnlineService', 'The service'), ...problemResponses(400, 401, 403, 404, 409, 415, 422, 500) },
    },
  }, async (request, reply) => {
    const v = await service.createService(request.ctx!, request.body);
    return sendVersioned(reply, v, 201, `/v1/tenants/${request.ctx!.tenant.slug}/online-services/${v.value.id}`);
  });

  app.get('/online-services/:serviceId', {
    schema: {
      tags: ['online services'], security, operationId: 'getOnlineService', summary: 'Read an online service with its form schema',
      ...requires('online-services:read',
        'One service with its form schema (Fachdaten), plan unit, filing rule and competent tenant. Its ETag is the If-Match for ' +
        'changing it.'),
      params: ServiceParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('OnlineService', 'The service'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.getService(request.ctx!, request.params.serviceId)));

  app.patch('/online-services/:serviceId', {
    schema: {
      tags: ['online services'], security, operationId: 'updateOnlineService', summary: 'Change an online service or switch it on or off (tenant admin)',
      ...requires('online-services:manage',
        'Fields not sent stay as they are; the service key cannot change. The result is checked like a new service (422 ' +
        'form-invalid; an active service filed here needs its plan unit); `active: false` takes it out of intake. ' +
        'Requires If-Match (412 when stale).'),
      params: ServiceParams, headers: IfMatchHeaders, body: UpdateOnlineService,
      response: { 200: withEtag('OnlineService', 'The service after the change'), ...problemResponses(400, 401, 403, 404, 409, 412, 415, 422, 428, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.updateService(request.ctx!, request.params.serviceId, request.headers['if-match'], request.body)));

  app.post('/submissions', {
    config: { idempotency: 'stream' },
    schema: {
      tags: ['submissions'], security, operationId: 'submitApplication',
      summary: 'File a submission from the online-service portal (intake client)',
      ...requires('submissions:submit',
        'JSON (no attachments) or multipart/form-data: first the field `submission` with the same JSON, then one file part per ' +
        'declared attachment, in order, each checked against its SHA-256. Files everything in one unit of work with the competent ' +
        'tenant (a file or a case in the running file, the form data as JSON and as text, a document per attachment, an event). ' +
        'Idempotent on `submissionId`: the same body answers 200 with the first answer, a different one 422 submission-id-reused. ' +
        'Only the portal\'s machine client (role `intake`) submits; no town role may.'),
      params: TenantOnly, headers: IdempotencyHeaders,
      consumes: ['application/json', 'multipart/form-data'],
      body: { content: { 'application/json': { schema: SubmissionInput }, 'multipart/form-data': { schema: MultipartSubmission } } },
      response: {
        201: { ...IntakeAnswer, description: 'Filed' },
        200: { ...IntakeAnswer, description: 'Filed before (a retry with the same submission)' },
        ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 500),
      },
    },
  }, async (request, reply) => {
    let sub: SubmissionInput;
    let nextPart: () => Promise<SubmissionPart | null> = async () => null;
    if (request.isMultipart()) ({ submission: sub, nextPart } = await readMultipart(request));
    else sub = request.body as SubmissionInput;
    const done = await opts.intake(request.ctx!, sub, nextPart);
    return reply.code(done.status).send(done.body);
  });

  app.get('/submissions', {
    schema: {
      tags: ['submissions'], security, operationId: 'listSubmissions', summary: 'Submissions filed with this tenant',
      ...requires('submissions:read',
        'Submissions (Anträge) filed with this tenant in the order they arrived, with their processing state, payment and the ' +
        'file and case they were filed in. Filter by `state` and by `overdue` (true: only those flagged still received after ' +
        'SUBMISSION_OVERDUE_DAYS; false: only the others). `limit` per page (default 50, at most 200); pass `next` as `cursor`.'),
      params: TenantOnly, querystring: SubmissionListQuery, response: { 200: SubmissionList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listSubmissions(request.ctx!, request.query));

  app.get('/submissions/:submissionId', {
    schema: {
      tags: ['submissions'], security, operationId: 'getSubmission',
      summary: 'A submission filed here, or where a submission sent here was forwarded',
      ...requires('submissions:read',
        'A submission filed with this tenant, with its state, payment and filing. A submission the portal sent to this tenant ' +
        'but that was filed with the competent tenant (another tenant of the shared service) answers only where it went; its ' +
        'contents stay with that tenant. Its ETag is the If-Match for `POST …/transitions`.'),
      params: SubmissionParams, headers: IfNoneMatchHeaders,
      response: {
        200: { ...SubmissionOrForward, description: 'The submission (or, for the tenant that forwarded it, only where it went)', headers: ETagHeaders },
        304: notModified,
        ...problemResponses(400, 401, 403, 404, 500),
      },
    },
  }, async (request, reply) => sendVersioned(reply, await service.getSubmission(request.ctx!, request.params.submissionId)));

  app.post('/submissions/:submissionId/transitions', {
    schema: {
      tags: ['submissions'], security, operationId: 'transitionSubmission',
      summary: 'Move a submission to its next processing state',
      ...requires('submissions:process',
        'received → accepted or rejected (with reason) → in-progress → decided (decisionDocumentId: the Bescheid, a document of the case ' +
        'with content) → closed; rejected → closed. A service that requires payment is accepted only once paid. Requires If-Match.'),
      params: SubmissionParams, headers: WriteHeaders, body: Transition,
      response: { 200: { ...SubmissionRef, description: 'The submission in its new state', headers: ETagHeaders }, ...problemResponses(400, 401, 403, 404, 409, 412, 415, 422, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await service.transition(request.ctx!, request.params.submissionId, request.headers['if-match'], request.body)));

  app.post('/payments', {
    schema: {
      tags: ['submissions'], security, operationId: 'reportPayment',
      summary: 'Payment status from ePayBL (payment-provider client)',
      ...requires('payments:report',
        'Sets open, paid, failed or refunded with amount and transaction reference for the submission of that portal id. The same ' +
        'report twice answers changed: false. A paid payment changes only to refunded (409 otherwise). Only the payment ' +
        'provider\'s machine client (role `payment-provider`) reports; no town role may.'),
      params: TenantOnly, headers: IdempotencyHeaders, body: PaymentReport,
      response: { 200: PaymentAnswer, ...problemResponses(400, 401, 403, 404, 409, 415, 422, 500) },
    },
  }, async (request) => opts.reportPayment(request.ctx!, request.body));
};

export default onlineRoutes;
