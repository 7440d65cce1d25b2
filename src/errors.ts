/**
 * The one error catalogue of EN-Akte. Every error a client can see is created here, with an
 * HTTP status and a stable code; src/plugins/errors.ts turns it into RFC 9457 problem+json.
 * Codes are part of the API contract: add new ones, never rename.
 */

export const PROBLEM_BASE = 'urn:en-akte:problem:';

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
    return PROBLEM_BASE + this.code;
  }
}

/** Status, code and title of every problem the API can answer with (also listed in openapi.json). */
export const catalogue = {
  'bad-request': { status: 400, title: 'The request is malformed' },
  'validation-failed': { status: 400, title: 'The request does not match the schema' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  'invalid-token': { status: 401, title: 'The bearer token is not valid' },
  'invalid-client': { status: 401, title: 'The client credentials are not valid' },
  forbidden: { status: 403, title: 'Not allowed' },
  'tenant-inactive': { status: 403, title: 'The tenant is not active in the shared service' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  'request-timeout': { status: 408, title: 'The request took too long to arrive' },
  conflict: { status: 409, title: 'Conflict' },
  'object-closed': { status: 409, title: 'The object is closed (zdA) and accepts no changes' },
  'checked-out': { status: 409, title: 'The document is checked out by someone else' },
  'unit-retired': { status: 409, title: 'The file-plan unit is retired and accepts no new files' },
  'open-cases': { status: 409, title: 'The file still has open cases' },
  'idempotency-in-progress': { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  'limit-reached': { status: 409, title: 'A documented limit is reached' },
  'unit-exists': { status: 409, title: 'A file-plan unit with this code exists already' },
  'duplicate-codes': { status: 422, title: 'Codes appear more than once in the import' },
  'parent-missing': { status: 422, title: 'The parent of a file-plan unit does not exist' },
  'disposal-out-of-order': { status: 409, title: 'The file is not in the disposal state this step starts from' },
  'on-hold': { status: 409, title: 'The file is under a legal hold' },
  'hold-placed-by-other': { status: 409, title: 'The legal hold was placed by someone else' },
  'content-locked': { status: 409, title: 'Content is locked in storage (WORM) and cannot be removed yet' },
  'upload-offset-mismatch': { status: 409, title: 'Upload-Offset does not match the bytes received so far' },
  'upload-expired': { status: 410, title: 'The unfinished upload has expired' },
  'export-gone': { status: 410, title: 'The container of the XDOMEA export is gone (expired, or withdrawn with a destroyed file)' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'tus-resumable-required': { status: 412, title: 'Tus-Resumable: 1.0.0 is required' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'range-not-satisfiable': { status: 416, title: 'Range not satisfiable' },
  'unprocessable': { status: 422, title: 'Unprocessable request' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used for a different request' },
  'digest-mismatch': { status: 422, title: 'The content does not match its Content-Digest' },
  'message-invalid': { status: 422, title: 'The XDOMEA message is not valid' },
  'container-rejected': { status: 422, title: 'The XDOMEA container (ZIP) is refused' },
  'form-invalid': { status: 422, title: 'The submission does not match the online service' },
  'submission-id-reused': { status: 422, title: 'This submission id was sent before with a different submission' },
  'precondition-required': { status: 428, title: 'Precondition required' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'headers-too-large': { status: 431, title: 'Request header fields too large' },
  internal: { status: 500, title: 'Internal server error' },
  'not-implemented': { status: 501, title: 'Not implemented in this deployment' },
  unavailable: { status: 503, title: 'Service unavailable' },
  'search-timeout': { status: 503, title: 'The search took too long' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof catalogue;

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
