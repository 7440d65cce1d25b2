/**
 * The exact contract: what the server does on every route, written into the OpenAPI document by
 * the swagger transform (src/plugins/swagger.ts) from the code that does it, never by hand per
 * route. Each step is a function of its own over the whole document; `withExactContract` runs them
 * in order. test/contract/exact-contract.test.ts asserts the result on openapi/openapi.json.
 */
import { catalogue, type ProblemCode } from '../errors.js';
import { STATUS_TEXT } from '../schemas/common.js';

type Json = Record<string, unknown>;
interface Header {
  description?: string;
  required?: boolean;
  schema?: Json;
  $ref?: string;
  example?: unknown;
}
interface Response {
  description?: string;
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: Json }>;
}
interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  description?: string;
  schema?: Json;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  responses?: Record<string, Response>;
  security?: Record<string, string[]>[];
}
export interface ContractDocument {
  paths?: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, Json>;
    headers?: Record<string, Header>;
    securitySchemes?: Record<string, Json>;
  };
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function* operations(doc: ContractDocument): Generator<[string, string, Operation]> {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) if (METHODS.has(method)) yield [path, method, op];
  }
}

const header = (op: Operation, name: string) => op.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === name);
/** Operations a bearer token opens (bearerAuth, or the citizen IdP's): they answer 401 without one. */
const isSecured = (op: Operation) => (op.security ?? []).some((requirement) => Object.keys(requirement).length > 0);

/** The catalogue codes of each status, in catalogue order. */
export function codesByStatus(): Map<number, ProblemCode[]> {
  const out = new Map<number, ProblemCode[]>();
  for (const [code, entry] of Object.entries(catalogue) as [ProblemCode, (typeof catalogue)[ProblemCode]][]) {
    out.set(entry.status, [...(out.get(entry.status) ?? []), code]);
  }
  return out;
}

