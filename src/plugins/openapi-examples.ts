import { createHash } from 'node:crypto';
import { PERMISSIONS, type Operation as Permission } from '../core/permissions.js';
import { AppError, catalogue, errors, problemType, type ProblemCode } from '../errors.js';
import { etagOf } from '../lib/etag.js';

/**
 * Examples for Swagger UI: a request and a response for every operation of the contract, written
 * into openapi.json by `withExamples` (src/plugins/swagger.ts). One town's records tell one story:
 * Witten files a trade registration (Gewerbeanmeldung) under file-plan unit 32.10, the case and its
 * documents follow, an old file of 2014 runs through disposal, the portal and the archive take part.
 * Ids are UUIDv7, timestamps RFC 3339 with milliseconds, ETags are what src/lib/etag.ts forms from
 * the id and row version, problems are the catalogue's (src/errors.ts) as src/plugins/errors.ts
 * answers them. test/contract/examples.test.ts validates every example against its schema.
 */

type Json = unknown;

/** A body that cannot be shown as a value (raw bytes, a multipart stream): described instead. */
interface Described {
  readonly described: string;
  readonly summary: string;
  /** The fields of a multipart body, the bytes as a placeholder (its schema is an object of parts). */
  readonly fields?: Record<string, string>;
}
const described = (summary: string, text: string, fields?: Record<string, string>): Described => ({ summary, described: text, ...(fields ? { fields } : {}) });
const isDescribed = (v: unknown): v is Described => typeof v === 'object' && v !== null && 'described' in v && 'summary' in v;

