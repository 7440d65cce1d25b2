import { EVENT_CATALOGUE, EVENT_TYPES, eventPayloadSchema } from '../../core/index.js';

const SIGNATURE_HEADERS = {
  'webhook-id': { description: 'The event id: the same in every attempt and redelivery, so receivers drop duplicates', schema: { type: 'string', format: 'uuid', maxLength: 36 } },
  'webhook-timestamp': { description: 'Unix time (seconds) of this attempt; reject requests older than 5 minutes', schema: { type: 'string', pattern: '^[0-9]{1,12}$', maxLength: 12 } },
  'webhook-signature': {
    description:
      'Standard Webhooks signature(s): `v1,<base64 HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>">`, space-separated ' +
      'while an old secret is still in its grace period after a rotation',
    schema: { type: 'string', maxLength: 200 },
  },
};

/** The OpenAPI 3.1 `webhooks` section: every event a subscription can receive, with its payload. */
export function webhookDocumentation(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const type of EVENT_TYPES) {
    out[type] = {
      post: {
        operationId: `event_${type.replace(/[.-]/g, '_')}`,
        summary: EVENT_CATALOGUE[type].summary,
        description:
          `Sent to the URL of every enabled subscription of the tenant whose eventTypes match \`${type}\`` +
          (type === 'webhook.test' ? ' (only on POST …/webhooks/{webhookId}/test).' : '.') +
          ' Delivered at least once; answer 2xx within 10 s. Other answers, timeouts and redirects are retried with exponential backoff for about a day.',
        tags: ['webhooks'],
        parameters: Object.entries(SIGNATURE_HEADERS).map(([name, h]) => ({ name, in: 'header', required: true, ...h })),
        requestBody: { required: true, content: { 'application/json': { schema: eventPayloadSchema(type) } } },
        responses: { '2XX': { description: 'Received; any 2xx ends the delivery' } },
      },
    };
  }
  return out;
}
