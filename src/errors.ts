/**
 * The one error catalogue of EN-Akte. Every error a client can see is created here, with an
 * HTTP status and a stable code; src/plugins/errors.ts turns it into RFC 9457 problem+json.
 * Codes are part of the API contract: add new ones, never rename.
 */

/**
 * Problem types are URLs that document themselves: `<PUBLIC_URL>/problems/<code>` answers the
 * catalogue entry (GET /problems/{code}: an HTML page, or JSON with Accept: application/json).
 * The base is set once the app knows PUBLIC_URL (buildApp); until then the default PUBLIC_URL.
 */
export const PROBLEM_PATH = '/problems/';
let problemBase = `http://localhost:3000${PROBLEM_PATH}`;

/** Makes `type` of every problem `<publicUrl>/problems/<code>` (called when the app is built). */
export function setProblemBase(publicUrl: string): void {
  problemBase = `${publicUrl.replace(/\/+$/, '')}${PROBLEM_PATH}`;
}

/** The problem type URI of a catalogue code. */
export const problemType = (code: string): string => problemBase + code;

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }

  get type(): string {
    return problemType(this.code);
  }
}

/**
 * Status, code, title and description of every problem the API can answer with: listed in
 * openapi.json (the code enums of the error responses) and served at GET /problems/{code}.
 */