export interface OperationExamples {
  /** Parameter examples by name (path, query, header); path ids and `tenant` have defaults. */
  params?: Record<string, Json>;
  /** Request body example per media type (`*` for every media type of the operation). */
  body?: Record<string, Json | Described>;
  /** The success response: status, body (for its one media type) and header examples. */
  ok: { status: number; body?: Json | Described; headers?: Record<string, Json>; bodies?: Record<string, Json | Described> };
  /* `bodies`: per media type, for a success answered in several (JSON or HTML); `body` for the others. */
  /** Bodies of the other success statuses (a retry answered 200 where the first request got 201). */
  alsoOk?: Record<number, Json | Described>;
  /** Problems by status beyond the defaults (400, 401, 403, 404, 412, 428 and 500 are derived). */
  problems?: Record<number, AppError>;
  /** The permission the operation checks: its 403 names the roles. */
  perm?: Permission;
  /** What the 404 says is missing (default: from the last path parameter). */
  missing?: string;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const TENANT = 'witten';
/** BODY_LIMIT and MAX_UPLOAD_BYTES at their defaults (src/config.ts). */
const BODY_LIMIT = 1024 * 1024;
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024 * 1024;
const PUBLIC_URL = 'https://en-akte.example.org';
const REQUEST_ID = '019ae0a4-7c31-7d2e-b5f0-63a9c1e8d402';

/** A UUIDv7 whose time is `at` and whose random bits come from `name` (stable across generations). */
function uuid7(at: string, name: string): string {
  const ms = Date.parse(at).toString(16).padStart(12, '0');
  const h = createHash('sha256').update(name).digest('hex');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${h.slice(0, 3)}-${'89ab'[parseInt(h[3]!, 16) % 4]}${h.slice(4, 7)}-${h.slice(7, 19)}`;
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const base64url = (text: string, bytes = 32) => createHash('sha256').update(text).digest().subarray(0, bytes).toString('base64url');

// Actors: a clerk and a records manager of Witten, the town's admin, the portal's machine client.
const CLERK = 'm.krause@witten';
const RECORDS_MANAGER = 's.yilmaz@witten';
const ADMIN = 'admin@witten';
const PORTAL_CLIENT_ID = 'witten-gewerbeportal-3f9a1c7b2e';
const PORTAL = `client:${PORTAL_CLIENT_ID}`;
const SUPPORT_AGENT = 'kk.becker';

const T0 = '2026-11-24T08:14:03.512Z'; // the registration arrives
const T1 = '2026-11-24T08:14:04.087Z';
const T2 = '2026-11-26T13:42:19.230Z'; // the clerk works on it
const T3 = '2026-11-30T15:05:47.918Z'; // zdA
const NOW = '2026-12-02T09:31:12.406Z';

const TENANT_ROW = {
  id: uuid7('2026-01-05T09:00:00.000Z', 'tenant witten'),
  slug: TENANT,
  name: 'Stadt Witten',
  kind: 'town',
  active: true,
  createdAt: '2026-01-05T09:00:00.000Z',
  updatedAt: '2026-09-14T11:20:31.004Z',
};

const UNIT_32 = {
  id: uuid7('2026-01-12T10:02:11.340Z', 'unit 32'),
  code: '32',
  parentCode: null,
  title: 'Öffentliche Sicherheit und Ordnung',
  description: null,
  retentionYears: null,
  disposal: 'A',
  validFrom: '2026-01-01',
  validUntil: null,
  retired: false,
  retiredAt: null,
  createdAt: '2026-01-12T10:02:11.340Z',
  updatedAt: '2026-01-12T10:02:11.340Z',
};
const UNIT = {
  id: uuid7('2026-01-12T10:02:11.351Z', 'unit 32.10'),
  code: '32.10',
  parentCode: '32',
  title: 'Gewerbeangelegenheiten',
  description: 'Gewerbeanmeldungen, -ummeldungen und -abmeldungen (§ 14 GewO)',
  retentionYears: 10,
  disposal: 'B',
  validFrom: '2026-01-01',
  validUntil: null,
  retired: false,
  retiredAt: null,
  createdAt: '2026-01-12T10:02:11.351Z',
  updatedAt: '2026-01-12T10:02:11.351Z',
};
const NEW_UNIT = {
  ...UNIT,
  id: uuid7(NOW, 'unit 32.20'),
  code: '32.20',
  title: 'Gaststättenerlaubnisse',
  description: null,
  retentionYears: 30,
  disposal: 'A',
  validFrom: '2027-01-01',
  createdAt: NOW,
  updatedAt: NOW,
};

const FILE = {
  id: uuid7(T0, 'file 32.10-0001/2026'),
  reference: '32.10-0001/2026',
  planUnitId: UNIT.id,
  planCode: '32.10',
  title: 'Gewerbeanmeldung Café Ruhrblick, Bahnhofstraße 12',
  description: null,
  confidentiality: '003',
  leadOrgUnit: 'Amt 32 – Bürger- und Ordnungsamt',
  metadata: { portalCaseId: 'WIT-2026-00412', channel: 'online' },
  status: 'open',
  closedOn: null,
  retention: null,
  hold: null,
  disposal: null,
  createdAt: T0,
  updatedAt: T0,
  createdBy: PORTAL,
};
const FILE_UPDATED = { ...FILE, title: 'Gewerbeanmeldung Café Ruhrblick GmbH, Bahnhofstraße 12', updatedAt: T2 };
const FILE_CLOSED = {
  ...FILE_UPDATED,
  status: 'closed',
  closedOn: '2026-11-30',
  retention: { disposalCode: 'B', retentionYears: 10, endsOn: '2036-12-31', overridden: false },
  updatedAt: T3,
};

/** A file of 2014 whose retention has ended: it walks through disposal (Aussonderung). */
const OLD = {
  id: uuid7('2014-03-03T09:12:44.120Z', 'file 32.10-0148/2014'),
  reference: '32.10-0148/2014',
  planUnitId: UNIT.id,
  planCode: '32.10',
  title: 'Gewerbeabmeldung Schreinerei Hoffmann, Ruhrdeich 5',
  description: null,
  confidentiality: '003',
  leadOrgUnit: 'Amt 32 – Bürger- und Ordnungsamt',
  metadata: {},
  status: 'closed',
  closedOn: '2015-03-12',
  retention: { disposalCode: 'B', retentionYears: 10, endsOn: '2025-12-31', overridden: false },
  hold: null,
  disposal: { state: 'due', changedAt: '2026-01-01T02:00:00.417Z', decision: null, decidedBy: null, decidedAt: null, archiveReference: null },
  createdAt: '2014-03-03T09:12:44.120Z',
  updatedAt: '2026-01-01T02:00:00.417Z',
  createdBy: 'h.schulte@witten',
};
const OFFERED_AT = '2026-12-01T10:15:02.664Z';
const DECIDED_AT = '2026-12-01T14:00:00.000Z';
const OLD_OFFERED = { ...OLD, disposal: { ...OLD.disposal, state: 'offered', changedAt: OFFERED_AT }, updatedAt: OFFERED_AT };
const OLD_EVALUATED = {
  ...OLD_OFFERED,
  disposal: { ...OLD_OFFERED.disposal, state: 'evaluated', changedAt: NOW, decision: 'A', decidedBy: 'Stadtarchiv Witten, Dr. Petra Lenz', decidedAt: DECIDED_AT },
  updatedAt: NOW,
};
const OLD_ARCHIVED = { ...OLD_EVALUATED, disposal: { ...OLD_EVALUATED.disposal, state: 'archived', archiveReference: 'StAW 3.2.10 Nr. 148' } };
const OLD_HELD = {
  ...OLD,
  hold: { reason: 'Verwaltungsgerichtsverfahren zur Gewerbeuntersagung anhängig', reference: 'VG Arnsberg 1 K 2231/26', by: RECORDS_MANAGER, at: NOW },
  updatedAt: NOW,
};
const OLD_OVERRIDDEN = { ...OLD, retention: { disposalCode: 'A', retentionYears: 10, endsOn: '2025-12-31', overridden: true }, updatedAt: NOW };

const CASE = {
  id: uuid7(T1, 'case 32.10-0001/2026-001'),
  fileId: FILE.id,
  reference: '32.10-0001/2026-001',
  title: 'Anmeldung eines Gewerbes (GewA 1)',
  description: null,
  metadata: { portalCaseId: 'WIT-2026-00412' },
  status: 'open',
  closedOn: null,
  createdAt: T1,
  updatedAt: T1,
  createdBy: PORTAL,
};
const CASE_CLOSED = { ...CASE, status: 'closed', closedOn: '2026-11-30', updatedAt: T3 };

const DOC = {
  id: uuid7(T1, 'document GewA 1'),
  caseId: CASE.id,
  title: 'Gewerbeanmeldung GewA 1',
  kind: 'application',
  receivedOn: '2026-11-24',
  sentOn: null,
  sender: 'Jana Kowalczyk',
  addressee: 'Stadt Witten, Bürger- und Ordnungsamt',
  metadata: {},
  versionCount: 1,
  checkout: null,
  createdAt: T1,
  updatedAt: T1,
  createdBy: PORTAL,
};
const CHECKOUT_UNTIL = '2026-12-02T10:31:12.406Z';
const DOC_CHECKED_OUT = { ...DOC, checkout: { by: CLERK, until: CHECKOUT_UNTIL }, updatedAt: NOW };
const DECISION_DOC = {
  ...DOC,
  id: uuid7(T2, 'document Empfangsbescheinigung'),
  title: 'Empfangsbescheinigung nach § 15 GewO',
  kind: 'decision',
  receivedOn: null,
  sentOn: '2026-11-26',
  sender: 'Stadt Witten, Bürger- und Ordnungsamt',
  addressee: 'Jana Kowalczyk',
  versionCount: 0,
  createdAt: T2,
  updatedAt: T2,
  createdBy: CLERK,
};

const contentUrl = (documentId: string, n: number) => `/v1/tenants/${TENANT}/documents/${documentId}/versions/${n}/content`;
const VERSION = {
  id: uuid7(T1, 'version 1 GewA 1'),
  documentId: DOC.id,
  number: 1,
  size: 184_233,
  sha256: sha256('GewA1_Kowalczyk.pdf v1'),
  mediaType: 'application/pdf',
  filename: 'GewA1_Kowalczyk.pdf',
  uploadedBy: PORTAL,
  createdAt: T1,
  contentUrl: contentUrl(DOC.id, 1),
};
const VERSION_2 = {
  ...VERSION,
  id: uuid7(NOW, 'version 2 GewA 1'),
  number: 2,
  size: 191_870,
  sha256: sha256('GewA1_Kowalczyk.pdf v2'),
  filename: 'GewA1_Kowalczyk_ergaenzt.pdf',
  uploadedBy: CLERK,
  createdAt: NOW,
  contentUrl: contentUrl(DOC.id, 2),
};
const UPLOAD_ID = sha256('tus upload').slice(0, 32);
/** The signing key's id: its JWK thumbprint (RFC 7638), as src/auth/keys.ts names keys. */
const KID = base64url('jwk thumbprint');

const GRANT = {
  id: uuid7('2026-12-02T08:55:40.118Z', 'grant KZ-2026-0815'),
  grantee: SUPPORT_AGENT,
  requestedBy: SUPPORT_AGENT,
  scope: 'read',
  fileId: FILE.id,
  reason: 'Ticket KZ-2026-0815: Aktenzeichen 32.10-0001/2026 im Fachverfahren nicht auffindbar',
  ticket: 'KZ-2026-0815',
  durationHours: 8,
  status: 'requested',
  decidedBy: null,
  decidedAt: null,
  validFrom: null,
  validUntil: null,
  revokedBy: null,
  revokedAt: null,
  createdAt: '2026-12-02T08:55:40.118Z',
};
const GRANT_APPROVED = { ...GRANT, status: 'approved', decidedBy: ADMIN, decidedAt: NOW, validFrom: NOW, validUntil: '2026-12-02T17:31:12.406Z' };
const GRANT_REJECTED = { ...GRANT, status: 'rejected', decidedBy: ADMIN, decidedAt: NOW };
const GRANT_REVOKED = { ...GRANT_APPROVED, status: 'revoked', revokedBy: ADMIN, revokedAt: '2026-12-02T11:02:55.731Z' };

const CLIENT = {
  id: uuid7('2026-11-02T09:30:00.250Z', 'client gewerbeportal'),
  clientId: PORTAL_CLIENT_ID,
  name: 'Gewerbeportal',
  roles: ['clerk'],
  maxConfidentiality: '003',
  disabled: false,
  disabledAt: null,
  secretRotatedAt: '2026-11-02T09:30:00.250Z',
  createdAt: '2026-11-02T09:30:00.250Z',
  createdBy: ADMIN,
};
const CLIENT_SECRET = base64url('client secret');
const CLIENT_ROTATED = { ...CLIENT, secretRotatedAt: NOW };
const CLIENT_DISABLED = { ...CLIENT, disabled: true, disabledAt: NOW };

const FORM_SCHEMA = {
  type: 'object',
  required: ['betrieb', 'taetigkeit', 'beginn'],
  properties: {
    betrieb: { type: 'string', maxLength: 200 },
    taetigkeit: { type: 'string', maxLength: 500 },
    beginn: { type: 'string', format: 'date', maxLength: 10 },
  },
};
const SERVICE = {
  id: uuid7('2026-10-20T12:00:00.812Z', 'service Gewerbeanmeldung'),
  serviceKey: '99050012104000',
  title: 'Gewerbeanmeldung',
  formSchema: FORM_SCHEMA,
  planCode: '32.10',
  filing: 'file-per-applicant',
  runningFileTitle: null,
  caseTitle: 'Gewerbeanmeldung {betrieb}',
  paymentRequired: true,
  competentTenant: null,
  active: true,
  createdAt: '2026-10-20T12:00:00.812Z',
  updatedAt: '2026-10-20T12:00:00.812Z',
};

const WEBHOOK = {
  id: uuid7('2026-11-03T07:45:10.021Z', 'webhook fachverfahren'),
  url: 'https://gewerbe.witten.example/en-akte/events',
  description: 'Gewerbe-Fachverfahren',
  eventTypes: ['file.*', 'version.created'],
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  consecutiveFailures: 0,
  secretRotatedAt: '2026-11-03T07:45:10.021Z',
  previousSecretValidUntil: null,
  createdAt: '2026-11-03T07:45:10.021Z',
  updatedAt: '2026-11-03T07:45:10.021Z',
  createdBy: ADMIN,
};
const WEBHOOK_SECRET = `whsec_${createHash('sha256').update('webhook secret').digest('base64')}`;
const EVENT_ID = uuid7(T0, 'event file.created');
const DELIVERY = {
  id: uuid7(T0, 'delivery file.created'),
  webhookId: WEBHOOK.id,
  eventId: EVENT_ID,
  eventType: 'file.created',
  status: 'succeeded',
  attempts: 2,
  lastAttemptAt: '2026-11-24T08:14:35.660Z',
  lastStatusCode: 204,
  lastError: null,
  completedAt: '2026-11-24T08:14:35.902Z',
  redeliveryOf: null,
  createdAt: T0,
};

const STATUS_TOKEN = base64url('status token');
const SUBMISSION = {
  id: uuid7(T0, 'submission WIT-2026-00412'),
  submissionId: 'WIT-2026-00412',
  serviceKey: SERVICE.serviceKey,
  serviceTitle: SERVICE.title,
  receivedFrom: TENANT,
  submittedAt: '2026-11-24T08:13:58.000Z',
  state: 'received',
  stateReason: null,
  stateAt: T0,
  fileId: FILE.id,
  caseId: CASE.id,
  formDocumentId: DOC.id,
  decisionDocumentId: null,
  paymentRequired: true,
  payment: { status: 'paid', amountCents: 2600, transactionReference: 'EPAYBL-2026-7741203', at: '2026-11-24T08:13:40.000Z' },
  overdue: false,
  createdAt: T0,
};

const INTAKE_ANSWER = {
  id: SUBMISSION.id,
  submissionId: SUBMISSION.submissionId,
  state: 'received',
  filedWith: { tenant: TENANT, name: 'Stadt Witten' },
  forwarded: false,
  statusToken: STATUS_TOKEN,
  statusUrl: `${PUBLIC_URL}/v1/status/${STATUS_TOKEN}`,
};

const HANDOVER = {
  id: uuid7(NOW, 'handover 32.10-0001/2026'),
  state: 'offered',
  direction: 'outgoing',
  sender: TENANT,
  recipient: 'en-kreis',
  fileId: FILE.id,
  fileReference: FILE.reference,
  fileTitle: FILE_UPDATED.title,
  version: '3.0.0',
  processId: uuid7(NOW, 'handover process'),
  messageId: uuid7(NOW, 'handover message 0401'),
  note: 'Zuständigkeitswechsel: Betriebssitz liegt im Kreisgebiet außerhalb Wittens',
  createdBy: RECORDS_MANAGER,
  createdAt: NOW,
  decidedBy: null,
  decidedAt: null,
  reason: null,
  recipientFileId: null,
  recipientReference: null,
  replyMessageId: null,
  completedAt: null,
};
const HANDOVER_INCOMING = { ...HANDOVER, direction: 'incoming' };
const HANDOVER_ACCEPTED_AT = '2026-12-02T10:04:51.377Z';
const HANDOVER_COMPLETED = {
  ...HANDOVER_INCOMING,
  state: 'completed',
  decidedBy: 'r.vogel@en-kreis',
  decidedAt: HANDOVER_ACCEPTED_AT,
  recipientFileId: uuid7(HANDOVER_ACCEPTED_AT, 'file at en-kreis'),
  recipientReference: '32.10-0093/2026',
  replyMessageId: uuid7(HANDOVER_ACCEPTED_AT, 'handover message 0402'),
  completedAt: HANDOVER_ACCEPTED_AT,
};
const HANDOVER_REFUSED = {
  ...HANDOVER_INCOMING,
  state: 'refused',
  decidedBy: 'r.vogel@en-kreis',
  decidedAt: HANDOVER_ACCEPTED_AT,
  reason: 'Nicht zuständig: der Betriebssitz liegt in Witten',
  replyMessageId: uuid7(HANDOVER_ACCEPTED_AT, 'handover message 0402 refused'),
  completedAt: HANDOVER_ACCEPTED_AT,
};

const EXPORT_ID = uuid7(NOW, 'export 0503');
const EXPORT_PROCESS = uuid7(NOW, 'export process 0503');
const EXPORT = {
  id: EXPORT_ID,
  message: '0503',
  version: '3.0.0',
  processId: EXPORT_PROCESS,
  fileIds: [OLD.id],
  state: 'queued',
  progress: { entriesDone: 0, entriesTotal: 0, bytesDone: 0, bytesTotal: 0 },
  filename: null,
  size: null,
  sha256: null,
  error: null,
  createdAt: NOW,
  createdBy: RECORDS_MANAGER,
  startedAt: null,
  finishedAt: null,
};
const EXPORT_DONE = {
  ...EXPORT,
  state: 'done',
  progress: { entriesDone: 4, entriesTotal: 4, bytesDone: 2_418_551, bytesTotal: 2_418_551 },
  filename: `${EXPORT_PROCESS}_Aussonderung.Aussonderung.0503.zip`,
  size: 2_418_551,
  sha256: sha256('0503 container'),
  startedAt: '2026-12-02T09:31:13.020Z',
  finishedAt: '2026-12-02T09:31:16.884Z',
};

const HASHES = Array.from({ length: 4 }, (_, i) => sha256(`audit ${i}`));
const AUDIT_EVENT = {
  seq: 1842,
  id: uuid7(T2, 'audit file.updated'),
  at: T2,
  actorTenant: TENANT,
  actorSub: CLERK,
  clientId: null,
  grantId: null,
  action: 'file.updated',
  objectType: 'file',
  objectId: FILE.id,
  oldValues: { title: FILE.title },
  newValues: { title: FILE_UPDATED.title },
  requestId: REQUEST_ID,
  prevHash: HASHES[0],
  hash: HASHES[1],
};
const AUDIT_CREATED = {
  ...AUDIT_EVENT,
  seq: 1797,
  id: uuid7(T0, 'audit file.created'),
  at: T0,
  actorSub: PORTAL_CLIENT_ID,
  clientId: PORTAL_CLIENT_ID,
  action: 'file.created',
  oldValues: null,
  newValues: { reference: FILE.reference, title: FILE.title, planCode: '32.10' },
  requestId: uuid7(T0, 'request file.created'),
  prevHash: HASHES[2],
  hash: HASHES[0],
};
const AUDIT_GRANT_READ = {
  ...AUDIT_EVENT,
  seq: 1903,
  id: uuid7('2026-12-02T09:40:02.115Z', 'audit grant read'),
  at: '2026-12-02T09:40:02.115Z',
  actorTenant: 'kompetenzzentrum',
  actorSub: SUPPORT_AGENT,
  grantId: GRANT.id,
  action: 'version.content-read',
  objectType: 'version',
  objectId: VERSION.id,
  oldValues: null,
  newValues: { documentId: DOC.id, number: 1 },
  requestId: uuid7('2026-12-02T09:40:02.115Z', 'request grant read'),
  prevHash: HASHES[1],
  hash: HASHES[3],
};
const ANCHOR = { seq: 1903, hash: HASHES[3], at: NOW, key: `audit-anchors/${TENANT_ROW.id}/${String(1903).padStart(16, '0')}.jws` };

const etag = (o: { id: string }, rowVersion: number) => etagOf(o.id, rowVersion);
const page = (items: Json[], next: string | null = null) => ({ items, next });
const CURSOR = base64url('cursor', 18);
const IDEMPOTENCY_KEY = 'b1e7c6a2-5d0f-4c3e-9a41-0e6f2d8c7b19';
const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * A problem as src/plugins/errors.ts answers it (`toProblem`): the one place the examples' problem
 * fields are formed. `type` is AppError.type: `<PUBLIC_URL>/problems/<code>` of the deployment.
 */
export function problemOf(err: AppError, instance: string): Record<string, Json> {
  return {
    type: err.type,
    title: err.title,
    status: err.status,
    detail: err.message,
    instance,
    code: err.code,
    requestId: REQUEST_ID,
    ...err.extensions,
  };
}

// ---------------------------------------------------------------------------------------------
// The examples, by operationId

const fileOk = (body: Json, rowVersion: number, o: { id: string } = FILE) => ({ status: 200, body, headers: { etag: etag(o, rowVersion) } });
const closed = (what: string) => ({ 409: errors.objectClosed(what) });
const ifMatch = (o: { id: string }, rowVersion: number) => ({ 'if-match': etag(o, rowVersion), 'idempotency-key': IDEMPOTENCY_KEY });
const RAW_PDF = described('PDF content', 'The bytes of the file, e.g. a PDF (Content-Type: application/pdf, 184233 bytes); not shown here.');
const ZIP = (what: string) => described('ZIP container', `${what}; binary, not shown here.`);

export const OPERATION_EXAMPLES: Record<string, OperationExamples> = {
  // --- operations, auth --------------------------------------------------------------------
  getJwks: {
    ok: {
      status: 200,
      body: {
        keys: [
          { kid: KID, alg: 'ES256', kty: 'EC', crv: 'P-256', x: base64url('jwk x'), y: base64url('jwk y'), use: 'sig' },
        ],
      },
    },
  },
  issueToken: {
    body: {
      'application/x-www-form-urlencoded': { grant_type: 'client_credentials', client_id: PORTAL_CLIENT_ID, client_secret: CLIENT_SECRET },
      'application/json': { grant_type: 'client_credentials', client_id: PORTAL_CLIENT_ID, client_secret: CLIENT_SECRET },
    },
    ok: {
      status: 200,
      body: {
        access_token: `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: KID, typ: 'at+jwt' })).toString('base64url')}.${base64url('claims', 32)}${base64url('claims 2', 32)}.${base64url('signature', 32)}${base64url('signature 2', 32)}`,
        token_type: 'Bearer',
        expires_in: 900,
      },
    },
    problems: {
      401: new AppError(401, 'invalid-client', 'The client credentials are not valid', 'Client authentication failed', {
        error: 'invalid_client',
        error_description: 'Client authentication failed',
      }),
    },
  },
  getHealth: { ok: { status: 200, body: { status: 'ok' } } },
  listProblemTypes: {
    ok: {
      status: 200,
      bodies: {
        'application/json': { items: (['not-found', 'checked-out'] as const).map(problemTypeOf) },
        'text/html': '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EN-Akte problem types</title></head><body>…</body></html>',
      },
    },
    problems: { 406: errors.notAcceptable('Accept text/html or application/json') },
  },
  getProblemType: {
    params: { code: 'checked-out' },
    ok: {
      status: 200,
      bodies: {
        'application/json': problemTypeOf('checked-out'),
        'text/html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${catalogue['checked-out'].title}</title></head><body>…</body></html>`,
      },
    },
    missing: 'problem type',
    problems: { 406: errors.notAcceptable('Accept text/html or application/json') },
  },
  getReadiness: {
    ok: { status: 200, body: { status: 'ready', checks: { database: 'up', storage: 'up' } } },
    problems: { 503: errors.unavailable('Not ready: database unreachable', { checks: { database: 'down', storage: 'up' } }) },
  },

  // --- online services: citizens ------------------------------------------------------------
  getApplicationStatus: {
    params: { receipt: STATUS_TOKEN },
    ok: { status: 200, body: { service: 'Gewerbeanmeldung', state: 'in-progress', since: T2, authority: 'Stadt Witten' } },
    missing: 'application status (unknown or expired token)',
  },
  listMyApplications: {
    ok: {
      status: 200,
      body: {
        items: [
          { service: 'Gewerbeanmeldung', state: 'in-progress', since: T2, authority: 'Stadt Witten' },
          { service: 'Anwohnerparkausweis', state: 'decided', since: '2026-10-08T07:12:40.552Z', authority: 'Stadt Witten' },
        ],
      },
    },
  },

  // --- tenants ------------------------------------------------------------------------------
  listTenants: {
    ok: {
      status: 200,
      body: page([
        TENANT_ROW,
        { ...TENANT_ROW, id: uuid7('2026-01-05T09:00:00.000Z', 'tenant en-kreis'), slug: 'en-kreis', name: 'Ennepe-Ruhr-Kreis', kind: 'district' },
      ], CURSOR),
    },
  },
  getTenant: {
    params: { 'if-none-match': etagOf(TENANT_ROW.id, new Date(TENANT_ROW.updatedAt)) },
    ok: { status: 200, body: TENANT_ROW, headers: { etag: etagOf(TENANT_ROW.id, new Date(TENANT_ROW.updatedAt)) } },
    missing: 'tenant',
  },

  // --- file plan ----------------------------------------------------------------------------
  getFilePlan: {
    perm: 'plan:read',
    ok: { status: 200, body: { units: [{ ...UNIT_32, children: [{ ...UNIT, children: [] }] }] } },
  },
  listFilePlanUnits: {
    perm: 'plan:read',
    params: { parentCode: '32', limit: 50 },
    ok: { status: 200, body: page([UNIT]) },
  },
  createFilePlanUnit: {
    perm: 'plan:write',
    body: { 'application/json': { code: '32.20', title: 'Gaststättenerlaubnisse', retentionYears: 30, disposal: 'A', validFrom: '2027-01-01' } },
    ok: { status: 201, body: NEW_UNIT, headers: { etag: etag(NEW_UNIT, 1), location: `/v1/tenants/${TENANT}/file-plan/units/${NEW_UNIT.id}` } },
    problems: { 409: errors.unitExists('Unit 32.20 already exists', ['32.20']), 422: errors.parentMissing('Parent unit 32 does not exist; create it first', '32.20', '32') },
  },
  importFilePlan: {
    perm: 'plan:write',
    body: {
      'application/json': {
        units: [
          { code: '32', title: 'Öffentliche Sicherheit und Ordnung', retentionYears: null, disposal: 'A', validFrom: '2026-01-01' },
          { code: '32.10', title: 'Gewerbeangelegenheiten', retentionYears: 10, disposal: 'B', validFrom: '2026-01-01' },
          { code: '32.20', title: 'Gaststättenerlaubnisse', retentionYears: 30, disposal: 'A', validFrom: '2026-01-01' },
        ],
      },
    },
    ok: { status: 201, body: { created: 3 } },
    problems: { 409: errors.unitExists('Units already exist: 32, 32.10', ['32', '32.10']), 422: errors.duplicateCodes(['32.10']) },
  },
  getFilePlanUnit: {
    perm: 'plan:read',
    params: { unitId: UNIT.id },
    ok: { status: 200, body: UNIT, headers: { etag: etag(UNIT, 1) } },
  },
  updateFilePlanUnit: {
    perm: 'plan:write',
    params: { unitId: UNIT.id, 'if-match': etag(UNIT, 1) },
    body: { 'application/json': { description: 'Gewerbean-, -um- und -abmeldungen (§ 14 GewO), Reisegewerbekarten' } },
    ok: {
      status: 200,
      body: { ...UNIT, description: 'Gewerbean-, -um- und -abmeldungen (§ 14 GewO), Reisegewerbekarten', updatedAt: NOW },
      headers: { etag: etag(UNIT, 2) },
    },
    problems: { 409: errors.unitRetired('32.10') },
  },
  retireFilePlanUnit: {
    perm: 'plan:write',
    params: { unitId: UNIT.id, ...ifMatch(UNIT, 1) },
    ok: { status: 200, body: { ...UNIT, retired: true, retiredAt: NOW, validUntil: '2026-12-02', updatedAt: NOW }, headers: { etag: etag(UNIT, 2) } },
    problems: { 409: errors.unitRetired('32.10') },
  },

  // --- files --------------------------------------------------------------------------------
  createFile: {
    perm: 'records:write',
    body: {
      'application/json': {
        planCode: '32.10',
        title: FILE.title,
        confidentiality: '003',
        leadOrgUnit: FILE.leadOrgUnit,
        metadata: FILE.metadata,
      },
    },
    ok: { status: 201, body: FILE, headers: { etag: etag(FILE, 1), location: `/v1/tenants/${TENANT}/files/${FILE.id}` } },
    problems: { 409: errors.unitRetired('32.10'), 422: errors.unprocessable('The file-plan unit does not exist') },
  },
  listFiles: {
    perm: 'records:read',
    params: { planUnitId: UNIT.id, status: 'open', referencePrefix: '32.10-', limit: 50 },
    ok: { status: 200, body: page([FILE_UPDATED], CURSOR) },
  },
  getFile: { perm: 'records:read', ok: fileOk(FILE_UPDATED, 2) },
  updateFile: {
    perm: 'records:write',
    params: { 'if-match': etag(FILE, 1) },
    body: { 'application/json': { title: FILE_UPDATED.title } },
    ok: fileOk(FILE_UPDATED, 2),
    problems: closed('file'),
  },
  closeFile: {
    perm: 'records:write',
    params: ifMatch(FILE, 2),
    body: { 'application/json': { closedOn: '2026-11-30', closeOpenCases: true } },
    ok: fileOk(FILE_CLOSED, 3),
    problems: { 409: errors.openCases(1) },
  },
  reopenFile: {
    perm: 'records:reopen',
    params: ifMatch(FILE, 3),
    body: { 'application/json': { reason: 'Nachtrag: Erlaubnis nach § 34c GewO nachgereicht' } },
    ok: fileOk({ ...FILE_UPDATED, updatedAt: NOW }, 4),
    problems: { 409: errors.conflict('The file is not closed') },
  },
  overrideRetention: {
    perm: 'retention:override',
    params: { fileId: OLD.id, 'if-match': etag(OLD, 5) },
    body: { 'application/json': { disposalCode: 'A', reason: 'Erste Gewerbeakte der Innenstadtsanierung: archivwürdig (Absprache Stadtarchiv)' } },
    ok: fileOk(OLD_OVERRIDDEN, 6, OLD),
    problems: {
      409: errors.disposalOutOfOrder('Overriding the retention', 'offered', ['none', 'due']),
      422: errors.unprocessable('A retention override needs a reason (3-1000 characters)'),
    },
  },
  placeHold: {
    perm: 'hold:manage',
    params: { fileId: OLD.id, ...ifMatch(OLD, 5) },
    body: { 'application/json': { reason: OLD_HELD.hold.reason, reference: OLD_HELD.hold.reference } },
    ok: fileOk(OLD_HELD, 6, OLD),
    problems: { 409: errors.conflict(`The file is already under a hold (since ${NOW})`) },
  },
  liftHold: {
    perm: 'hold:manage',
    params: { fileId: OLD.id, 'if-match': etag(OLD, 6) },
    ok: fileOk({ ...OLD, updatedAt: '2026-12-02T12:10:09.301Z' }, 7, OLD),
    problems: { 409: errors.holdPlacedByOther(RECORDS_MANAGER, PERMISSIONS['hold:lift-others'].join(', ')) },
  },
  offerFileForDisposal: {
    perm: 'disposal:manage',
    params: { fileId: OLD.id, ...ifMatch(OLD, 5) },
    ok: fileOk(OLD_OFFERED, 6, OLD),
    problems: { 409: errors.onHold(new Date(NOW)) },
  },
  recordArchiveDecision: {
    perm: 'disposal:manage',
    params: { fileId: OLD.id, ...ifMatch(OLD, 6) },
    body: { 'application/json': { decision: 'A', decidedBy: 'Stadtarchiv Witten, Dr. Petra Lenz', decidedAt: DECIDED_AT } },
    ok: fileOk(OLD_EVALUATED, 7, OLD),
    problems: {
      409: errors.disposalOutOfOrder("Recording the archive's decision", 'due', ['offered']),
      422: errors.unprocessable('decidedAt must be a time not in the future'),
    },
  },
  confirmFileArchived: {
    perm: 'disposal:manage',
    params: { fileId: OLD.id, ...ifMatch(OLD, 7) },
    body: { 'application/json': { archiveReference: 'StAW 3.2.10 Nr. 148', confirmedBy: 'Stadtarchiv Witten' } },
    ok: fileOk(OLD_ARCHIVED, 8, OLD),
    problems: {
      409: errors.disposalOutOfOrder('Confirming the takeover (the archive decided V)', 'evaluated', ['evaluated with decision A']),
      422: errors.unprocessable('archiveReference must not be blank'),
    },
  },
  destroyFile: {
    perm: 'records:destroy',
    params: { fileId: OLD.id, ...ifMatch(OLD, 8) },
    body: { 'application/json': { reason: 'Übernahme durch das Stadtarchiv bestätigt (StAW 3.2.10 Nr. 148)' } },
    ok: { status: 201, body: destructionRecord() },
    problems: { 409: errors.disposalOutOfOrder('Destruction', 'offered', ['evaluated with decision V', 'archived']) },
  },
  getDestructionRecord: {
    perm: 'records:read',
    params: { fileId: OLD.id },
    ok: { status: 200, body: destructionRecord() },
    problems: { 409: errors.conflict('The file is not destroyed: it has no destruction record') },
  },
  getDestructionRecordPdf: {
    perm: 'records:read',
    params: { fileId: OLD.id },
    ok: { status: 200, body: described('PDF', 'The destruction record (Vernichtungsprotokoll) as PDF/A; binary, not shown here.') },
    problems: { 406: errors.notAcceptable('This resource is available as application/pdf'), 409: errors.conflict('The file is not destroyed: it has no destruction record') },
  },
  getTenantSettings: {
    perm: 'tenant:read',
    ok: { status: 200, body: { referencePattern: '{plan}-{seq:4}/{yyyy}', wormMode: 'GOVERNANCE' }, headers: { etag: etagOf(`settings:${TENANT_ROW.id}`, 1) } },
  },
  updateTenantSettings: {
    perm: 'tenant:configure',
    params: { 'if-match': etagOf(`settings:${TENANT_ROW.id}`, 1) },
    body: { 'application/json': { referencePattern: '{plan}/{seq:5}-{yyyy}' } },
    ok: { status: 200, body: { referencePattern: '{plan}/{seq:5}-{yyyy}', wormMode: 'GOVERNANCE' }, headers: { etag: etagOf(`settings:${TENANT_ROW.id}`, 2) } },
    problems: { 422: errors.unprocessable('The reference pattern must contain {seq} or {seq:N} exactly once') },
  },
  previewReference: {
    perm: 'tenant:read',
    body: { 'application/json': { referencePattern: '{plan}/{seq:5}-{yyyy}', planCode: '32.10' } },
    ok: { status: 200, body: { referencePattern: '{plan}/{seq:5}-{yyyy}', planCode: '32.10', next: '32.10/00002-2026' } },
    problems: { 422: errors.unprocessable('The reference pattern must contain {seq} or {seq:N} exactly once') },
  },

  // --- cases --------------------------------------------------------------------------------
  createCase: {
    perm: 'records:write',
    body: { 'application/json': { title: CASE.title, metadata: CASE.metadata } },
    ok: { status: 201, body: CASE, headers: { etag: etag(CASE, 1), location: `/v1/tenants/${TENANT}/cases/${CASE.id}` } },
    problems: closed('file'),
  },
  listCases: { perm: 'records:read', params: { status: 'open' }, ok: { status: 200, body: page([CASE]) } },
  getCase: { perm: 'records:read', ok: { status: 200, body: CASE, headers: { etag: etag(CASE, 1) } } },
  updateCase: {
    perm: 'records:write',
    params: { 'if-match': etag(CASE, 1) },
    body: { 'application/json': { description: 'Nachweis der Erlaubnis nach § 34c GewO angefordert' } },
    ok: { status: 200, body: { ...CASE, description: 'Nachweis der Erlaubnis nach § 34c GewO angefordert', updatedAt: T2 }, headers: { etag: etag(CASE, 2) } },
    problems: closed('case'),
  },
  closeCase: {
    perm: 'records:write',
    params: ifMatch(CASE, 2),
    body: { 'application/json': { closedOn: '2026-11-30' } },
    ok: { status: 200, body: CASE_CLOSED, headers: { etag: etag(CASE, 3) } },
    problems: closed('file'),
  },
  reopenCase: {
    perm: 'records:reopen',
    params: ifMatch(CASE, 3),
    body: { 'application/json': { reason: 'Widerspruch der Antragstellerin eingegangen' } },
    ok: { status: 200, body: { ...CASE, updatedAt: NOW }, headers: { etag: etag(CASE, 4) } },
    problems: { 409: errors.conflict('The case is not closed') },
  },

  // --- documents ----------------------------------------------------------------------------
  createDocument: {
    perm: 'records:write',
    body: {
      'application/json': { title: DOC.title, kind: 'application', receivedOn: '2026-11-24', sender: DOC.sender, addressee: DOC.addressee },
    },
    ok: {
      status: 201,
      body: { ...DOC, versionCount: 0 },
      headers: { etag: etag(DOC, 1), location: `/v1/tenants/${TENANT}/documents/${DOC.id}` },
    },
    problems: closed('case'),
  },
  listDocuments: { perm: 'records:read', ok: { status: 200, body: page([DOC, DECISION_DOC]) } },
  getDocument: { perm: 'records:read', ok: { status: 200, body: DOC, headers: { etag: etag(DOC, 2) } } },
  updateDocument: {
    perm: 'records:write',
    params: { 'if-match': etag(DOC, 2) },
    body: { 'application/json': { title: 'Gewerbeanmeldung GewA 1 (Café Ruhrblick)' } },
    ok: { status: 200, body: { ...DOC, title: 'Gewerbeanmeldung GewA 1 (Café Ruhrblick)', updatedAt: T2 }, headers: { etag: etag(DOC, 3) } },
    problems: closed('case'),
  },
  checkOutDocument: {
    perm: 'records:write',
    body: { 'application/json': { minutes: 60 } },
    ok: { status: 200, body: DOC_CHECKED_OUT, headers: { etag: etag(DOC, 3) } },
    problems: { 409: errors.checkedOut(new Date(CHECKOUT_UNTIL)) },
  },
  releaseDocument: {
    perm: 'records:write',
    params: { break: false, 'if-match': etag(DOC, 3) },
    ok: { status: 200, body: { ...DOC, updatedAt: '2026-12-02T09:58:30.114Z' }, headers: { etag: etag(DOC, 4) } },
    problems: { 409: errors.conflict('The document is not checked out') },
  },

  // --- versions and uploads -------------------------------------------------------------------
  addVersion: {
    perm: 'records:write',
    params: {
      checkin: true,
      filename: VERSION_2.filename,
      'if-match': etag(DOC, 3),
      'content-digest': `sha-256=:${Buffer.from(VERSION_2.sha256, 'hex').toString('base64')}:`,
      'idempotency-key': IDEMPOTENCY_KEY,
    },
    body: {
      'application/octet-stream': RAW_PDF,
      '*/*': RAW_PDF,
      'multipart/form-data': described(
        'One file part',
        'Fields: `file` — the content, with its name and type in the part header:\n\n' +
          '```\n--BOUNDARY\nContent-Disposition: form-data; name="file"; filename="GewA1_Kowalczyk_ergaenzt.pdf"\n' +
          'Content-Type: application/pdf\n\n<the PDF bytes>\n--BOUNDARY--\n```',
        { file: '<the PDF bytes: not shown>' },
      ),
    },
    ok: {
      status: 201,
      body: VERSION_2,
      headers: {
        location: `/v1/tenants/${TENANT}/documents/${DOC.id}/versions/2`,
        etag: `"${VERSION_2.sha256}"`,
        'document-etag': etag(DOC, 4),
      },
    },
    problems: {
      409: errors.checkedOut(new Date(CHECKOUT_UNTIL)),
      415: errors.unsupportedMediaType('Content-Type is not a valid media type'),
      422: errors.digestMismatch(VERSION_2.sha256, sha256('truncated upload')),
    },
  },
  listVersions: { perm: 'records:read', ok: { status: 200, body: page([VERSION, VERSION_2]) } },
  getVersion: { perm: 'records:read', params: { number: 1 }, ok: { status: 200, body: VERSION }, missing: 'version' },
  getVersionContent: {
    perm: 'content:read',
    params: { number: 1, range: 'bytes=0-65535', 'if-none-match': `"${VERSION.sha256}"` },
    ok: { status: 200, body: described('The content', 'The stored bytes with their media type (here application/pdf, 184233 bytes); binary, not shown here.') },
    alsoOk: { 206: described('The byte range', 'Bytes 0-65535 of the content (Content-Range: bytes 0-65535/184233); binary, not shown here.') },
    problems: { 416: errors.rangeNotSatisfiable(VERSION.size) },
    missing: 'version',
  },
  createUpload: {
    perm: 'records:write',
    params: {
      'tus-resumable': '1.0.0',
      'upload-length': 191870,
      'upload-metadata': `filename ${Buffer.from(VERSION_2.filename).toString('base64')},filetype ${Buffer.from('application/pdf').toString('base64')}`,
      'if-match': etag(DOC, 3),
    },
    ok: {
      status: 201,
      headers: {
        location: `/v1/tenants/${TENANT}/documents/${DOC.id}/uploads/${UPLOAD_ID}`,
        'upload-expires': 'Thu, 03 Dec 2026 09:31:12 GMT',
        'tus-resumable': '1.0.0',
      },
    },
    problems: {
      409: errors.checkedOut(new Date(CHECKOUT_UNTIL)),
      412: errors.tusResumableRequired('Tus-Resumable Required'),
      413: errors.payloadTooLarge(MAX_UPLOAD_BYTES),
      422: errors.digestMismatch(VERSION_2.sha256, sha256('truncated upload')),
    },
  },
  'getUploadOffset-head': {
    perm: 'records:write',
    params: { uploadId: UPLOAD_ID, 'tus-resumable': '1.0.0' },
    ok: {
      status: 200,
      headers: {
        'upload-offset': 65536,
        'upload-length': 191870,
        'upload-metadata': `filename ${Buffer.from(VERSION_2.filename).toString('base64')},filetype ${Buffer.from('application/pdf').toString('base64')}`,
        'cache-control': 'no-store',
        'tus-resumable': '1.0.0',
      },
    },
    problems: { 410: errors.uploadExpired() },
    missing: 'upload',
  },
  sendUploadPart: {
    perm: 'records:write',
    params: { uploadId: UPLOAD_ID, 'tus-resumable': '1.0.0', 'upload-offset': 65536, 'content-type': 'application/offset+octet-stream' },
    body: { 'application/offset+octet-stream': described('The next bytes', 'Bytes 65536 onwards of the content (here the last 126334 bytes of the PDF); not shown here.') },
    ok: {
      status: 204,
      headers: {
        'upload-offset': 191870,
        'content-location': `/v1/tenants/${TENANT}/documents/${DOC.id}/versions/2`,
        etag: `"${VERSION_2.sha256}"`,
        'document-etag': etag(DOC, 4),
        'tus-resumable': '1.0.0',
      },
    },
    problems: {
      409: errors.uploadOffsetMismatch('Upload-Offset conflict'),
      410: errors.uploadExpired(),
      422: errors.digestMismatch(VERSION_2.sha256, sha256('truncated upload')),
    },
    missing: 'upload',
  },
  deleteUpload: {
    perm: 'records:write',
    params: { uploadId: UPLOAD_ID, 'tus-resumable': '1.0.0' },
    ok: { status: 204, headers: { 'tus-resumable': '1.0.0' } },
    missing: 'upload',
  },

  // --- search -------------------------------------------------------------------------------
  search: {
    perm: 'records:read',
    params: { q: 'Gewerbeanmeldung Ruhrblick', type: 'document', status: 'open', facets: 'type,year', limit: 20 },
    ok: {
      status: 200,
      body: {
        items: [
          {
            type: 'document',
            id: DOC.id,
            url: `/v1/tenants/${TENANT}/documents/${DOC.id}`,
            reference: CASE.reference,
            title: DOC.title,
            titleHighlight: '<mark>Gewerbeanmeldung</mark> GewA 1',
            snippet: 'Betrieb: Café <mark>Ruhrblick</mark>, Bahnhofstraße 12, 58452 Witten …',
            fileId: FILE.id,
            caseId: CASE.id,
            planUnitId: UNIT.id,
            planCode: '32.10',
            status: 'open',
            confidentiality: '003',
            kind: 'application',
            date: '2026-11-24',
            closedOn: null,
            score: 0.6079,
          },
        ],
        next: null,
        order: 'relevance',
        approximate: false,
        total: { count: 1, exact: true },
        facets: { type: [{ value: 'document', count: 1 }], year: [{ value: '2026', count: 1 }] },
      },
    },
    problems: { 503: errors.searchTimeout(3000) },
  },

  // --- audit --------------------------------------------------------------------------------
  listAuditEvents: {
    perm: 'audit:read',
    params: { objectId: FILE.id, action: 'file.updated', from: '2026-11-01T00:00:00.000Z' },
    ok: { status: 200, body: page([AUDIT_EVENT], '1842') },
  },
  getObjectHistory: {
    perm: 'audit:read',
    params: { objectId: FILE.id },
    ok: { status: 200, body: page([AUDIT_CREATED, AUDIT_EVENT]) },
  },
  exportAuditEvents: {
    perm: 'audit:read',
    params: { objectType: 'file', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
    ok: { status: 200, body: `${JSON.stringify(AUDIT_CREATED)}\n${JSON.stringify(AUDIT_EVENT)}\n` },
  },
  verifyAuditChain: {
    perm: 'audit:read',
    ok: {
      status: 200,
      body: { ok: true, events: 1903, headHash: HASHES[3], firstBroken: null, anchors: { checked: 12, latest: { seq: 1903, at: NOW }, firstMismatch: null } },
    },
  },
  anchorAuditChain: {
    perm: 'audit:read',
    ok: { status: 201, body: ANCHOR },
    problems: { 409: errors.conflict('The audit trail is empty: there is nothing to checkpoint') },
  },
  listAuditAnchors: {
    perm: 'audit:read',
    params: { limit: 20 },
    ok: {
      status: 200,
      body: {
        items: [
          ANCHOR,
          { seq: 1766, hash: HASHES[2], at: '2026-12-01T00:00:00.318Z', key: `audit-anchors/${TENANT_ROW.id}/${String(1766).padStart(16, '0')}.jws` },
        ],
      },
    },
  },

  // --- support grants ---------------------------------------------------------------------------
  requestSupportGrant: {
    perm: 'grants:request',
    body: { 'application/json': { scope: 'read', fileId: FILE.id, reason: GRANT.reason, ticket: GRANT.ticket, durationHours: 8 } },
    ok: { status: 201, body: GRANT, headers: { etag: etag(GRANT, 1), location: `/v1/tenants/${TENANT}/support-grants/${GRANT.id}` } },
    problems: { 422: errors.unprocessable('The competence centre needs no grant for itself') },
  },
  listSupportGrants: { perm: 'grants:read', params: { status: 'approved' }, ok: { status: 200, body: page([GRANT_APPROVED]) } },
  getSupportGrant: { perm: 'grants:read', ok: { status: 200, body: GRANT_APPROVED, headers: { etag: etag(GRANT, 2) } } },
  approveSupportGrant: {
    perm: 'grants:decide',
    params: ifMatch(GRANT, 1),
    body: { 'application/json': { note: 'Nur lesend, Ticket KZ-2026-0815' } },
    ok: { status: 200, body: GRANT_APPROVED, headers: { etag: etag(GRANT, 2) } },
    problems: { 409: errors.conflict('The grant is already approved') },
  },
  rejectSupportGrant: {
    perm: 'grants:decide',
    params: ifMatch(GRANT, 1),
    body: { 'application/json': { note: 'Das Fachverfahren wird heute vom Hersteller geprüft' } },
    ok: { status: 200, body: GRANT_REJECTED, headers: { etag: etag(GRANT, 2) } },
    problems: { 409: errors.conflict('The grant is already rejected') },
  },
  revokeSupportGrant: {
    perm: 'grants:decide',
    params: ifMatch(GRANT, 2),
    body: { 'application/json': { note: 'Ticket gelöst' } },
    ok: { status: 200, body: GRANT_REVOKED, headers: { etag: etag(GRANT, 3) } },
    problems: { 409: errors.conflict('A rejected grant cannot be revoked') },
  },
  listSupportGrantActions: { perm: 'grants:read', ok: { status: 200, body: page([AUDIT_GRANT_READ]) } },

  // --- machine clients ----------------------------------------------------------------------------
  createClient: {
    perm: 'clients:manage',
    body: { 'application/json': { name: 'Gewerbeportal', roles: ['clerk'], maxConfidentiality: '003' } },
    ok: { status: 201, body: { ...CLIENT, clientSecret: CLIENT_SECRET }, headers: { etag: etag(CLIENT, 1) } },
  },
  listClients: { perm: 'clients:manage', ok: { status: 200, body: page([CLIENT]) } },
  getClient: { perm: 'clients:manage', ok: { status: 200, body: CLIENT, headers: { etag: etag(CLIENT, 1) } } },
  rotateClientSecret: {
    perm: 'clients:manage',
    params: ifMatch(CLIENT, 1),
    ok: { status: 200, body: { ...CLIENT_ROTATED, clientSecret: base64url('client secret 2') }, headers: { etag: etag(CLIENT, 2) } },
    problems: { 409: errors.conflict('The client is disabled') },
  },
  disableClient: {
    perm: 'clients:manage',
    params: ifMatch(CLIENT, 1),
    ok: { status: 200, body: CLIENT_DISABLED, headers: { etag: etag(CLIENT, 2) } },
    problems: { 409: errors.conflict('The client is disabled') },
  },

  // --- online services and submissions ------------------------------------------------------------
  listOnlineServices: { perm: 'online-services:read', ok: { status: 200, body: { items: [SERVICE] } } },
  createOnlineService: {
    perm: 'online-services:manage',
    body: {
      'application/json': {
        serviceKey: SERVICE.serviceKey,
        title: SERVICE.title,
        formSchema: FORM_SCHEMA,
        planCode: '32.10',
        filing: 'file-per-applicant',
        caseTitle: SERVICE.caseTitle,
        paymentRequired: true,
      },
    },
    ok: { status: 201, body: SERVICE, headers: { etag: etag(SERVICE, 1), location: `/v1/tenants/${TENANT}/online-services/${SERVICE.id}` } },
    problems: {
      409: errors.conflict(`The tenant already offers service ${SERVICE.serviceKey}; change it instead`),
      422: errors.formInvalid('Form schemas are JSON Schema draft-07', [{ path: '/formSchema/$schema', message: 'must be http://json-schema.org/draft-07/schema#' }]),
    },
  },
  getOnlineService: { perm: 'online-services:read', params: { serviceId: SERVICE.id }, ok: { status: 200, body: SERVICE, headers: { etag: etag(SERVICE, 1) } } },
  updateOnlineService: {
    perm: 'online-services:manage',
    params: { serviceId: SERVICE.id, 'if-match': etag(SERVICE, 1) },
    body: { 'application/json': { active: false } },
    ok: { status: 200, body: { ...SERVICE, active: false, updatedAt: NOW }, headers: { etag: etag(SERVICE, 2) } },
    problems: { 422: errors.formInvalid('A case in a running file needs the running file\'s title', [{ path: '/runningFileTitle', message: 'is required for case-in-running-file' }]) },
  },
  submitApplication: {
    perm: 'submissions:submit',
    body: {
      'application/json': {
        serviceKey: SERVICE.serviceKey,
        submissionId: SUBMISSION.submissionId,
        submittedAt: SUBMISSION.submittedAt,
        applicant: { name: 'Jana Kowalczyk', email: 'jana.kowalczyk@example.org', phone: '+49 2302 123456' },
        accountId: 'bundid:7f3c9a12-5e0b-4d6a-8c21-93b4e5f60a7d',
        payment: { status: 'paid', amountCents: 2600, transactionReference: 'EPAYBL-2026-7741203' },
        formData: { betrieb: 'Café Ruhrblick GmbH', taetigkeit: 'Betrieb eines Cafés mit Außengastronomie', beginn: '2027-01-02' },
      },
      'multipart/form-data': described(
        'The submission and its attachments',
        'Fields, in this order: `submission` — the JSON of the application/json form (Content-Type: application/json), ' +
          'with `attachments` declaring each file part; then one file part per attachment, named by its `part`:\n\n' +
          '```\n--BOUNDARY\nContent-Disposition: form-data; name="submission"\nContent-Type: application/json\n\n' +
          '{"serviceKey":"99050012104000","submissionId":"WIT-2026-00412",…,"attachments":[{"part":"ausweis","title":"Personalausweis",' +
          '"filename":"ausweis.pdf","mediaType":"application/pdf","sha256":"…"}]}\n' +
          '--BOUNDARY\nContent-Disposition: form-data; name="ausweis"; filename="ausweis.pdf"\nContent-Type: application/pdf\n\n' +
          '<the PDF bytes>\n--BOUNDARY--\n```',
        { submission: '{"serviceKey":"99050012104000","submissionId":"WIT-2026-00412",…}', ausweis: '<the PDF bytes: not shown>' },
      ),
    },
    ok: { status: 201, body: INTAKE_ANSWER },
    // The portal's retry with the same submission id and body: the first answer again, as 200.
    alsoOk: { 200: INTAKE_ANSWER },
    problems: {
      422: errors.formInvalid('The form data does not match the form of the service', [{ path: '/formData/beginn', message: 'must match format "date"' }]),
      409: errors.conflict('Submission WIT-2026-00412 is still being filed; retry'),
    },
  },
  listSubmissions: { perm: 'submissions:read', params: { state: 'received', overdue: false }, ok: { status: 200, body: page([SUBMISSION]) } },
  getSubmission: { perm: 'submissions:read', params: { submissionId: SUBMISSION.id }, ok: { status: 200, body: SUBMISSION, headers: { etag: etag(SUBMISSION, 1) } } },
  transitionSubmission: {
    perm: 'submissions:process',
    params: { submissionId: SUBMISSION.id, ...ifMatch(SUBMISSION, 2) },
    body: { 'application/json': { to: 'decided', decisionDocumentId: DECISION_DOC.id } },
    ok: {
      status: 200,
      body: { ...SUBMISSION, state: 'decided', stateAt: NOW, decisionDocumentId: DECISION_DOC.id },
      headers: { etag: etag(SUBMISSION, 3) },
    },
    problems: {
      409: errors.conflict('A submission in state received can move to accepted or rejected, not decided', { state: 'received' }),
      422: errors.formInvalid('A decision needs its document (Bescheid)', [{ path: '/decisionDocumentId', message: 'is required for decided' }]),
    },
  },
  reportPayment: {
    perm: 'payments:report',
    body: { 'application/json': { submissionId: SUBMISSION.submissionId, status: 'paid', amountCents: 2600, transactionReference: 'EPAYBL-2026-7741203' } },
    ok: { status: 200, body: { submissionId: SUBMISSION.submissionId, status: 'paid', amountCents: 2600, transactionReference: 'EPAYBL-2026-7741203', changed: true } },
    problems: { 409: errors.conflict('The submission is paid; only a refund can follow, not failed') },
  },

  // --- webhooks -----------------------------------------------------------------------------------
  createWebhook: {
    perm: 'webhooks:manage',
    body: { 'application/json': { url: WEBHOOK.url, eventTypes: WEBHOOK.eventTypes, description: WEBHOOK.description } },
    ok: { status: 201, body: { ...WEBHOOK, secret: WEBHOOK_SECRET }, headers: { etag: etag(WEBHOOK, 1) } },
    problems: { 409: errors.limitReached('A tenant has at most 25 webhook subscriptions') },
  },
  listWebhooks: { perm: 'webhooks:manage', ok: { status: 200, body: page([WEBHOOK]) } },
  getWebhook: { perm: 'webhooks:manage', ok: { status: 200, body: WEBHOOK, headers: { etag: etag(WEBHOOK, 1) } } },
  updateWebhook: {
    perm: 'webhooks:manage',
    params: { 'if-match': etag(WEBHOOK, 1) },
    body: { 'application/json': { eventTypes: ['file.*', 'case.*', 'version.created'] } },
    ok: { status: 200, body: { ...WEBHOOK, eventTypes: ['file.*', 'case.*', 'version.created'], updatedAt: NOW }, headers: { etag: etag(WEBHOOK, 2) } },
  },
  deleteWebhook: { perm: 'webhooks:manage', params: { 'if-match': etag(WEBHOOK, 2) }, ok: { status: 204 } },
  disableWebhook: {
    perm: 'webhooks:manage',
    params: ifMatch(WEBHOOK, 2),
    body: { 'application/json': { reason: 'Wartung des Fachverfahrens bis 4. Dezember' } },
    ok: {
      status: 200,
      body: { ...WEBHOOK, eventTypes: ['file.*', 'case.*', 'version.created'], enabled: false, disabledReason: 'Wartung des Fachverfahrens bis 4. Dezember', disabledAt: NOW, updatedAt: NOW },
      headers: { etag: etag(WEBHOOK, 3) },
    },
    problems: { 409: errors.conflict('The webhook is already disabled') },
  },
  enableWebhook: {
    perm: 'webhooks:manage',
    params: ifMatch(WEBHOOK, 3),
    ok: { status: 200, body: { ...WEBHOOK, eventTypes: ['file.*', 'case.*', 'version.created'], updatedAt: NOW }, headers: { etag: etag(WEBHOOK, 4) } },
    problems: { 409: errors.conflict('The webhook is already enabled') },
  },
  rotateWebhookSecret: {
    perm: 'webhooks:manage',
    params: ifMatch(WEBHOOK, 1),
    ok: {
      status: 200,
      body: {
        ...WEBHOOK,
        secret: `whsec_${createHash('sha256').update('webhook secret 2').digest('base64')}`,
        secretRotatedAt: NOW,
        previousSecretValidUntil: '2026-12-03T09:31:12.406Z',
        updatedAt: NOW,
      },
      headers: { etag: etag(WEBHOOK, 2) },
    },
  },
  testWebhook: {
    perm: 'webhooks:manage',
    ok: { status: 202, body: { deliveryId: uuid7(NOW, 'delivery webhook.test'), status: 'pending' } },
    problems: { 409: errors.conflict('The webhook is disabled; enable it first') },
  },
  listWebhookDeliveries: { perm: 'webhooks:manage', params: { status: 'succeeded' }, ok: { status: 200, body: page([DELIVERY], CURSOR) } },
  getWebhookDelivery: {
    perm: 'webhooks:manage',
    ok: {
      status: 200,
      body: {
        ...DELIVERY,
        attemptLog: [
          { number: 1, at: '2026-11-24T08:14:04.611Z', durationMs: 10_002, statusCode: null, error: 'timeout after 10000 ms' },
          { number: 2, at: '2026-11-24T08:14:35.660Z', durationMs: 242, statusCode: 204, error: null },
        ],
      },
    },
    missing: 'delivery',
  },
  redeliverWebhookDelivery: {
    perm: 'webhooks:manage',
    ok: { status: 202, body: { deliveryId: uuid7(NOW, 'redelivery file.created'), status: 'pending' } },
    problems: { 409: errors.conflict('The webhook is disabled; enable it first') },
    missing: 'delivery',
  },

  // --- XDOMEA -------------------------------------------------------------------------------------
  exportFilePlanXdomea: {
    perm: 'plan:read',
    params: { version: '3.0.0', recipient: 'Stadtarchiv Witten' },
    ok: {
      status: 200,
      body:
        `${XML_DECL}<xdomea:Aktenplan.Aktenplan.0301 xmlns:xdomea="urn:xoev-de:xdomea:schema:3.0.0">\n  <xdomea:Kopf>…</xdomea:Kopf>\n` +
        '  <xdomea:Aktenplaneinheit><xdomea:Kennzeichen>32</xdomea:Kennzeichen><xdomea:Titel>Öffentliche Sicherheit und Ordnung</xdomea:Titel>…</xdomea:Aktenplaneinheit>\n' +
        '</xdomea:Aktenplan.Aktenplan.0301>\n',
      headers: { 'content-disposition': `attachment; filename="${uuid7(NOW, 'plan export')}_Aktenplan.Aktenplan.0301.xml"` },
    },
  },
  importFilePlanXdomea: {
    perm: 'plan:write',
    body: {
      'application/xml': described('XDOMEA 0301', 'An Aktenplan.Aktenplan.0301 message (XDOMEA 3.0.0 or 4.0.0), UTF-8; not shown here.'),
      'text/xml': described('XDOMEA 0301', 'An Aktenplan.Aktenplan.0301 message (XDOMEA 3.0.0 or 4.0.0), UTF-8; not shown here.'),
      'application/zip': ZIP('A ZIP holding the 0301 message'),
    },
    ok: { status: 201, body: { created: 214, retired: 3, version: '3.0.0', processId: uuid7('2026-11-20T10:00:00.000Z', 'plan import'), sender: 'Stadt Witten, Hauptamt' } },
    problems: {
      409: errors.unitExists('Units already exist: 32, 32.10', ['32', '32.10']),
      422: errors.messageInvalid('The message is not valid against the XDOMEA 3.0.0 schema', [{ line: 42, message: "Element 'xdomea:Titel': This element is not expected." }]),
    },
  },
  exportAbgabeXdomea: {
    perm: 'records:read',
    params: { version: '3.0.0', recipient: 'Ennepe-Ruhr-Kreis, Straßenverkehrsamt' },
    ok: {
      status: 200,
      body: ZIP('The 0401 container: the message and one entry per version'),
      headers: { 'content-disposition': `attachment; filename="${HANDOVER.processId}_Abgabe.Abgabe.0401.zip"` },
    },
  },
  importAbgabeXdomea: {
    perm: 'xdomea:import',
    params: { planCode: '32.10' },
    body: { 'application/zip': ZIP('The 0401 container') },
    ok: {
      status: 201,
      body: {
        fileId: uuid7(NOW, 'imported 0401 file'),
        reference: '32.10-0002/2026',
        cases: 1,
        documents: 3,
        versions: 4,
        version: '3.0.0',
        processId: uuid7('2026-12-01T08:00:00.000Z', 'incoming 0401'),
        sender: 'Stadt Hattingen, Fachbereich Ordnung',
      },
    },
    problems: { 422: errors.containerRejected('The container holds no XDOMEA message (.xml at its top level)') },
  },
  startXdomeaHandover: {
    perm: 'xdomea:handover',
    body: { 'application/json': { recipient: 'en-kreis', version: '3.0.0', note: HANDOVER.note } },
    ok: { status: 201, body: HANDOVER },
    problems: { 409: errors.conflict('The file has an open hand-over already'), 422: errors.unprocessable('There is no active tenant en-kreis to hand the file over to') },
  },
  listXdomeaHandovers: {
    perm: 'xdomea:handover',
    params: { direction: 'outgoing', state: 'offered' },
    ok: { status: 200, body: page([HANDOVER]) },
  },
  getXdomeaHandover: { perm: 'xdomea:handover', params: { handoverId: HANDOVER.id }, ok: { status: 200, body: HANDOVER }, missing: 'hand-over' },
  acceptXdomeaHandover: {
    perm: 'xdomea:handover',
    params: { tenant: 'en-kreis', handoverId: HANDOVER.id },
    body: { 'application/json': { planCode: '32.10' } },
    ok: { status: 200, body: HANDOVER_COMPLETED },
    problems: { 409: errors.conflict('The hand-over is completed already') },
    missing: 'hand-over',
  },
  refuseXdomeaHandover: {
    perm: 'xdomea:handover',
    params: { tenant: 'en-kreis', handoverId: HANDOVER.id },
    body: { 'application/json': { reason: HANDOVER_REFUSED.reason } },
    ok: { status: 200, body: HANDOVER_REFUSED },
    problems: { 409: errors.conflict('The hand-over is refused already') },
    missing: 'hand-over',
  },
  getXdomeaHandoverConfirmation: {
    perm: 'xdomea:handover',
    params: { handoverId: HANDOVER.id },
    ok: {
      status: 200,
      body:
        `${XML_DECL}<xdomea:Abgabe.ImportBestaetigen.0402 xmlns:xdomea="urn:xoev-de:xdomea:schema:3.0.0">\n  <xdomea:Kopf><xdomea:ProzessID>${HANDOVER.processId}</xdomea:ProzessID>…</xdomea:Kopf>\n` +
        '  <xdomea:AbgegebenesObjekt><xdomea:Erfolgreich>true</xdomea:Erfolgreich>…</xdomea:AbgegebenesObjekt>\n</xdomea:Abgabe.ImportBestaetigen.0402>\n',
      headers: { 'content-disposition': `attachment; filename="${HANDOVER.processId}_Abgabe.ImportBestaetigen.0402.xml"` },
    },
    problems: { 409: errors.conflict('The hand-over is not accepted') },
    missing: 'hand-over',
  },
  offerFilesXdomea: {
    perm: 'disposal:manage',
    params: { version: '3.0.0' },
    body: { 'application/json': { fileIds: [OLD.id], recipient: 'Stadtarchiv Witten' } },
    ok: {
      status: 200,
      body:
        `${XML_DECL}<xdomea:Aussonderung.Anbieteverzeichnis.0501 xmlns:xdomea="urn:xoev-de:xdomea:schema:3.0.0">\n  <xdomea:Kopf>…</xdomea:Kopf>\n` +
        `  <xdomea:Schriftgutobjekt><xdomea:Akte><xdomea:Identifikation><xdomea:ID>${OLD.id}</xdomea:ID></xdomea:Identifikation>…</xdomea:Akte></xdomea:Schriftgutobjekt>\n` +
        '</xdomea:Aussonderung.Anbieteverzeichnis.0501>\n',
      headers: { 'content-disposition': `attachment; filename="${uuid7(NOW, 'offer 0501')}_Aussonderung.Anbieteverzeichnis.0501.xml"` },
    },
    problems: { 409: errors.disposalOutOfOrder('Offering to the archive', 'offered', ['due']) },
  },
  requestExportXdomea: {
    perm: 'disposal:manage',
    params: { version: '3.0.0' },
    body: { 'application/json': { message: '0503', fileIds: [OLD.id], recipient: 'Stadtarchiv Witten' } },
    ok: { status: 202, body: EXPORT, headers: { location: `/v1/tenants/${TENANT}/xdomea/exports/${EXPORT_ID}` } },
    problems: {
      409: errors.disposalOutOfOrder(`The Aussonderung (0503) of file ${OLD.id}`, 'offered', ['evaluated with decision A']),
      422: errors.unprocessable('A 0401 Abgabe export names exactly one file in fileIds'),
    },
  },
  getExportXdomea: { perm: 'disposal:manage', params: { exportId: EXPORT_ID }, ok: { status: 200, body: EXPORT_DONE }, missing: 'export' },
  getExportContentXdomea: {
    perm: 'disposal:manage',
    params: { exportId: EXPORT_ID },
    ok: { status: 200, body: ZIP('The 0503 container'), headers: { 'content-disposition': `attachment; filename="${EXPORT_DONE.filename}"` } },
    problems: {
      409: errors.conflict('The export is running; its container can be fetched once it is done', { state: 'running' }),
      410: errors.exportGone('expired', 'The container expired after XDOMEA_EXPORT_RETENTION_HOURS; request the export again'),
    },
    missing: 'export',
  },
  importEvaluationXdomea: {
    perm: 'disposal:manage',
    body: {
      'application/xml': described('XDOMEA 0502', 'An Aussonderung.Bewertungsverzeichnis.0502 message of the archive, UTF-8; not shown here.'),
      'text/xml': described('XDOMEA 0502', 'An Aussonderung.Bewertungsverzeichnis.0502 message of the archive, UTF-8; not shown here.'),
      'application/zip': ZIP('A ZIP holding the 0502 message'),
    },
    ok: {
      status: 200,
      body:
        `${XML_DECL}<xdomea:Aussonderung.BewertungsverzeichnisBestaetigen.0505 xmlns:xdomea="urn:xoev-de:xdomea:schema:3.0.0">\n  <xdomea:Kopf>…</xdomea:Kopf>\n` +
        '</xdomea:Aussonderung.BewertungsverzeichnisBestaetigen.0505>\n',
      headers: { 'content-disposition': `attachment; filename="${uuid7(NOW, 'offer 0501')}_Aussonderung.BewertungsverzeichnisBestaetigen.0505.xml"` },
    },
    problems: { 422: errors.messageInvalid('Expected a message of type Aussonderung.Bewertungsverzeichnis.0502, got xdomea:Aussonderung.Anbieteverzeichnis.0501') },
  },
  importArchiveMessageXdomea: {
    perm: 'disposal:manage',
    body: {
      'application/xml': described('XDOMEA 0504, 0506 or 0507', 'A receipt of the archive (0504 Übernahme, 0506 or 0507), UTF-8; not shown here.'),
      'text/xml': described('XDOMEA 0504, 0506 or 0507', 'A receipt of the archive (0504 Übernahme, 0506 or 0507), UTF-8; not shown here.'),
      'application/zip': ZIP('A ZIP holding the message'),
    },
    ok: {
      status: 200,
      body: {
        message: '0504',
        version: '3.0.0',
        processId: EXPORT_PROCESS,
        sender: 'Stadtarchiv Witten',
        archived: [{ fileId: OLD.id, archiveReference: 'StAW 3.2.10 Nr. 148' }],
        failed: [],
      },
    },
    problems: { 422: errors.messageInvalid('The message is not valid against the XDOMEA 3.0.0 schema', [{ line: 17, message: "Element 'xdomea:Archivkennung': This element is not expected." }]) },
  },
  importAussonderungXdomea: {
    perm: 'xdomea:import',
    params: { planCode: '32.10' },
    body: { 'application/zip': ZIP('The 0503 container') },
    ok: {
      status: 201,
      body: {
        fileId: uuid7(NOW, 'imported 0503 file'),
        reference: '32.10-0003/2026',
        cases: 2,
        documents: 5,
        versions: 5,
        version: '3.0.0',
        processId: uuid7('2026-11-28T08:00:00.000Z', 'incoming 0503'),
        sender: 'Stadt Sprockhövel',
      },
    },
    problems: { 422: errors.containerRejected('The container holds no XDOMEA message (.xml at its top level)') },
  },
};

