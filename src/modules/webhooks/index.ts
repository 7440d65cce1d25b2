/** Webhooks for the towns' systems: subscriptions, signed at-least-once delivery, retries, history. */
export { createWebhooks, DELIVERY_QUEUE, RetryDelivery, matches, type DeliveryJob, type WebhookSettings, type Webhooks } from './service.js';
export { default as webhookRoutes } from './routes.js';
export { createSender, type Sender } from './sender.js';
export { parseAllowList, type TargetPolicy } from './targets.js';
export { newWebhookSecret, signatureHeaders } from './signing.js';
export { purgeDeliveries } from './purge.js';
