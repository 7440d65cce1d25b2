import { Type, type Static, type TSchema } from 'typebox';

/** Longest detail, instance, and validation path or message a problem carries (longer ones are cut). */
export const PROBLEM_TEXT_MAX = 2000;
/** Most validation errors a problem lists. */
export const PROBLEM_ERRORS_MAX = 50;

/** RFC 9457 problem details, as every error response of EN-Akte carries them. */
export const Problem = Type.Object(
  {
    type: Type.String({
      format: 'uri',
      maxLength: 300,
      description: 'The problem type: `<PUBLIC_URL>/problems/<code>`, where GET answers its documentation (HTML, or JSON with Accept: application/json)',
    }),
    title: Type.String({ maxLength: 200, description: 'Short summary of the problem type' }),
    status: Type.Integer({ format: 'int32', minimum: 400, maximum: 599, description: 'HTTP status code' }),
    detail: Type.Optional(Type.String({ maxLength: PROBLEM_TEXT_MAX, description: 'What went wrong in this occurrence' })),
    instance: Type.Optional(Type.String({ maxLength: PROBLEM_TEXT_MAX, description: 'The request path' })),
    code: Type.String({ maxLength: 64, description: 'Stable machine-readable code from the catalogue (the last path segment of `type`)' }),
    requestId: Type.Optional(Type.String({ maxLength: 128, description: 'Request id; also in the X-Request-Id header and the logs' })),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String({ maxLength: PROBLEM_TEXT_MAX }), message: Type.String({ maxLength: PROBLEM_TEXT_MAX }) }), {
        maxItems: PROBLEM_ERRORS_MAX,
        description: 'Validation errors, one per offending field',
      }),
    ),
  },
  {
    $id: 'Problem',
    title: 'Problem',
    additionalProperties: true,
    description: 'RFC 9457 problem details (application/problem+json)',
    examples: [
      {
        type: 'https://en-akte.example.org/problems/not-found',
        title: 'Not found',
        status: 404,
        detail: 'No such tenant',
        instance: '/v1/tenants/ennepetal',
        code: 'not-found',
        requestId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11',
      },
    ],
  },
);
export type ProblemBody = Static<typeof Problem>;

const ProblemRef = Type.Unsafe<ProblemBody>(Type.Ref('Problem'));

/**
 * What each error status means here; the document transform (src/plugins/openapi-contract.ts)
 * appends the catalogue's codes of that status and points the response at its Problem<status> schema.
 */
export const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed request or invalid parameters',
  401: 'Missing or invalid credentials',
  403: 'The caller lacks the role, grant or clearance for this operation, or its tenant is not active',
  404: 'Unknown id, or an object of another tenant',
  405: 'The path does not take this method',
  406: 'The Accept header excludes every representation',
  408: 'The request did not arrive in time',
  409: 'Conflicts with the current state',
  410: 'Gone: the resource existed and was removed',
  412: 'A precondition (If-Match, Tus-Resumable) failed',
  413: 'Body too large',
  415: 'Content-Type not supported here',
  416: 'Range not satisfiable',
  422: 'Semantically invalid; for XDOMEA messages `schemaErrors` [{line, message}]',
  428: 'If-Match missing',
  429: 'Rate limit exceeded; wait Retry-After seconds',
  431: 'Too many or too large request header fields',
  500: 'Unexpected error; no details are disclosed',
  501: 'Not available in this deployment',
  503: 'A dependency is unavailable, the server is under pressure or shutting down; retry after Retry-After seconds',
};

/** Response entries for the given error statuses, each an application/problem+json Problem. */
export function problemResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of statuses) {
    out[status] = Type.Unsafe({
      description: STATUS_TEXT[status] ?? 'Error',
      content: { 'application/problem+json': { schema: ProblemRef } },
    });
  }
  return out;
}

export const Slug = Type.String({
  maxLength: 40,
  pattern: '^[a-z][a-z0-9-]{1,38}[a-z0-9]$',
  description: 'Tenant slug, e.g. `witten`',
  examples: ['witten'],
});

export const Uuid = Type.String({ format: 'uuid', maxLength: 36, description: 'UUIDv7' });

export const Timestamp = Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339, UTC' });

export const Limit = Type.Integer({ format: 'int32', minimum: 1, maximum: 200, default: 50, description: 'Page size (1-200)' });

export const Cursor = Type.String({
  maxLength: 512,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Opaque cursor from the `next` field of the previous page',
});

/** Response header map for OpenAPI (`headers` of a response). */
export const ETagHeaders = {
  etag: { type: 'string', maxLength: 70, description: 'Strong ETag of the representation; send it back in If-Match / If-None-Match' },
} as const;

export const IsoDate = Type.String({ format: 'date', maxLength: 10, description: 'Calendar date (YYYY-MM-DD)' });

/** Free metadata: a JSON object of at most 16 KiB (checked in the services), 100 keys. */
export const Metadata = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  maxProperties: 100,
  description: 'Free metadata as a JSON object (at most 100 keys and 16 KiB serialised)',
  examples: [{ portalCaseId: 'HAT-2026-00017', channel: 'online' }],
});

/** The conditional read of a GET that answers with an ETag: 304 Not Modified when one of the tags matches. */
export const IfNoneMatchHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ maxLength: 2000, description: 'ETag(s) the client holds, or `*`: 304 Not Modified when one matches (weak comparison)' }),
  ),
});

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'The ETag you read (required: 428 without, 412 when stale)' })),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'Makes the POST safe to retry: the same key and body return the first response (24 h)',
    }),
  ),
});

/** Path parameters `{tenant}` and one id, e.g. IdParam('fileId', 'file'). */
export const IdParam = <K extends string>(name: K, what: string) =>
  Type.Object({ tenant: Slug, [name]: Type.String({ format: 'uuid', maxLength: 36, description: `Id of the ${what}` }) } as {
    tenant: typeof Slug;
  } & Record<K, ReturnType<typeof Type.String>>, { additionalProperties: false });

/** The largest int32; integers in the contract say their format and both bounds (OWASP API4). */
export const INT32_MAX = 2_147_483_647;
type IntegerOptions = Parameters<typeof Type.Integer>[0];
/** A non-negative int32 (counts, numbers, durations), unless `opts` narrows it. */
export const Int32 = (opts: IntegerOptions = {}) => Type.Integer({ format: 'int32', minimum: 0, maximum: INT32_MAX, ...opts });
/** A non-negative int64 as JSON numbers carry it exactly (sizes in bytes, sequences). */
export const Int64 = (opts: IntegerOptions = {}) => Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...opts });

/** A SHA-256 digest, lower-case hex. */
export const Sha256Hex = (description?: string) => Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64, ...(description ? { description } : {}) });

/** Most items a page holds (the maximum of `limit`). */
export const PAGE_MAX = 200;
/** The items of one page. */
export const PageItems = <T extends TSchema>(item: T) => Type.Array(item, { maxItems: PAGE_MAX });
/** The `next` field of a page. */
export const NextCursor = Type.Union([Type.String({ maxLength: 512 }), Type.Null()], { description: 'Cursor of the next page; null on the last page' });
