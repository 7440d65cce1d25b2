import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { webhookDocumentation } from '../modules/events/index.js';

export const API_DESCRIPTION = `EN-Akte is the shared electronic records service (E-Akte) of the towns of the Ennepe-Ruhr-Kreis.

**Tenants.** Every record belongs to one tenant (a town, the district or the competence centre); the tenant is part of
every path (\`/v1/tenants/{tenant}/…\`). Objects of another tenant answer 404, exactly as unknown ids do.

**Authentication.** Every \`/v1\` operation needs \`Authorization: Bearer <JWT>\`. Tokens carry \`tenant\`, \`sub\` and
\`roles\`; they are verified against the issuer's JWKS (\`/.well-known/jwks.json\` for tokens this service issues).

**Errors** are RFC 9457 \`application/problem+json\` with a stable \`code\`; the \`X-Request-Id\` response header names
the request in the logs.

**Events.** Every change is also an event (see \`webhooks\`): tenant admins subscribe their systems under
\`/v1/tenants/{tenant}/webhooks\`; deliveries are signed per Standard Webhooks and retried for about a day.`;

/** OpenAPI 3.1 document from the route schemas, and Swagger UI at /docs. */
export default fp(
  async function swaggerPlugin(app: FastifyInstance, opts: { publicUrl: string; version: string }) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'EN-Akte API',
          version: opts.version,
          description: API_DESCRIPTION,
          license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' },
        },
        servers: [{ url: opts.publicUrl }],
        tags: [
          { name: 'tenants', description: 'Towns, the district and the competence centre' },
          { name: 'auth', description: 'Token verification keys' },
          { name: 'operations', description: 'Health, readiness and metrics' },
          { name: 'search', description: 'German full-text search over files, cases, documents and the text of their versions' },
          { name: 'webhooks', description: 'Event subscriptions of the towns’ systems, their deliveries and the events themselves' },
        ],
        // Plain JSON Schema objects; the plugin's type wants its own OpenAPI object types.
        webhooks: webhookDocumentation() as never,
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
        },
      },
      // A query parameter with a default is optional for the client, whatever the schema's `required` says.
      transformObject: (documentObject) => {
        const spec = (documentObject as { openapiObject: { paths?: Record<string, Record<string, { parameters?: { in: string; required?: boolean; schema?: { default?: unknown } }[] }>> } }).openapiObject;
        for (const ops of Object.values(spec.paths ?? {})) {
          for (const op of Object.values(ops)) {
            for (const p of op.parameters ?? []) if (p.in === 'query' && p.schema?.default !== undefined) p.required = false;
          }
        }
        return spec;
      },
      refResolver: {
        // Name shared schemas by their $id (Problem, Tenant…) instead of def-0, def-1.
        buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
      },
    });
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: true },
    });
  },
  { name: 'swagger', dependencies: ['errors'], fastify: '5.x' },
);