const problemResponse = (status: number): Response => ({
  description: STATUS_TEXT[status] ?? 'Error',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * If-Match: the validation schema keeps it optional (a missing If-Match must answer 428
 * precondition-required, not 400), but an operation that answers 428 without it requires it; such
 * an operation also answers 412 when it is stale. The exception is tus creation (createUpload):
 * there the ETag may come as `ifMatch` in Upload-Metadata instead (tus clients send metadata,
 * src/workflows/resumable-upload.ts), so the header stays optional and 428 means neither was sent.
 */
export function requireIfMatch(doc: ContractDocument): void {
  for (const [, , op] of operations(doc)) {
    const ifMatch = header(op, 'if-match');
    const responses = (op.responses ??= {});
    if (!ifMatch || !responses['428']) continue;
    responses['412'] ??= problemResponse(412);
    if (!header(op, 'upload-metadata')) ifMatch.required = true;
  }
}

/**
 * What can answer any route: 400 (malformed requests, too many query parameters: the onRequest
 * hook in src/app.ts), 408 (the request did not arrive within REQUEST_TIMEOUT_MS: the client
 * error handler there), 431 (too many or too large header fields: the same hook and the HTTP
 * parser), 500 (any fault), 503 (under-pressure, shutdown, an unreachable dependency) and, where a
 * token is needed, 401.
 */
export function addCommonResponses(doc: ContractDocument): void {
  for (const [, , op] of operations(doc)) {
    const responses = (op.responses ??= {});
    const statuses = [400, 408, 431, 500, 503];
    if (isSecured(op)) statuses.push(401);
    for (const status of statuses) responses[String(status)] ??= problemResponse(status);
  }
}

/**
 * Problem codes as enums: `Problem.code` lists every catalogue code, and each error response
 * refers to `Problem<status>`, a Problem whose code is one of the catalogue's codes of that status;
 * the response's description names those codes with their titles.
 */
export function problemCodeEnums(doc: ContractDocument): void {
  const schemas = ((doc.components ??= {}).schemas ??= {});
  const problem = schemas.Problem as { properties: Record<string, Json> } | undefined;
  if (!problem) return;
  problem.properties.code = { ...problem.properties.code, enum: Object.keys(catalogue) };
  const byStatus = codesByStatus();
  const answered = new Set<number>();
  for (const [, , op] of operations(doc)) for (const status of Object.keys(op.responses ?? {})) answered.add(Number(status));
  for (const [status, codes] of byStatus) {
    // Statuses no operation answers (405: the router answers unknown methods 404) get no schema.
    if (!answered.has(status)) continue;
    schemas[`Problem${status}`] = {
      title: `Problem${status}`,
      description: `A problem with status ${status}: ${codes.join(', ')}`,
      allOf: [
        { $ref: '#/components/schemas/Problem' },
        {
          type: 'object',
          properties: {
            status: { type: 'integer', format: 'int32', minimum: status, maximum: status, enum: [status] },
            code: { type: 'string', maxLength: 64, enum: codes },
          },
        },
      ],
    };
  }
  for (const [, , op] of operations(doc)) {
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const media = response.content?.['application/problem+json'];
      const codes = byStatus.get(Number(status));
      if (!media || !codes || media.schema?.$ref !== '#/components/schemas/Problem') continue;
      media.schema = { $ref: `#/components/schemas/Problem${status}` };
      const summary = (response.description ?? STATUS_TEXT[Number(status)] ?? 'Error').replace(/\s*\(codes?: [^)]*\)\s*$/, '');
      response.description = `${summary}. Codes: ${codes.map((c) => `\`${c}\` (${catalogue[c].title})`).join(', ')}`;
    }
  }
}

const SAFE_INTEGER = { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

/** Headers of every response, defined once in components.headers. */
const SHARED_HEADERS: Record<string, Header> = {
  'X-Request-Id': {
    description:
      "The request's id in the logs (and `requestId` of a problem): the caller's X-Request-Id when it is 8-128 characters of " +
      '[A-Za-z0-9._:-], else a new UUIDv7. Sent on every answer of a request that reached the router.',
    schema: { type: 'string', minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9._:-]{8,128}$' },
    example: '01a20c9f-4b21-7d3e-9a10-6f2b8c4d5e71',
  },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored first response to the same Idempotency-Key and request, replayed',
    schema: { type: 'string', enum: ['true'] },
    example: 'true',
  },
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with: `Bearer` (with `error="invalid_token"` for a bad token), or `Basic` at the token endpoint',
    required: true,
    schema: { type: 'string', maxLength: 200 },
    example: 'Bearer error="invalid_token"',
  },
  'Retry-After-Unavailable': {
    description: 'Seconds to wait before retrying (5); absent only on the plain answer of a server that is shutting down',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 3600 },
    example: 5,
  },
};
const ref = (name: string): Header => ({ $ref: `#/components/headers/${name}` });

/**
 * Response headers the global hooks send: X-Request-Id everywhere (the onRequest hook of
 * src/app.ts), Idempotent-Replayed on what an Idempotency-Key can replay (src/plugins/idempotency.ts:
 * every answer below 500 the handler gave), WWW-Authenticate on 401 (src/errors.ts) and
 * Retry-After on 503 (errors.unavailable, errors.searchTimeout).
 */
export function documentResponseHeaders(doc: ContractDocument): void {
  Object.assign(((doc.components ??= {}).headers ??= {}), SHARED_HEADERS);
  for (const [, , op] of operations(doc)) {
    const idempotent = header(op, 'idempotency-key') !== undefined;
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const code = Number(status);
      const headers: Record<string, Header> = { 'X-Request-Id': ref('X-Request-Id') };
      // Answered before the key is claimed (authentication, timeouts, limits) or never stored (5xx): never replayed.
      if (idempotent && code < 500 && ![401, 408, 429, 431].includes(code)) headers['Idempotent-Replayed'] = ref('Idempotent-Replayed');
      if (code === 401) headers['WWW-Authenticate'] = ref('WWW-Authenticate');
      if (code === 503) headers['Retry-After'] = ref('Retry-After-Unavailable');
      response.headers = { ...response.headers, ...headers };
    }
  }
}

