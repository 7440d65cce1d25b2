import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { webhookDocumentation } from '../modules/events/index.js';
import { withExamples } from './openapi-examples.js';
import { addCommonResponses, withExactContract, type ContractDocument } from './openapi-contract.js';

export const API_DESCRIPTION = `EN-Akte is the shared electronic records service (E-Akte) of the towns of the Ennepe-Ruhr-Kreis.

**Tenants.** Every record belongs to one tenant (a town, the district or the competence centre); the tenant is part of
every path (\`/v1/tenants/{tenant}/…\`). Objects of another tenant answer 404, exactly as unknown ids do.

**Authentication.** Every \`/v1\` operation needs \`Authorization: Bearer <JWT>\`; a town system gets one with the OAuth 2.0
client credentials flow at \`/oauth/token\` (security scheme \`oauth2\`). Tokens carry \`tenant\`, \`sub\` and
\`roles\`; they are verified against the issuer's JWKS (\`/.well-known/jwks.json\` for tokens this service issues).

**Errors** are RFC 9457 \`application/problem+json\` with a stable \`code\`; each error response lists the codes it can
carry. The \`type\` of a problem is \`<PUBLIC_URL>/problems/<code>\`, where GET answers its documentation (HTML, or JSON
with \`Accept: application/json\`); \`GET /problems\` lists them all. The \`X-Request-Id\` response header names the
request in the logs.

**Events.** Every change is also an event (see \`webhooks\`): tenant admins subscribe their systems under
\`/v1/tenants/{tenant}/webhooks\`; deliveries are signed per Standard Webhooks and retried for about a day.`;