export const catalogue = {
  'bad-request': { status: 400, title: 'The request is malformed', description: 'The request cannot be read: a malformed URL, header or body, too many query parameters, or a parameter the operation cannot use. `detail` names the part.' },
  'validation-failed': { status: 400, title: 'The request does not match the schema', description: 'A parameter, header or body does not match the operation\'s schema (OpenAPI). `errors` lists each offending field with its path and message; unknown JSON properties are refused, never stripped.' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON', description: 'The body sent as application/json is empty where one is required, or not valid JSON.' },
  unauthenticated: { status: 401, title: 'Authentication required', description: 'No bearer token was sent. Send `Authorization: Bearer <token>` (from the token endpoint or the IdP); `WWW-Authenticate` says the scheme.' },
  'invalid-token': { status: 401, title: 'The bearer token is not valid', description: 'The bearer token is expired, not yet valid, for another audience or issuer, not signed by a trusted key, or otherwise malformed. Get a new token.' },
  'invalid-client': { status: 401, title: 'The client credentials are not valid', description: 'At the token endpoint: the client id is unknown or disabled, or the secret is wrong (RFC 6749 invalid_client).' },
  forbidden: { status: 403, title: 'Not allowed', description: 'The caller is authenticated, but its roles (or its support grant, or its clearance) do not allow this operation.' },
  'tenant-inactive': { status: 403, title: 'The tenant is not active in the shared service', description: 'The tenant of the token has not joined the shared service, or has left it: its tokens, clients and grants open nothing.' },
  'not-found': { status: 404, title: 'Not found', description: 'No such route, or no such object. Objects of another tenant answer this too, exactly as unknown ids do.' },
  'method-not-allowed': { status: 405, title: 'Method not allowed', description: 'The path exists, but not with this method.' },
  'not-acceptable': { status: 406, title: 'Not acceptable', description: 'The Accept header excludes every representation the operation can send.' },
  'request-timeout': { status: 408, title: 'The request took too long to arrive', description: 'The request line, headers or body did not arrive within the server\'s timeouts; the connection is closed.' },
  conflict: { status: 409, title: 'Conflict', description: 'The request conflicts with the current state of the object; `detail` says how.' },
  'object-closed': { status: 409, title: 'The object is closed (zdA) and accepts no changes', description: 'The file or case is closed (zdA: zu den Akten) and accepts no changes; reopen it first.' },
  'checked-out': { status: 409, title: 'The document is checked out by someone else', description: 'The document is checked out by someone else until `checkedOutUntil`; wait, or ask them to release it.' },
  'unit-retired': { status: 409, title: 'The file-plan unit is retired and accepts no new files', description: 'The file-plan unit is retired: it keeps its files but accepts no new ones.' },
  'open-cases': { status: 409, title: 'The file still has open cases', description: 'The file still has open cases (`openCases`); close them first, or close the file with closeOpenCases: true.' },
  'idempotency-in-progress': { status: 409, title: 'A request with this Idempotency-Key is still being processed', description: 'A request with the same Idempotency-Key is still being processed; retry once it has finished (the retry then replays its answer).' },
  'limit-reached': { status: 409, title: 'A documented limit is reached', description: 'A documented limit (per tenant or per object) is reached; `detail` names it.' },
  'unit-exists': { status: 409, title: 'A file-plan unit with this code exists already', description: 'A file-plan unit with this code exists already (`codes` lists them); nothing was created.' },
  'duplicate-codes': { status: 422, title: 'Codes appear more than once in the import', description: 'The import names a code more than once (`codes` lists them); nothing was created.' },
  'parent-missing': { status: 422, title: 'The parent of a file-plan unit does not exist', description: 'The parent of a file-plan unit (`unit`, `parent`) neither exists nor is part of the import; nothing was created.' },
  'disposal-out-of-order': { status: 409, title: 'The file is not in the disposal state this step starts from', description: 'The disposal step does not start from the file\'s disposal state (`disposalState`; `expected` lists the states it starts from).' },
  'on-hold': { status: 409, title: 'The file is under a legal hold', description: 'The file is under a legal hold: no disposal step and no destruction until the hold is lifted.' },
  'hold-placed-by-other': { status: 409, title: 'The legal hold was placed by someone else', description: 'The legal hold was placed by someone else (`placedBy`); lifting another\'s hold needs a further role.' },
  'content-locked': { status: 409, title: 'Content is locked in storage (WORM) and cannot be removed yet', description: 'The content is locked in storage (WORM retention) and cannot be removed before its retention ends.' },
  'upload-offset-mismatch': { status: 409, title: 'Upload-Offset does not match the bytes received so far', description: 'The Upload-Offset of a tus PATCH is not the number of bytes received so far; HEAD the upload for its offset and continue from there.' },
  'upload-expired': { status: 410, title: 'The unfinished upload has expired', description: 'The unfinished resumable upload has expired (RESUMABLE_UPLOAD_EXPIRY_SECONDS) and was removed; create a new one.' },
  'export-gone': { status: 410, title: 'The container of the XDOMEA export is gone (expired, or withdrawn with a destroyed file)', description: 'The container of the XDOMEA export was deleted: `expired` after the retention of exports, or `withdrawn` because a file it held was destroyed (`state`).' },
  'precondition-failed': { status: 412, title: 'Precondition failed', description: 'If-Match (or Upload-Metadata ifMatch) does not match the current ETag: someone changed the object since you read it. Read it again.' },
  'tus-resumable-required': { status: 412, title: 'Tus-Resumable: 1.0.0 is required', description: 'A tus request without `Tus-Resumable: 1.0.0`.' },
  'payload-too-large': { status: 413, title: 'Request body too large', description: 'The body is larger than allowed (`limit`: bytes): BODY_LIMIT for JSON, MAX_UPLOAD_BYTES for content.' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', description: 'The Content-Type is not one the operation takes, or not a valid media type.' },
  'range-not-satisfiable': { status: 416, title: 'Range not satisfiable', description: 'The Range lies outside the content; `Content-Range: bytes */<size>` gives its size.' },
  'unprocessable': { status: 422, title: 'Unprocessable request', description: 'The request is well-formed but cannot be carried out as asked; `detail` says why.' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used for a different request', description: 'The Idempotency-Key was sent before with a different request (method, path, body or content); use a new key for a new request.' },
  'digest-mismatch': { status: 422, title: 'The content does not match its Content-Digest', description: 'The SHA-256 of the received content differs from the Content-Digest (or Upload-Metadata sha256) sent with it; nothing was stored (`expected`, `actual`).' },
  'message-invalid': { status: 422, title: 'The XDOMEA message is not valid', description: 'The XDOMEA message is not well-formed XML, carries a DTD, or violates its XML schema; `schemaErrors` lists line and message.' },
  'container-rejected': { status: 422, title: 'The XDOMEA container (ZIP) is refused', description: 'The XDOMEA container (ZIP) is unsafe or incomplete: entry names, size or compression ratio, missing or altered primary files.' },
  'form-invalid': { status: 422, title: 'The submission does not match the online service', description: 'The submission does not match the online service\'s form schema; `errors` holds JSON pointers into the submission.' },
  'submission-id-reused': { status: 422, title: 'This submission id was sent before with a different submission', description: 'A submission with this id was filed before with different content; nothing was stored. Send a new submission id.' },
  'precondition-required': { status: 428, title: 'Precondition required', description: 'The operation changes an object and needs `If-Match` with the ETag you read (optimistic locking).' },
  'too-many-requests': { status: 429, title: 'Too many requests', description: 'The caller (or, at the token endpoint, the client or address) exceeded its rate limit; wait `Retry-After` seconds.' },
  'headers-too-large': { status: 431, title: 'Request header fields too large', description: 'The request carries too many header fields, or header fields too large.' },
  internal: { status: 500, title: 'Internal server error', description: 'An unexpected error. No details are disclosed; quote `requestId` (also X-Request-Id) when reporting it.' },
  'not-implemented': { status: 501, title: 'Not implemented in this deployment', description: 'The operation needs a component this deployment lacks (e.g. resumable uploads without S3 storage).' },
  unavailable: { status: 503, title: 'Service unavailable', description: 'A dependency (database or object storage) is unreachable, the storage is full, the server is under pressure or shutting down. Retry after `Retry-After` seconds (with the same Idempotency-Key); nothing was changed unless an earlier answer said so.' },
  'search-timeout': { status: 503, title: 'The search took too long', description: 'The search ran longer than allowed (`timeoutMs`); narrow it with more words or filters, or retry.' },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemCode = keyof typeof catalogue;

/** The code a 4xx of a framework or library (multipart, tus) gets when nothing more specific is known. */
const GENERIC_CODE: Partial<Record<number, ProblemCode>> = {
  400: 'bad-request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed', 406: 'not-acceptable',
  408: 'request-timeout', 409: 'conflict', 412: 'precondition-failed', 413: 'payload-too-large', 415: 'unsupported-media-type',
  416: 'range-not-satisfiable', 422: 'unprocessable', 428: 'precondition-required', 429: 'too-many-requests', 431: 'headers-too-large',
};

/**
 * A client error of `status` from outside the catalogue: the catalogue's generic code of that
 * status, so that every problem's code is one the contract lists for its status; a status the
 * catalogue does not know becomes 400 bad-request.
 */
export function genericClientError(status: number, detail: string): AppError {
  return make(GENERIC_CODE[status] ?? 'bad-request', detail);
}

function make(code: ProblemCode, detail?: string, extensions?: Record<string, unknown>, headers?: Record<string, string>) {
  const entry = catalogue[code];
  return new AppError(entry.status, code, entry.title, detail, extensions, headers);
}

export const errors = {
  badRequest: (detail: string) => make('bad-request', detail),
  validation: (detail: string, list: { path: string; message: string }[]) =>
    make('validation-failed', detail, { errors: list }),
  malformedJson: (detail = 'The body could not be parsed as JSON') => make('malformed-json', detail),
  unauthenticated: (detail = 'Send Authorization: Bearer <token>') =>
    make('unauthenticated', detail, {}, { 'www-authenticate': 'Bearer' }),
  invalidToken: (detail: string) =>
    make('invalid-token', detail, {}, { 'www-authenticate': 'Bearer error="invalid_token"' }),
  /** The token endpoint (RFC 6749 §5.2 invalid_client): no bearer token was sent, client credentials were. */
  invalidClient: (detail: string) => make('invalid-client', detail, {}, { 'www-authenticate': 'Basic realm="en-akte"' }),
  forbidden: (detail: string) => make('forbidden', detail),
  tenantInactive: (slug: string) =>
    make('tenant-inactive', `${slug} has not joined the shared service (or has left it): its tokens, clients and grants open nothing`),
  /** Also used for objects of other tenants: a caller must not learn that they exist. */
  notFound: (what = 'resource') => make('not-found', `No such ${what}`),
  routeNotFound: (method: string, url: string) => make('not-found', `No route ${method} ${url}`),
  methodNotAllowed: (detail: string) => make('method-not-allowed', detail),
  notAcceptable: (detail: string) => make('not-acceptable', detail),
  conflict: (detail: string, extensions?: Record<string, unknown>) => make('conflict', detail, extensions),
  preconditionFailed: (detail = 'If-Match does not match the current ETag; read the object again') =>
    make('precondition-failed', detail),
  objectClosed: (what: string) => make('object-closed', `The ${what} is closed; reopen it first`),
  checkedOut: (until: Date) =>
    make('checked-out', `The document is checked out until ${until.toISOString()}`, { checkedOutUntil: until.toISOString() }),
  unitRetired: (code: string) => make('unit-retired', `File-plan unit ${code} is retired`),
  openCases: (count: number) =>
    make('open-cases', `${count} case(s) of this file are still open; close them first or send closeOpenCases: true`, {
      openCases: count,
    }),
  limitReached: (detail: string) => make('limit-reached', detail),
  /** File-plan units (`codes`: which ones) that exist already: nothing was created. */
  unitExists: (detail: string, codes: string[]) => make('unit-exists', detail, { codes }),
  duplicateCodes: (codes: string[]) => make('duplicate-codes', `Codes appear twice in the import: ${codes.join(', ')}`, { codes }),
  parentMissing: (detail: string, unit: string, parent: string) => make('parent-missing', detail, { unit, parent }),
  disposalOutOfOrder: (action: string, state: string | null, from: readonly string[]) =>
    make('disposal-out-of-order', `${action} needs disposal state ${from.join(' or ')}; the file's is ${state ?? 'none (retention not ended)'}`, {
      disposalState: state,
      expected: [...from],
    }),
  onHold: (since: Date) => make('on-hold', `The file is under a legal hold since ${since.toISOString()}; lift it first`),
  holdPlacedByOther: (by: string, role: string) =>
    make('hold-placed-by-other', `The hold was placed by ${by}; lifting another's hold needs the role ${role}`, { placedBy: by }),
  contentLocked: (detail: string) => make('content-locked', detail),
  idempotencyInProgress: () => make('idempotency-in-progress', 'Retry after the first request has finished'),
  idempotencyKeyReused: () =>
    make('idempotency-key-reused', 'This Idempotency-Key was sent before with a different request; use a new key'),
  digestMismatch: (expected: string, actual: string) =>
    make('digest-mismatch', 'The SHA-256 of the received content differs from Content-Digest; nothing was stored', {
      expected,
      actual,
    }),
  /** A submission the service cannot take: JSON pointers into the submission in `errors`. */
  formInvalid: (detail: string, list: { path: string; message: string }[]) => make('form-invalid', detail, { errors: list }),
  submissionIdReused: (portalId: string) =>
    make('submission-id-reused', `Submission ${portalId} was filed before with different content; nothing was stored. Send a new submission id`),
  payloadTooLarge: (limit: number) => make('payload-too-large', `The body exceeds ${limit} bytes`, { limit }),
  unsupportedMediaType: (detail: string) => make('unsupported-media-type', detail),
  uploadOffsetMismatch: (detail: string) => make('upload-offset-mismatch', `${detail}; HEAD the upload for its offset and continue from there`),
  /** An XDOMEA export whose container was deleted: `expired` after XDOMEA_EXPORT_RETENTION_HOURS, `withdrawn` when a file it held was destroyed. */
  exportGone: (state: string, detail: string) => make('export-gone', detail, { state }),
  uploadExpired: () => make('upload-expired', 'Unfinished uploads expire (RESUMABLE_UPLOAD_EXPIRY_SECONDS); create a new one'),
  tusResumableRequired: (detail: string) => make('tus-resumable-required', detail),
  notImplemented: (detail: string) => make('not-implemented', detail),
  /** No byte of the Range lies within the content (RFC 9110 §15.5.17): Content-Range names the size. */
  rangeNotSatisfiable: (size: number) =>
    make(
      'range-not-satisfiable',
      size === 0 ? 'The content is empty (0 bytes); no range can be satisfied' : `The range is outside 0-${size - 1}`,
      {},
      { 'content-range': `bytes */${size}` },
    ),
  unprocessable: (detail: string) => make('unprocessable', detail),
  /** An XDOMEA message that is not well-formed, has a DTD, or violates its schema: the errors with line and message. */
  messageInvalid: (detail: string, schemaErrors: { line: number; message: string }[] = []) =>
    make('message-invalid', detail, { schemaErrors }),
  /** A ZIP container that is unsafe or incomplete (entry names, bombs, missing or altered primary files). */
  containerRejected: (detail: string) => make('container-rejected', detail),
  preconditionRequired: (detail = 'Send If-Match with the ETag you read') => make('precondition-required', detail),
  tooManyRequests: (detail: string, retryAfterSeconds = 60) =>
    make('too-many-requests', detail, {}, { 'retry-after': String(Math.max(1, retryAfterSeconds)) }),
  headersTooLarge: (detail?: string) => make('headers-too-large', detail),
  requestTimeout: () => make('request-timeout', 'The request line, headers or body did not arrive in time; the connection is closed'),
  internal: () => make('internal', 'An unexpected error occurred; quote the request id when reporting it'),
  unavailable: (detail: string, extensions?: Record<string, unknown>) =>
    make('unavailable', detail, extensions, { 'retry-after': '5' }),
  searchTimeout: (ms: number) =>
    make('search-timeout', `The search was stopped after ${ms} ms; narrow it with more words or filters, or retry`, { timeoutMs: ms }, { 'retry-after': '5' }),
};