/** Headers whose values are byte counts or offsets: int64, as the schemas' sizes are. */
const INT64_HEADERS = new Set(['upload-offset', 'upload-length', 'content-length']);

/**
 * Byte counts in headers (tus offsets and lengths, Content-Length) can exceed 2^31: integers of
 * int64 in the document (on the wire they are digits either way; the validation schemas keep
 * them strings with a digit pattern).
 */
export function int64Headers(doc: ContractDocument): void {
  for (const [, , op] of operations(doc)) {
    for (const p of op.parameters ?? []) {
      if (p.in === 'header' && INT64_HEADERS.has(p.name.toLowerCase())) p.schema = { ...SAFE_INTEGER };
    }
    for (const response of Object.values(op.responses ?? {})) {
      for (const [name, h] of Object.entries(response.headers ?? {})) {
        if (INT64_HEADERS.has(name.toLowerCase()) && !h.$ref) h.schema = { ...SAFE_INTEGER };
      }
    }
  }
}

/** OAuth 2.0 client credentials at the token endpoint (src/modules/clients/token-route.ts): roles, no scopes. */
export const OAUTH2_SCHEME = {
  type: 'oauth2',
  description:
    'OAuth 2.0 client credentials (RFC 6749 §4.4): a town system exchanges its client_id and secret at /oauth/token for ' +
    'a short-lived JWT access token carrying its tenant and roles, then sends it as `Authorization: Bearer`. ' +
    'The service defines roles, not scopes: the token carries the roles the tenant admin gave the client. The token is ' +
    'a short-lived JWT (RFC 9068; `expires_in`), verified per the JSON Web Token Best Current Practices (RFC8725, RFC 8725) ' +
    'as bearerAuth says; there are no refresh tokens (RFC 6749 §4.4.3): a client asks for a new token when it expires.',
  flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } },
};

/**
 * Security as the hooks enforce it: every bearer-secured operation also names the OAuth 2.0 client
 * credentials flow that issues such tokens; operations without a requirement are public and say
 * so (`security: []`); the token endpoint takes HTTP Basic or the form fields (so Basic is optional);
 * and no operation declares an `Authorization` header parameter (OpenAPI ignores those; the
 * security schemes describe it).
 */
export function documentSecurity(doc: ContractDocument): void {
  ((doc.components ??= {}).securitySchemes ??= {}).oauth2 = OAUTH2_SCHEME;
  for (const [path, , op] of operations(doc)) {
    op.parameters = op.parameters?.filter((p) => !(p.in === 'header' && p.name.toLowerCase() === 'authorization'));
    if (op.parameters?.length === 0) delete op.parameters;
    if (!op.security) {
      op.security = [];
      continue;
    }
    if (path === '/oauth/token' && !op.security.some((r) => Object.keys(r).length === 0)) op.security.push({});
    if (op.security.some((r) => 'bearerAuth' in r) && !op.security.some((r) => 'oauth2' in r)) op.security.push({ oauth2: [] });
  }
  // The service's own calls to subscribers carry no HTTP authentication: the receiver verifies the
  // Standard Webhooks signature in the webhook-signature header (a parameter of each webhook).
  for (const item of Object.values(doc.webhooks ?? {})) {
    for (const [method, op] of Object.entries(item)) if (METHODS.has(method)) op.security ??= [];
  }
  // A scheme no operation of this deployment uses (metricsToken without METRICS_PORT=0) is left out.
  const used = new Set([...operations(doc)].flatMap(([, , op]) => (op.security ?? []).flatMap((r) => Object.keys(r))));
  const schemes = doc.components!.securitySchemes!;
  for (const name of Object.keys(schemes)) if (!used.has(name)) delete schemes[name];
}

/**
 * Every step after addCommonResponses (which runs before the global behaviour of swagger.ts, so
 * that its responses get the rate-limit and CORS headers too).
 */
export function withExactContract<T>(doc: T): T {
  const d = doc as ContractDocument;
  requireIfMatch(d);
  documentSecurity(d);
  problemCodeEnums(d);
  documentResponseHeaders(d);
  int64Headers(d);
  return doc;
}