interface OpenApiResponse {
  description?: string;
  headers?: Record<string, unknown>;
  content?: unknown;
}
interface OpenApiOperation {
  parameters?: { in: string; required?: boolean; schema?: { default?: unknown } }[];
  responses?: Record<string, OpenApiResponse>;
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

/** Paths behind the rate limits (src/plugins/rate-limit.ts): every /v1 operation and the token endpoint. */
export const isRateLimited = (path: string) => path.startsWith('/v1/') || path === '/v1' || path === '/oauth/token';

const integerHeader = (description: string) => ({ description, schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 } });
/** The headers of the global behaviour, defined once (components.headers) and referred to per response. */
const GLOBAL_HEADERS = {
  'RateLimit-Limit': integerHeader('Requests allowed in the current window (draft-ietf-httpapi-ratelimit-headers); sent on every counted request'),
  'RateLimit-Remaining': integerHeader('Requests left in the current window'),
  'RateLimit-Reset': integerHeader('Seconds until the window ends'),
  'Access-Control-Allow-Origin': {
    description: 'Only for a request whose Origin is listed in CORS_ORIGINS (none by default: browsers on other origins get no access)',
    schema: { type: 'string', maxLength: 2000 },
  },
  'Retry-After': { description: 'Seconds to wait before the next request', required: true, schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 3600 } },
};
const headerRef = (name: keyof typeof GLOBAL_HEADERS) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': headerRef('RateLimit-Limit'),
  'RateLimit-Remaining': headerRef('RateLimit-Remaining'),
  'RateLimit-Reset': headerRef('RateLimit-Reset'),
};
const CORS_HEADER = { 'Access-Control-Allow-Origin': headerRef('Access-Control-Allow-Origin') };
const TOO_MANY_REQUESTS: OpenApiResponse = {
  description: 'Rate limit exceeded; wait Retry-After seconds',
  headers: { 'Retry-After': headerRef('Retry-After'), ...RATE_LIMIT_HEADERS },
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

/**
 * What global hooks do to every operation, written into the document once instead of into each
 * route: a query parameter with a default is optional; rate-limited operations answer 429 and
 * carry the RateLimit headers; every response may carry the CORS header.
 */
function withGlobalBehaviour(spec: OpenApiDocument): OpenApiDocument {
  for (const [path, ops] of Object.entries(spec.paths ?? {})) {
    for (const op of Object.values(ops)) {
      for (const p of op.parameters ?? []) if (p.in === 'query' && p.schema?.default !== undefined) p.required = false;
      const responses = (op.responses ??= {});
      const limited = isRateLimited(path);
      if (limited) responses['429'] = structuredClone(TOO_MANY_REQUESTS);
      for (const [status, response] of Object.entries(responses)) {
        // Also on 408 and 431, which are answered before any limit counts: the headers are optional,
        // and their description says they come with counted requests (OWASP API4 wants them on every 2xx/4xx).
        const counted = limited && /^[24]/.test(status);
        response.headers = { ...response.headers, ...(counted ? RATE_LIMIT_HEADERS : {}), ...CORS_HEADER };
      }
    }
  }
  return spec;
}

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
          // No public mailbox is named anywhere yet: the contact is the deployment's own documentation.
          contact: { name: 'EN-Akte competence centre (Kompetenzzentrum E-Akte, Witten)', url: `${opts.publicUrl}/docs` },
        },
        // x-internal: the API serves the towns' IT systems and the competence centre, not the public.
        servers: [{ url: opts.publicUrl, description: 'The deployment at PUBLIC_URL: production for the towns, local for development (npm start)', 'x-internal': true } as { url: string }],
        tags: [
          { name: 'tenants', description: 'Towns, the district and the competence centre' },
          { name: 'settings', description: "A tenant's records settings: its reference pattern (Aktenzeichen) and WORM mode (tenant admins)" },
          { name: 'auth', description: 'Token verification keys' },
          { name: 'operations', description: 'Health, readiness and metrics' },
          { name: 'file plan', description: 'The file plan (Aktenplan): units, their retention and disposal' },
          { name: 'files', description: 'Files (Akten), filed under a file-plan unit' },
          {
            name: 'records lifecycle',
            description:
              'Retention (Aufbewahrung), legal holds, disposal with the archive (Aussonderung: Anbietung, Bewertung, Übernahme), ' +
              'destruction and its record (Löschprotokoll); records managers',
          },
          { name: 'cases', description: 'Cases (Vorgänge) in a file' },
          { name: 'documents', description: 'Documents (Dokumente) in a case, and their check-out' },
          { name: 'versions', description: 'Immutable versions of a document and their content' },
          { name: 'uploads', description: 'Resumable uploads (tus 1.0.0) of large content, which become the next version of a document' },
          { name: 'audit', description: 'The hash-chained audit trail, its verification and its signed checkpoints' },
          { name: 'support grants', description: 'Access of competence-centre staff to a town, approved by the town' },
          { name: 'clients', description: "Machine clients (the towns' systems) and their secrets" },
          { name: 'search', description: 'German full-text search over files, cases, documents and the text of their versions' },
          { name: 'XDOMEA', description: 'XDOMEA exchange: file plans (0301), hand-overs (Abgabe 0401/0402) and Aussonderung with the archive (0501–0507)' },
          { name: 'online services', description: 'The catalogue of online services (Onlinedienste, OZG) a tenant offers, with their form schemas' },
          { name: 'submissions', description: 'Submissions (Anträge) from the online-service portal, their processing and their payment (ePayBL)' },
          { name: 'citizen status', description: "The citizen's view of their applications: by receipt token or signed in with the citizen IdP (BundID)" },
          { name: 'webhooks', description: 'Event subscriptions of the towns’ systems, their deliveries and the events themselves' },
          { name: 'problems', description: 'The error catalogue: every problem type (`code`) the API answers with, where a problem\'s `type` URI points' },
        ],
        // Plain JSON Schema objects; the plugin's type wants its own OpenAPI object types.
        webhooks: webhookDocumentation() as never,
        components: {
          // Plain JSON Schema objects, as for the webhooks.
          headers: GLOBAL_HEADERS as never,
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'A JWT access token (RFC 9068), verified per the JSON Web Token Best Current Practices (RFC8725, RFC 8725): ' +
                'algorithms from an allow-list only (never `none`, never HMAC with a public key), issuer, audience, expiry and ' +
                '`typ: at+jwt` checked, keys by `kid` from the JWKS.',
            },
            citizenAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: 'A JWT of the citizen IdP (BundID; CITIZEN_IDP_ISSUER, keys from CITIZEN_IDP_JWKS_URL), verified per RFC8725 (RFC 8725): asymmetric algorithms from an allow-list, issuer, audience CITIZEN_IDP_AUDIENCE and expiry checked. Its `sub` is the account pseudonym.',
            },
            clientSecretBasic: {
              type: 'http',
              scheme: 'basic',
              description: 'OAuth client authentication at the token endpoint (client_secret_basic, RFC 6749 §2.3.1); client_id and client_secret in the form body work too.',
            },
            metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, only when METRICS_PORT=0' },
          },
        },
      },
      transformObject: (documentObject) => {
        const doc = (documentObject as { openapiObject: OpenApiDocument & ContractDocument }).openapiObject;
        // The responses every route can give first, so that the global behaviour covers them too.
        addCommonResponses(doc);
        // Examples last: they are checked against the exact schemas (test/contract/examples.test.ts).
        return withExamples(withExactContract(withGlobalBehaviour(doc)));
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
