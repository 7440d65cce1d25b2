import { Type, type Static } from 'typebox';
import { EVENT_TYPES } from '../../core/index.js';
import { Cursor, Int32, Limit, NextCursor, PageItems, Slug, Timestamp, Uuid } from '../../schemas/common.js';

/** Event types a subscription may name: each type, a whole group (`file.*`), or everything (`*`). */
export const SUBSCRIBABLE = [
  ...EVENT_TYPES.filter((t) => t !== 'webhook.test'),
  ...[...new Set(EVENT_TYPES.filter((t) => t !== 'webhook.test').map((t) => `${t.split('.')[0]}.*`))],
  '*',
];

export const EventTypeFilter = Type.Array(
  Type.Union(SUBSCRIBABLE.map((t) => Type.Literal(t))),
  { minItems: 1, maxItems: 40, uniqueItems: true, description: 'Event types to receive: a type (`file.closed`), a group (`file.*`) or `*`' },
);

export const WEBHOOK_URL_MAX = 2000;

export const Webhook = Type.Object(
  {
    id: Uuid,
    url: Type.String({ maxLength: WEBHOOK_URL_MAX, description: 'Where events are POSTed (https)' }),
    description: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    eventTypes: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 40 }),
    enabled: Type.Boolean(),
    disabledReason: Type.Union([Type.String({ maxLength: 600 }), Type.Null()], { description: 'Why it was disabled (by its owner, or after repeated failed deliveries)' }),
    disabledAt: Type.Union([Timestamp, Type.Null()]),
    consecutiveFailures: Int32({ description: 'Deliveries in a row that failed for good' }),
    secretRotatedAt: Timestamp,
    previousSecretValidUntil: Type.Union([Timestamp, Type.Null()], { description: 'Until then, deliveries are also signed with the previous secret' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: Type.String({ maxLength: 250 }),
  },
  {
    $id: 'Webhook',
    additionalProperties: false,
    examples: [
      {
        id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c20',
        url: 'https://gewerbe.hattingen.example/en-akte/events',
        description: 'Gewerbe-Fachverfahren',
        eventTypes: ['file.*', 'version.created'],
        enabled: true,
        disabledReason: null,
        disabledAt: null,
        consecutiveFailures: 0,
        secretRotatedAt: '2026-12-01T10:00:00.000Z',
        previousSecretValidUntil: null,
        createdAt: '2026-12-01T10:00:00.000Z',
        updatedAt: '2026-12-01T10:00:00.000Z',
        createdBy: 'admin@hattingen',
      },
    ],
  },
);
export type Webhook = Static<typeof Webhook>;

/** The subscription with its secret: one closed object (an allOf with the closed Webhook would admit no secret). */
export const WebhookWithSecret = Type.Object(
  {
    ...Webhook.properties,
    secret: Type.String({ maxLength: 100, description: 'The signing secret (whsec_…): shown once, keep it in the receiving system' }),
  },
  { $id: 'WebhookWithSecret', additionalProperties: false, description: 'The subscription with its signing secret, answered only when the secret is issued' },
);

const url = Type.String({ minLength: 8, maxLength: WEBHOOK_URL_MAX, description: 'https URL of the receiver' });
const description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);

export const CreateWebhook = Type.Object(
  { url, eventTypes: EventTypeFilter, description: Type.Optional(description) },
  { additionalProperties: false, examples: [{ url: 'https://gewerbe.hattingen.example/en-akte/events', eventTypes: ['file.*', 'version.created'] }] },
);
export type CreateWebhook = Static<typeof CreateWebhook>;

export const UpdateWebhook = Type.Object(
  { url: Type.Optional(url), eventTypes: Type.Optional(EventTypeFilter), description: Type.Optional(description) },
  { additionalProperties: false, minProperties: 1, examples: [{ eventTypes: ['*'] }] },
);
export type UpdateWebhook = Static<typeof UpdateWebhook>;

export const DisableBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Why (shown on the subscription)' })) },
  { additionalProperties: false },
);

export const WebhookList = Type.Object(
  {
    items: PageItems(Type.Unsafe<Webhook>(Type.Ref('Webhook'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);

export const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')], {
  description: 'pending (being tried), succeeded (a 2xx), failed (every attempt failed), cancelled (the subscription was disabled)',
});

export const Attempt = Type.Object(
  {
    number: Int32({ minimum: 1, maximum: 20 }),
    at: Timestamp,
    durationMs: Int32(),
    statusCode: Type.Union([Int32({ minimum: 100, maximum: 999 }), Type.Null()], { description: 'HTTP status of the answer; null when none came' }),
    error: Type.Union([Type.String({ maxLength: 500 }), Type.Null()], { description: 'What went wrong (timeout, refused connection, non-2xx…)' }),
  },
  { additionalProperties: false },
);

export const Delivery = Type.Object(
  {
    id: Uuid,
    webhookId: Uuid,
    eventId: Uuid,
    eventType: Type.String({ maxLength: 40 }),
    status: DeliveryStatus,
    attempts: Int32({ maximum: 20 }),
    lastAttemptAt: Type.Union([Timestamp, Type.Null()]),
    lastStatusCode: Type.Union([Int32({ minimum: 100, maximum: 999 }), Type.Null()]),
    lastError: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    completedAt: Type.Union([Timestamp, Type.Null()]),
    redeliveryOf: Type.Union([Uuid, Type.Null()], { description: 'The delivery this one repeats (manual redelivery)' }),
    createdAt: Timestamp,
  },
  { $id: 'WebhookDelivery', additionalProperties: false },
);
export type Delivery = Static<typeof Delivery>;

export const DeliveryWithAttempts = Type.Object(
  { ...Delivery.properties, attemptLog: Type.Array(Attempt, { maxItems: 20 }) },
  { $id: 'WebhookDeliveryWithAttempts', additionalProperties: false, description: 'A delivery with every attempt made' },
);

export const DeliveryList = Type.Object(
  {
    items: PageItems(Type.Unsafe<Delivery>(Type.Ref('WebhookDelivery'))),
    next: NextCursor,
  },
  { additionalProperties: false },
);

export const DeliveryListQuery = Type.Object({ limit: Limit, cursor: Type.Optional(Cursor), status: Type.Optional(DeliveryStatus) }, { additionalProperties: false });

export const WebhookParams = Type.Object({ tenant: Slug, webhookId: Type.String({ format: 'uuid', maxLength: 36, description: 'Id of the subscription' }) }, { additionalProperties: false });
export const DeliveryParams = Type.Object(
  {
    tenant: Slug,
    webhookId: Type.String({ format: 'uuid', maxLength: 36, description: 'Id of the subscription' }),
    deliveryId: Type.String({ format: 'uuid', maxLength: 36, description: 'Id of the delivery' }),
  },
  { additionalProperties: false },
);

export const Accepted = Type.Object(
  { deliveryId: Uuid, status: Type.Literal('pending') },
  { additionalProperties: false, description: 'The delivery was queued; follow it under …/deliveries/{deliveryId}' },
);