function destructionRecord(): Json {
  return {
    id: uuid7(NOW, 'destruction record'),
    fileId: OLD.id,
    reference: OLD.reference,
    planCode: '32.10',
    planUnitId: UNIT.id,
    createdAt: OLD.createdAt,
    closedOn: OLD.closedOn,
    disposalCode: 'B',
    retentionYears: 10,
    retentionEndsOn: '2025-12-31',
    decision: 'A',
    decidedBy: 'Stadtarchiv Witten, Dr. Petra Lenz',
    decidedAt: DECIDED_AT,
    archiveReference: 'StAW 3.2.10 Nr. 148',
    reason: 'Übernahme durch das Stadtarchiv bestätigt (StAW 3.2.10 Nr. 148)',
    destroyed: { cases: 2, documents: 7, versions: 9, bytes: 3_912_044, governanceBypassed: true },
    destroyedBy: RECORDS_MANAGER,
    destroyedAt: NOW,
    audit: { seq: 1911, hash: sha256('audit destruction') },
  };
}

// ---------------------------------------------------------------------------------------------
// Writing them into the document

/** Default examples of path parameters and common headers. */
const PATH_DEFAULTS: Record<string, Json> = {
  tenant: TENANT,
  unitId: UNIT.id,
  fileId: FILE.id,
  caseId: CASE.id,
  documentId: DOC.id,
  number: 2,
  uploadId: UPLOAD_ID,
  objectId: FILE.id,
  grantId: GRANT.id,
  clientId: CLIENT.id,
  serviceId: SERVICE.id,
  submissionId: SUBMISSION.id,
  webhookId: WEBHOOK.id,
  deliveryId: DELIVERY.id,
  handoverId: HANDOVER.id,
  exportId: EXPORT_ID,
  'idempotency-key': IDEMPOTENCY_KEY,
  authorization: `Basic ${Buffer.from(`${PORTAL_CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
};

/** What a 404 names, by the last path parameter. */
const MISSING: Record<string, string> = {
  tenant: 'tenant',
  unitId: 'file-plan unit',
  fileId: 'file',
  caseId: 'case',
  documentId: 'document',
  number: 'version',
  uploadId: 'upload',
  objectId: 'object',
  grantId: 'support grant',
  clientId: 'client',
  serviceId: 'online service',
  submissionId: 'submission',
  webhookId: 'webhook',
  deliveryId: 'delivery',
  handoverId: 'hand-over',
  exportId: 'export',
};

interface Schema {
  type?: string;
  format?: string;
  maxLength?: number;
  maximum?: number;
  required?: string[];
}
interface Parameter {
  name: string;
  in: string;
  example?: Json;
  examples?: unknown;
  schema?: Schema;
}
interface MediaType {
  schema?: Schema;
  example?: Json;
  examples?: Record<string, { summary?: string; description?: string; value?: Json }>;
}
interface Header {
  example?: Json;
}
interface Response {
  content?: Record<string, MediaType>;
  headers?: Record<string, Header>;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, Response>;
}
interface Document {
  paths?: Record<string, Record<string, Operation>>;
}

/**
 * A described body: Swagger UI shows the summary and the text; the value is a placeholder in angle
 * brackets (Example Objects need one), never pretend bytes.
 */
function setExample(media: MediaType, value: Json | Described) {
  // One or the other (OpenAPI: mutually exclusive); ours replace what @fastify/swagger lifted from the schema.
  if (isDescribed(value)) {
    delete media.example;
    media.examples = { content: { summary: value.summary, description: value.described, value: value.fields ?? `<${value.summary}: not shown>` } };
  } else {
    delete media.examples;
    media.example = value;
  }
}

/** An entry of the error catalogue as GET /problems/{code} answers it (src/modules/problems). */
function problemTypeOf(code: ProblemCode) {
  const { status, title, description } = catalogue[code];
  // The same base as every problem's `type` (problemOf): the deployment's PUBLIC_URL.
  return { type: problemType(code), code, status, title, description };
}

/** Sent instead of a UUID in the 400 examples of routes with an id in their path. */
export const NOT_AN_ID = 'Akte-0001';

/**
 * A 400 the route can answer: the first required body field missing, else a path id that is no
 * UUID (the instance then carries NOT_AN_ID), else a limit above its maximum.
 */
function badRequest(op: Operation, values: Record<string, Json>): { err: AppError; values?: Record<string, Json> } {
  const json = op.requestBody?.content?.['application/json']?.schema;
  const field = json?.required?.[0];
  if (field) {
    const message = `must have required property '${field}'`;
    return { err: errors.validation(`body ${message}`, [{ path: 'body', message }]) };
  }
  const id = op.parameters?.find((p) => p.in === 'path' && p.schema?.format === 'uuid');
  if (id) {
    const message = 'must match format "uuid"';
    return { err: errors.validation(`params/${id.name} ${message}`, [{ path: `params/${id.name}`, message }]), values: { ...values, [id.name]: NOT_AN_ID } };
  }
  const limit = op.parameters?.find((p) => p.in === 'query' && p.name === 'limit');
  if (limit?.schema?.maximum !== undefined) {
    const message = `must be <= ${limit.schema.maximum}`;
    return { err: errors.validation(`querystring/limit ${message}`, [{ path: 'querystring/limit', message }]) };
  }
  return { err: errors.badRequest('The URL is malformed') };
}

/** XDOMEA messages as their schema bounds them; JSON bodies BODY_LIMIT, content MAX_UPLOAD_BYTES. */
function bodyLimitOf(op: Operation): number {
  const media = Object.entries(op.requestBody?.content ?? {});
  if (media.length === 0 || media.every(([type]) => type === 'application/json')) return BODY_LIMIT;
  const bound = media.map(([, m]) => m.schema?.maxLength).find((n): n is number => n !== undefined && n <= 64 * 1024 * 1024);
  return bound ?? MAX_UPLOAD_BYTES;
}

function defaultProblem(status: number, op: Operation, ex: OperationExamples, lastParam: string | undefined): AppError | undefined {
  switch (status) {
    case 401:
      return errors.unauthenticated();
    case 403:
      return ex.perm ? errors.forbidden(`This needs one of the roles: ${PERMISSIONS[ex.perm].join(', ')}`) : undefined;
    case 404:
      return errors.notFound(ex.missing ?? (lastParam ? MISSING[lastParam] : undefined) ?? 'tenant');
    case 412:
      return errors.preconditionFailed();
    case 428:
      return errors.preconditionRequired();
    case 413:
      return errors.payloadTooLarge(bodyLimitOf(op));
    case 415:
      // Fastify's answer to a Content-Type the route has no parser for (src/plugins/errors.ts), whatever the route takes.
      return errors.unsupportedMediaType('This operation does not accept that Content-Type; send application/json');
    case 429:
      return errors.tooManyRequests('Too many requests for this client; retry in 17 s', 17);
    case 500:
      return errors.internal();
    case 501:
      return errors.notImplemented('Resumable uploads need S3 storage (S3_ENDPOINT); use POST …/versions');
    default:
      return undefined;
  }
}

/**
 * Writes OPERATION_EXAMPLES into the document: parameter examples, a request body example per
 * media type, the success response with its headers, and the problems the route answers.
 */
export function withExamples<T>(spec: T): T {
  const doc = spec as Document;
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const op of Object.values(item)) {
      const ex = op.operationId ? OPERATION_EXAMPLES[op.operationId] : undefined;
      if (!ex || !op.responses) continue;
      const values: Record<string, Json> = { ...PATH_DEFAULTS, ...ex.params };
      for (const p of op.parameters ?? []) {
        const value = p.in === 'path' || p.name in (ex.params ?? {}) || p.name === 'idempotency-key' || p.name === 'authorization' ? values[p.name] : undefined;
        if (value !== undefined) {
          delete p.examples;
          p.example = value;
        }
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        const value = ex.body?.[type] ?? ex.body?.['*'];
        if (value !== undefined) setExample(media, value);
      }
      const instanceOf = (v: Record<string, Json>) => path.replace(/\{([^}]+)\}/g, (_, name: string) => String(v[name]));
      const instance = instanceOf(values);
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      for (const [status, response] of Object.entries(op.responses)) {
        const code = Number(status);
        if (code === ex.ok.status) {
          for (const [type, media] of Object.entries(response.content ?? {})) {
            const value = ex.ok.bodies?.[type] ?? ex.ok.body;
            if (value !== undefined) setExample(media, value);
          }
          for (const [name, value] of Object.entries(ex.ok.headers ?? {})) {
            const header = response.headers?.[name];
            if (header) header.example = value;
          }
          continue;
        }
        const also = ex.alsoOk?.[code];
        if (also !== undefined) for (const media of Object.values(response.content ?? {})) setExample(media, also);
        if (code < 400) continue;
        const media = response.content?.['application/problem+json'];
        if (!media) continue;
        if (code === 400 && !ex.problems?.[400]) {
          const bad = badRequest(op, values);
          setExample(media, problemOf(bad.err, instanceOf(bad.values ?? values)));
          continue;
        }
        const err = ex.problems?.[code] ?? defaultProblem(code, op, ex, pathParams.at(-1));
        if (err) setExample(media, problemOf(err, instance));
      }
    }
  }
  return spec;
}
