import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendVersioned } from '../../lib/reply.js';
import { requires } from '../../schemas/access.js';
import { IdempotencyHeaders, IfMatchHeaders, IfNoneMatchHeaders, problemResponses, Slug } from '../../schemas/common.js';
import { readWithEtag, withEtag } from '../../schemas/responses.js';
import {
  Accepted,
  CreateWebhook,
  Delivery,
  DeliveryList,
  DeliveryListQuery,
  DeliveryParams,
  DeliveryWithAttempts,
  DisableBody,
  UpdateWebhook,
  Webhook,
  WebhookList,
  WebhookParams,
  WebhookWithSecret,
} from './schemas.js';
import type { Webhooks } from './service.js';

const TenantOnly = Type.Object({ tenant: Slug }, { additionalProperties: false });
const ListQuery = Type.Object({ limit: DeliveryListQuery.properties.limit, cursor: DeliveryListQuery.properties.cursor }, { additionalProperties: false });
const WriteHeaders = Type.Intersect([IfMatchHeaders, IdempotencyHeaders]);
const tags = ['webhooks'];
const security = [{ bearerAuth: [] }];
const withSecret = (description: string) => withEtag('WebhookWithSecret', description);

/** Tenant admins subscribe their town's systems to events (see the OpenAPI `webhooks` section). */
const webhookRoutes: FastifyPluginAsyncTypebox<{ service: Webhooks; maxPerTenant: number }> = async (app, { service, maxPerTenant }) => {
  app.addSchema(Webhook);
  app.addSchema(Delivery);
  app.addSchema(WebhookWithSecret);
  app.addSchema(DeliveryWithAttempts);
  const base = (id: string, slug: string) => `/v1/tenants/${slug}/webhooks/${id}`;

  app.post('/webhooks', {
    schema: {
      tags, security, operationId: 'createWebhook',
      summary: 'Subscribe a receiver to events (tenant admins)',
      ...requires('webhooks:manage',
        'The URL must be https and resolve to public addresses only (loopback, private, link-local and metadata addresses ' +
        `are refused). At most ${maxPerTenant} subscriptions per tenant (409 limit-reached). The signing secret is returned ` +
        'only here; every delivery is signed with it per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).'),
      params: TenantOnly, headers: IdempotencyHeaders, body: CreateWebhook,
      response: { 201: withSecret('The subscription with its signing secret'), ...problemResponses(400, 401, 403, 404, 409, 415, 500) },
    },
  }, async (request, reply) => {
    const w = await service.createWebhook(request.ctx!, request.body);
    reply.header('etag', w.etag).header('location', base(w.value.id, request.ctx!.tenant.slug)).header('cache-control', 'no-store');
    return reply.code(201).send({ ...w.value, secret: w.secret });
  });

  app.get('/webhooks', {
    schema: {
      tags, security, operationId: 'listWebhooks', summary: 'List the webhook subscriptions of the tenant',
      ...requires('webhooks:manage',
        'Every subscription with its URL, event types, whether it is enabled (and why not) and its failure count; never a ' +
        'secret. `limit` per page (default 50, at most 200); pass `next` as `cursor` for the next page.'),
      params: TenantOnly, querystring: ListQuery,
      response: { 200: WebhookList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listWebhooks(request.ctx!, request.query));

  app.get('/webhooks/:webhookId', {
    schema: {
      tags, security, operationId: 'getWebhook', summary: 'Read a subscription (never its secret)',
      ...requires('webhooks:manage',
        'URL, event types, description, state (enabled, or disabled with `disabledReason`), consecutive failures and the ' +
        'secret\'s rotation. Its ETag is the If-Match for changing, disabling, enabling, rotating or deleting it.'),
      params: WebhookParams, headers: IfNoneMatchHeaders,
      response: { ...readWithEtag('Webhook', 'The subscription'), ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.getWebhook(request.ctx!, request.params.webhookId)));

  app.patch('/webhooks/:webhookId', {
    schema: {
      tags, security, operationId: 'updateWebhook', summary: 'Change a subscription’s URL, event types or description',
      ...requires('webhooks:manage', 'Requires If-Match. A new URL is checked like a new subscription.'),
      params: WebhookParams, headers: IfMatchHeaders, body: UpdateWebhook,
      response: { 200: withEtag('Webhook', 'The changed subscription'), ...problemResponses(400, 401, 403, 404, 412, 415, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await service.updateWebhook(request.ctx!, request.params.webhookId, request.headers['if-match'], request.body)));

  app.post('/webhooks/:webhookId/disable', {
    schema: {
      tags, security, operationId: 'disableWebhook', summary: 'Stop deliveries to a subscription',
      ...requires('webhooks:manage',
        'Pending deliveries are cancelled. EN-Akte also disables a subscription whose deliveries keep failing; `disabledReason` ' +
        'says why. A disabled subscription answers 409. Requires If-Match.'),
      params: WebhookParams, headers: WriteHeaders, body: Type.Optional(DisableBody),
      response: { 200: withEtag('Webhook', 'The disabled subscription'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) =>
    sendVersioned(reply, await service.disableWebhook(request.ctx!, request.params.webhookId, request.headers['if-match'], request.body?.reason)));

  app.post('/webhooks/:webhookId/enable', {
    schema: {
      tags, security, operationId: 'enableWebhook', summary: 'Resume deliveries to a disabled subscription',
      ...requires('webhooks:manage',
        'Resets the failure count. Events of the time it was disabled are not sent (redeliver them one by one). An enabled ' +
        'subscription answers 409. Requires If-Match.'),
      params: WebhookParams, headers: WriteHeaders,
      response: { 200: withEtag('Webhook', 'The enabled subscription'), ...problemResponses(400, 401, 403, 404, 409, 412, 428, 500) },
    },
  }, async (request, reply) => sendVersioned(reply, await service.enableWebhook(request.ctx!, request.params.webhookId, request.headers['if-match'])));

  app.delete('/webhooks/:webhookId', {
    schema: {
      tags, security, operationId: 'deleteWebhook', summary: 'Delete a subscription with its delivery history',
      ...requires('webhooks:manage', 'Deliveries stop at once; the deletion is recorded in the audit trail. Requires If-Match.'),
      params: WebhookParams, headers: IfMatchHeaders,
      response: { 204: { description: 'Deleted', type: 'null' }, ...problemResponses(400, 401, 403, 404, 412, 428, 500) },
    },
  }, async (request, reply) => {
    await service.deleteWebhook(request.ctx!, request.params.webhookId, request.headers['if-match']);
    return reply.code(204).send(null);
  });

  app.post('/webhooks/:webhookId/rotate-secret', {
    schema: {
      tags, security, operationId: 'rotateWebhookSecret', summary: 'Issue a new signing secret',
      ...requires('webhooks:manage',
        'The new secret signs from now on; the previous one keeps signing as a second signature until `previousSecretValidUntil`, ' +
        'so the receiver can switch without missing a delivery. The new secret is returned only here. Requires If-Match.'),
      params: WebhookParams, headers: WriteHeaders,
      response: { 200: withSecret('The subscription with its new secret'), ...problemResponses(400, 401, 403, 404, 412, 428, 500) },
    },
  }, async (request, reply) => {
    const w = await service.rotateSecret(request.ctx!, request.params.webhookId, request.headers['if-match']);
    reply.header('etag', w.etag).header('cache-control', 'no-store');
    return { ...w.value, secret: w.secret };
  });

  app.post('/webhooks/:webhookId/test', {
    schema: {
      tags, security, operationId: 'testWebhook', summary: 'Send a test event (webhook.test) to this subscription',
      ...requires('webhooks:manage',
        'Queues a `webhook.test` event for this subscription only (whatever its event types), signed and retried like every ' +
        'delivery, and answers 202 with the delivery id: follow it under `…/deliveries/{deliveryId}`. A disabled subscription ' +
        'answers 409. The test is recorded in the audit trail.'),
      params: WebhookParams, headers: IdempotencyHeaders,
      response: { 202: Accepted, ...problemResponses(400, 401, 403, 404, 409, 500) },
    },
  }, async (request, reply) => reply.code(202).send(await service.sendTest(request.ctx!, request.params.webhookId)));

  app.get('/webhooks/:webhookId/deliveries', {
    schema: {
      tags, security, operationId: 'listWebhookDeliveries', summary: 'Deliveries of a subscription with their status and attempts',
      ...requires('webhooks:manage',
        'One delivery per event sent to the subscription, oldest first, with its status (pending, succeeded, failed, cancelled), ' +
        'attempt count and the last attempt\'s time, HTTP status and error. Filter by `status`; `limit` per page (default 50, at most 200), pass `next` as ' +
        '`cursor`. Every attempt of one delivery: `GET …/deliveries/{deliveryId}`.'),
      params: WebhookParams, querystring: DeliveryListQuery,
      response: { 200: DeliveryList, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.listDeliveries(request.ctx!, request.params.webhookId, request.query));

  app.get('/webhooks/:webhookId/deliveries/:deliveryId', {
    schema: {
      tags, security, operationId: 'getWebhookDelivery', summary: 'One delivery with every attempt (time, duration, status, error)',
      ...requires('webhooks:manage',
        'The delivery with its event id and type, status and `attemptLog`: for every attempt its time, duration, the receiver\'s HTTP status ' +
        'and the error, if any. A delivery of another subscription answers 404.'),
      params: DeliveryParams,
      response: { 200: { ...Type.Ref('WebhookDeliveryWithAttempts'), description: 'The delivery' }, ...problemResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => service.getDelivery(request.ctx!, request.params.webhookId, request.params.deliveryId));

  app.post('/webhooks/:webhookId/deliveries/:deliveryId/redeliver', {
    schema: {
      tags, security, operationId: 'redeliverWebhookDelivery', summary: 'Send a delivery’s event again',
      ...requires('webhooks:manage', 'A new delivery of the same event, with the same webhook-id. The subscription must be enabled (409 otherwise).'),
      params: DeliveryParams, headers: IdempotencyHeaders,
      response: { 202: Accepted, ...problemResponses(400, 401, 403, 404, 409, 500) },
    },
  }, async (request, reply) => reply.code(202).send(await service.redeliver(request.ctx!, request.params.webhookId, request.params.deliveryId)));
};

export default webhookRoutes;
