import path from 'node:path';
import envSchema from 'env-schema';
import ipaddr from 'ipaddr.js';
import { Type, type Static } from 'typebox';

const MiB = 1024 * 1024;

/**
 * Every environment variable EN-Akte reads. This one schema validates the environment at boot,
 * documents it (README and .env.example list the same names; a test keeps them in step) and
 * types the result.
 */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: 'development, production or test',
  }),
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface to listen on (0.0.0.0 in containers)' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'HTTP port' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  PUBLIC_URL: Type.String({
    pattern: '^https?://[^\\s]+$',
    default: 'http://localhost:3000',
    description: 'Base URL clients use to reach the service; default token issuer',
  }),
  TRUST_PROXY: Type.Boolean({ default: false, description: 'Trust X-Forwarded-* headers from a load balancer' }),
  DATA_DIR: Type.String({
    default: '.data',
    description: 'Where the embedded PostgreSQL cluster, local blobs and the signing key live',
  }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description:
        "External PostgreSQL, the API's own login: a role that owns nothing and cannot bypass row-level security, member of en_akte_app (postgresql://en_akte_api:pass@host:5432/db); unset = embedded PostgreSQL",
    }),
  ),
  DATABASE_OWNER_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'The login that owns the schema, for migrations, the seed and the job queues at start-up (required with DATABASE_URL)',
    }),
  ),
  DATABASE_REPLICA_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description:
        "A PostgreSQL streaming replica (hot standby) of DATABASE_URL's server, with the API's login: heavy reads (audit list and export, search, file lists) go there; a caller's read after its own write waits for the replica's replay or goes to the primary; an unreachable replica sends reads to the primary. Unset = all reads on the primary",
    }),
  ),
  EMBEDDED_PG_PORT: Type.Integer({
    default: 54320,
    minimum: 1024,
    maximum: 65535,
    description: 'Port of the embedded PostgreSQL (only when DATABASE_URL is unset)',
  }),
  EMBEDDED_PG_RUNTIME_DIR: Type.String({
    default: '/var/lib/en-akte',
    minLength: 1,
    description:
      'Run as root only: where the embedded PostgreSQL binaries and cluster go when the `postgres` user it runs as cannot reach the checkout or DATA_DIR (e.g. under a 0700 home)',
  }),
  DB_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 200, description: 'PostgreSQL pool size' }),
  S3_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://[^/]+/?$',
      description: 'MinIO / S3 endpoint (http://minio:9000); unset = local-disk store under DATA_DIR',
    }),
  ),
  S3_ACCESS_KEY: Type.Optional(Type.String({ minLength: 3, description: 'S3 access key (with S3_ENDPOINT)' })),
  S3_SECRET_KEY: Type.Optional(Type.String({ minLength: 8, description: 'S3 secret key (with S3_ENDPOINT)' })),
  S3_REGION: Type.String({ default: 'us-east-1', description: 'S3 region' }),
  S3_BUCKET_PREFIX: Type.String({
    default: 'en-akte-',
    pattern: '^[a-z0-9][a-z0-9.-]{0,20}$',
    description: 'Prefix of the per-tenant buckets (bucket = prefix + tenant slug)',
  }),
  S3_PART_SIZE: Type.Integer({
    default: 16 * MiB,
    minimum: 5 * MiB,
    maximum: 512 * MiB,
    description: 'Multipart part size in bytes; minio-js buffers one part per upload in memory',
  }),
  S3_PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/]+/?$',
      description: 'MinIO / S3 endpoint as clients reach it, the host of presigned download URLs (default S3_ENDPOINT)',
    }),
  ),
  DOWNLOAD_REDIRECT: Type.Union([Type.Literal('off'), Type.Literal('auto'), Type.Literal('always')], {
    default: 'off',
    description:
      'Content downloads answered with a 307 to a presigned S3 URL (S3 only, whole content only): off = always streamed; auto = from DOWNLOAD_REDIRECT_MIN_BYTES on, or when the client asks (?redirect=true); always = every whole download unless ?redirect=false',
  }),
  DOWNLOAD_REDIRECT_MIN_BYTES: Type.Integer({
    default: 8 * MiB,
    minimum: 0,
    maximum: 5 * 1024 * 1024 * MiB,
    description: 'With DOWNLOAD_REDIRECT=auto: content of at least this many bytes is redirected',
  }),
  DOWNLOAD_REDIRECT_EXPIRY_SECONDS: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 3600,
    description: 'How long a presigned download URL is valid',
  }),
  STORAGE_DIR: Type.Optional(
    Type.String({ description: 'Directory of the local-disk store (default DATA_DIR/blobs)' }),
  ),
  AUTH_JWKS_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+$',
      description: 'JWKS of an external IdP (Keycloak) whose tokens are accepted besides the service’s own',
    }),
  ),
  AUTH_ISSUER: Type.Optional(
    Type.String({ minLength: 1, description: "`iss` of the external IdP's tokens (required with AUTH_JWKS_URL); own tokens use PUBLIC_URL" }),
  ),
  AUTH_TENANT_CLAIM: Type.String({
    default: 'tenant',
    pattern: '^[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*$',
    description: 'Claim (dotted path) holding the tenant slug in external IdP tokens',
  }),
  AUTH_ROLES_CLAIM: Type.String({
    default: 'roles',
    pattern: '^[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*$',
    description: 'Claim (dotted path) holding the roles in external IdP tokens, e.g. realm_access.roles or resource_access.en-akte.roles',
  }),
  AUTH_CLEARANCE_CLAIM: Type.String({
    default: 'clearance',
    pattern: '^[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*$',
    description: "Claim (dotted path) holding the caller's clearance, the highest XDOMEA confidentiality level it may see (003 offen if absent)",
  }),
  AUTH_AUDIENCE: Type.String({ default: 'en-akte', minLength: 1, description: 'Expected `aud`' }),
  AUTH_ALGORITHMS: Type.String({
    default: 'ES256,RS256,EdDSA',
    pattern: '^(ES256|ES384|ES512|RS256|RS384|RS512|PS256|PS384|PS512|EdDSA)(,(ES256|ES384|ES512|RS256|RS384|RS512|PS256|PS384|PS512|EdDSA))*$',
    description: 'Comma-separated allow-list of JWS algorithms (never HS*/none)',
  }),
  AUTH_KEY_FILE: Type.Optional(
    Type.String({ description: 'An old local signing key file (JWK set), imported once into PostgreSQL (table signing_key) on the first start against an empty table; the keys then live there (default DATA_DIR/keys/signing-key.json)' }),
  ),
  AUTH_TOKEN_TTL: Type.Integer({
    default: 900,
    minimum: 60,
    maximum: 86400,
    description: 'Lifetime in seconds of tokens the service issues',
  }),
  AUTH_CLOCK_TOLERANCE: Type.Integer({
    default: 5,
    minimum: 0,
    maximum: 300,
    description: 'Seconds of clock skew accepted on exp/nbf',
  }),
  BODY_LIMIT: Type.Integer({
    default: 1 * MiB,
    minimum: 1024,
    maximum: 64 * MiB,
    description: 'Largest JSON request body in bytes (content uploads stream and are not bound by it)',
  }),
  MAX_UPLOAD_BYTES: Type.Integer({
    default: 5 * 1024 * MiB,
    minimum: 1024,
    maximum: 5 * 1024 * 1024 * MiB,
    description: 'Largest content of one document version in bytes (streamed, never held in memory)',
  }),
  UPLOAD_STALE_AFTER_SECONDS: Type.Integer({
    default: 6 * 3600,
    minimum: 60,
    maximum: 7 * 86400,
    description: 'An unfinished upload older than this is a leftover the sweeper removes',
  }),
  RESUMABLE_UPLOAD_EXPIRY_SECONDS: Type.Integer({
    default: 24 * 3600,
    minimum: 60,
    maximum: 30 * 86400,
    description: 'An unfinished resumable (tus) upload expires this long after it was created; the sweeper removes it',
  }),
  SWEEP_INTERVAL_SECONDS: Type.Integer({
    default: 300,
    minimum: 0,
    maximum: 86400,
    description: 'How often the sweeper collects leftover uploads, expired idempotency keys and old events (0 = never); once per period across all instances',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 1200,
    minimum: 1,
    maximum: 1_000_000,
    description: 'Requests per minute a client (or person) may send to /v1 in one tenant, across all instances',
  }),
  STATUS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: Type.Integer({
    default: 20, minimum: 1, maximum: 10_000,
    description: 'Citizen status lookups (GET /v1/status/…, /v1/citizen/applications) per minute per client address',
  }),
  STATUS_TOKEN_TTL_DAYS: Type.Integer({ default: 730, minimum: 1, maximum: 3650, description: 'Days a citizen status token answers after the submission arrived' }),
  SUBMISSION_OVERDUE_DAYS: Type.Integer({ default: 3, minimum: 1, maximum: 365, description: 'Days after which a submission still received (not accepted or rejected) is flagged overdue' }),
  SUBMISSION_OVERDUE_CHECK_SECONDS: Type.Integer({ default: 3600, minimum: 10, maximum: 86_400, description: 'How often the worker looks for overdue submissions' }),
  CITIZEN_IDP_JWKS_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s]+$', description: 'JWKS of the citizen IdP (BundID) whose tokens open GET /v1/citizen/applications; unset: that lookup is off' }),
  ),
  CITIZEN_IDP_ISSUER: Type.Optional(Type.String({ minLength: 1, description: '`iss` of citizen IdP tokens (required with CITIZEN_IDP_JWKS_URL)' })),
  CITIZEN_IDP_AUDIENCE: Type.String({ default: 'en-akte-status', minLength: 1, description: '`aud` citizen IdP tokens must carry' }),
  TOKEN_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 10, minimum: 1, maximum: 10_000, description: 'Token requests per minute per client_id at /oauth/token' }),
  TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 100_000,
    description: 'Token requests per minute per client address at /oauth/token (behind a proxy set TRUST_PROXY)',
  }),
  METRICS_HOST: Type.String({ default: '127.0.0.1', description: 'Interface of the separate metrics listener (Prometheus scrapes it; 0.0.0.0 inside a container network)' }),
  METRICS_PORT: Type.Integer({
    default: 9464,
    minimum: 0,
    maximum: 65535,
    description: 'Port of the separate metrics listener; 0 = /metrics on the API port instead, behind METRICS_TOKEN',
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'Bearer token Prometheus must send for /metrics: required with METRICS_PORT=0 (the API port), optional on the separate listener' }),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+$',
      description:
        'OpenTelemetry traces: base URL of an OTLP/HTTP receiver (an OpenTelemetry Collector, Jaeger: http://otel-collector:4318); spans are POSTed as JSON to its path /v1/traces. Unset = no tracing at all (nothing instrumented, no SDK loaded)',
    }),
  ),
  OTEL_SERVICE_NAME: Type.String({ default: 'en-akte', minLength: 1, description: 'service.name of the traces (with OTEL_EXPORTER_OTLP_ENDPOINT)' }),
  OTEL_TRACES_SAMPLER_ARG: Type.Number({
    default: 1,
    minimum: 0,
    maximum: 1,
    description:
      'Share of new traces recorded (0 to 1, by trace id); a request that carries a traceparent follows its sampled flag instead (parent-based)',
  }),
  WORKER_IN_PROCESS: Type.Boolean({
    default: true,
    description: 'Run the job worker (sweeper, event dispatch, webhook delivery, grant expiry, search indexing and text extraction) inside the API process; false for API-only instances beside `npm run worker`',
  }),
  JOB_POLL_INTERVAL_SECONDS: Type.Number({ default: 2, minimum: 0.5, maximum: 60, description: 'How often an idle worker asks each queue for work' }),
  OUTBOX_CATCH_UP_SECONDS: Type.Integer({
    default: 30,
    minimum: 1,
    maximum: 3600,
    description: 'How often workers look for events left undispatched (after downtime or a lost notification)',
  }),
  GRANT_EXPIRY_INTERVAL_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 3600, description: 'How often ended support grants are recorded (grant.expired)' }),
  RETENTION_SCAN_INTERVAL_SECONDS: Type.Integer({
    default: 86_400,
    minimum: 0,
    maximum: 604_800,
    description: 'How often closed files whose retention ended are marked due for disposal (file.retention-ended); daily by default, 0 = only on demand',
  }),
  CHECKOUT_EXPIRY_INTERVAL_SECONDS: Type.Integer({
    default: 300,
    minimum: 0,
    maximum: 86_400,
    description: 'How often lapsed check-outs are released (document.checked-in, how: expired); they stop blocking at once either way; 0 = only on demand',
  }),
  AUDIT_ANCHOR_INTERVAL_SECONDS: Type.Integer({
    default: 3600,
    minimum: 0,
    maximum: 604_800,
    description: "How often each tenant's audit chain head is checkpointed, signed, into its bucket with an object lock (0 = only on demand)",
  }),
  AUDIT_ANCHOR_RETENTION_DAYS: Type.Integer({ default: 3650, minimum: 1, maximum: 36_500, description: 'How long an audit checkpoint is locked against deletion' }),
  AUDIT_ANCHOR_LOCK_MODE: Type.Union([Type.Literal('COMPLIANCE'), Type.Literal('GOVERNANCE')], {
    default: 'COMPLIANCE',
    description: 'Object-lock mode of audit checkpoints: COMPLIANCE (nobody can remove them early) or GOVERNANCE (a storage admin with the bypass permission can)',
  }),
  EVENT_RETENTION_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 3650, description: 'Dispatched events and finished webhook deliveries older than this are purged by the sweeper' }),
  SECRETS_KEY_FILE: Type.Optional(
    Type.String({ description: 'Data key that seals stored secrets such as webhook signing secrets (created on first start; default DATA_DIR/keys/secrets.key; share it between instances)' }),
  ),
  WEBHOOK_ALLOW_HTTP: Type.Optional(Type.Boolean({ description: 'Accept http:// webhook URLs (default: only in development)' })),
  WEBHOOK_ALLOWED_PRIVATE_TARGETS: Type.String({
    default: '',
    pattern: '^[0-9a-fA-F:./, ]*$',
    description: 'Comma-separated IPs or CIDR ranges webhooks may reach although not public (e.g. 10.20.0.0/16 for a town network); everything else private is refused',
  }),
  WEBHOOK_TIMEOUT_SECONDS: Type.Integer({ default: 10, minimum: 1, maximum: 60, description: 'Time a receiver has to answer a delivery' }),
  WEBHOOK_MAX_ATTEMPTS: Type.Integer({ default: 12, minimum: 1, maximum: 20, description: 'Attempts per delivery before it is marked failed (12 with 30 s base: about a day)' }),
  WEBHOOK_RETRY_DELAY_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600, description: 'Delay before the first retry; it doubles with each retry, with jitter' }),
  WEBHOOK_DISABLE_AFTER_FAILURES: Type.Integer({ default: 5, minimum: 1, maximum: 100, description: 'Deliveries in a row that fail for good before a subscription is disabled' }),
  WEBHOOK_MAX_PER_TENANT: Type.Integer({ default: 25, minimum: 1, maximum: 1000, description: 'Most webhook subscriptions a tenant may have' }),
  WEBHOOK_SECRET_GRACE_HOURS: Type.Integer({ default: 24, minimum: 0, maximum: 720, description: 'How long the previous secret keeps signing after a rotation' }),
  WEBHOOK_CONCURRENCY: Type.Integer({ default: 4, minimum: 1, maximum: 64, description: 'Deliveries a worker sends at the same time' }),
  SEARCH_STATEMENT_TIMEOUT_MS: Type.Integer({
    default: 3000,
    minimum: 1,
    maximum: 60_000,
    description: 'Longest a search statement may run before it is stopped and the request answers 503 search-timeout',
  }),
  SEARCH_RANK_LIMIT: Type.Integer({
    default: 1000,
    minimum: 50,
    maximum: 100_000,
    description: 'Searches matching up to this many objects are ranked by relevance; broader ones are answered newest first (the top page never ranks every match)',
  }),
  SEARCH_TEXT_MAX_CHARS: Type.Integer({
    default: 100_000,
    minimum: 1000,
    maximum: 200_000,
    description: 'Characters of a version’s extracted text that are stored and indexed (the rest is cut off and the text marked truncated)',
  }),
  SEARCH_EXTRACT_MAX_BYTES: Type.Integer({
    default: 64 * MiB,
    minimum: 1024,
    maximum: 1024 * MiB,
    description: 'Versions larger than this get no text extraction (recorded as unsupported)',
  }),
  SEARCH_EXTRACT_TIMEOUT_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 3600, description: 'Time one document’s text extraction may take before its process is killed (recorded as failed)' }),
  SEARCH_EXTRACT_MEMORY_MB: Type.Integer({ default: 768, minimum: 64, maximum: 8192, description: 'Memory (resident) one document’s extraction process may use before it is killed (recorded as failed); OCR of a scanned PDF needs about 640 MiB, of an image about 256 MiB' }),
  SEARCH_EXTRACT_CONCURRENCY: Type.Integer({ default: 1, minimum: 1, maximum: 16, description: 'Text extractions a worker runs at the same time (each in its own process)' }),
  // XDOMEA containers (0401 and the like) from outside: refused before a byte is extracted beyond these.
  XDOMEA_ZIP_MAX_ENTRIES: Type.Integer({ default: 10_000, minimum: 1, maximum: 1_000_000, description: 'Most entries of an XDOMEA container (ZIP) EN-Akte reads' }),
  XDOMEA_ZIP_MAX_UNPACKED_BYTES: Type.Integer({
    default: 64 * 1024 * MiB, minimum: MiB, maximum: 16 * 1024 * 1024 * MiB,
    description: 'Most bytes an XDOMEA container may unpack to (sum of its declared entry sizes); also the most a staged container may have',
  }),
  XDOMEA_ZIP_MAX_RATIO: Type.Integer({ default: 200, minimum: 2, maximum: 100_000, description: 'Largest uncompressed/compressed ratio of an entry of an XDOMEA container (ZIP bombs)' }),
  XDOMEA_ZIP_RATIO_FLOOR_BYTES: Type.Integer({
    default: MiB, minimum: 0, maximum: 1024 * MiB,
    description: 'Entries smaller than this (uncompressed) are not held to XDOMEA_ZIP_MAX_RATIO (a small text compresses well)',
  }),
  XDOMEA_EXPORT_RETENTION_HOURS: Type.Integer({
    default: 72, minimum: 1, maximum: 8760,
    description: 'Hours a finished XDOMEA export (0503, 0401) keeps its container; then the sweep deletes it and the export is expired',
  }),
  XDOMEA_MAX_MESSAGE_BYTES: Type.Integer({ default: 64 * MiB, minimum: 64 * 1024, maximum: 1024 * MiB, description: 'Largest XDOMEA message (the XML, read into memory to validate it)' }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 60_000,
    description: 'Answer 503 while the event loop lags more than this many ms (load shedding; 0 = off; e.g. 1000 in production)',
  }),
  HEADERS_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 1_000,
    maximum: 120_000,
    description: 'Time a client has to send the request line and headers (slowloris); then 408 and the connection closes',
  }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    default: 900_000,
    minimum: 10_000,
    maximum: 86_400_000,
    description: 'Time a client has to send a whole request, body included (15 min: 5 GiB at 6 MB/s); then 408',
  }),
  CONNECTION_IDLE_TIMEOUT_MS: Type.Integer({
    default: 60_000,
    minimum: 1_000,
    maximum: 3_600_000,
    description: 'A connection on which nothing moves for this long is closed',
  }),
  MAX_HEADERS: Type.Integer({ default: 100, minimum: 20, maximum: 1000, description: 'Most header fields a request may carry (431 beyond)' }),
  MAX_QUERY_PARAMETERS: Type.Integer({ default: 50, minimum: 5, maximum: 1000, description: 'Most query parameters a request may carry (400 beyond)' }),
  CORS_ORIGINS: Type.String({
    default: '',
    pattern: '^(|https?://[^\\s,]+(,https?://[^\\s,]+)*)$',
    description: 'Comma-separated origins browsers may call the API from (e.g. https://portal.hattingen.de); empty = none, no CORS headers at all',
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({
    default: 10_000,
    minimum: 0,
    maximum: 120_000,
    description: 'How long in-flight requests may finish on SIGTERM/SIGINT',
  }),
});
export type Env = Static<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  logLevel: Env['LOG_LEVEL'];
  publicUrl: string;
  trustProxy: boolean;
  dataDir: string;
  database: { url?: string; ownerUrl?: string; replicaUrl?: string; embeddedPort: number; embeddedRuntimeDir: string; poolMax: number };
  storage:
    | { kind: 's3'; endpoint: URL; publicEndpoint?: URL; accessKey: string; secretKey: string; region: string; bucketPrefix: string; partSize: number }
    | { kind: 'local'; dir: string; bucketPrefix: string };
  auth: {
    /** Keycloak or another IdP whose tokens are accepted besides the service's own. */
    external?: { jwksUrl: string; issuer: string; tenantClaim: string; rolesClaim: string; clearanceClaim: string };
    /** `iss` of the tokens this service issues (PUBLIC_URL). */
    issuer: string;
    audience: string;
    algorithms: string[];
    keyFile: string;
    tokenTtl: number;
    clockTolerance: number;
  };
  bodyLimit: number;
  rateLimits: { perMinute: number; tokenPerClientPerMinute: number; tokenPerAddressPerMinute: number; statusPerAddressPerMinute: number };
  online: { statusTokenTtlDays: number; overdueDays: number; overdueCheckSeconds: number; citizenIdp?: { jwksUrl: string; issuer: string; audience: string } };
  /** Where Prometheus scrapes: a separate listener, or the API port with a bearer token. */
  metrics: { host: string; port: number; token?: string };
  /** OpenTelemetry traces: exported over OTLP/HTTP only when `endpoint` is set. */
  telemetry: { endpoint?: string; serviceName: string; samplerRatio: number };
  uploads: { maxBytes: number; staleAfterSeconds: number; sweepIntervalSeconds: number; resumableExpirySeconds: number };
  /** Content downloads answered with a redirect to a presigned storage URL. */
  downloads: { redirect: 'off' | 'auto' | 'always'; redirectMinBytes: number; expirySeconds: number };
  auditAnchors: { intervalSeconds: number; retentionDays: number; mode: 'COMPLIANCE' | 'GOVERNANCE' };
  jobs: {
    inProcess: boolean;
    pollingIntervalSeconds: number;
    catchUpSeconds: number;
    grantExpirySeconds: number;
    retentionScanSeconds: number;
    checkoutExpirySeconds: number;
    eventRetentionDays: number;
  };
  secretsKeyFile: string;
  webhooks: {
    allowHttp: boolean;
    allowedPrivateTargets: string;
    timeoutSeconds: number;
    maxAttempts: number;
    retryDelaySeconds: number;
    disableAfterFailures: number;
    maxPerTenant: number;
    secretGraceHours: number;
    concurrency: number;
  };
  search: {
    statementTimeoutMs: number;
    rankLimit: number;
    textMaxChars: number;
    extractMaxBytes: number;
    extractTimeoutSeconds: number;
    extractMemoryMb: number;
    extractConcurrency: number;
  };
  /** XDOMEA exchange: container limits and the largest message. */
  xdomea: { maxMessageBytes: number; exportRetentionHours: number; zip: { maxEntries: number; maxTotalBytes: number; maxRatio: number; ratioFloorBytes: number } };
  maxEventLoopDelayMs: number;
  shutdownGraceMs: number;
  limits: { headersTimeoutMs: number; requestTimeoutMs: number; connectionIdleTimeoutMs: number; maxHeaders: number; maxQueryParameters: number };
  corsOrigins: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment once and returns the typed configuration; throws ConfigError naming the variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  let env: Env;
  try {
    env = envSchema<Env>({ schema: EnvSchema, data: { ...source }, dotenv: false });
  } catch (err) {
    // ajv says "env/PORT must be integer"; name the variable the way an operator writes it.
    const message = (err as Error).message.replace(/env\/(\w+)/g, '$1');
    throw new ConfigError(`Invalid configuration: ${message}`);
  }
  return toConfig(env);
}

function toConfig(env: Env): Config {
  const dataDir = path.resolve(env.DATA_DIR);
  const bucketPrefix = env.S3_BUCKET_PREFIX;
  let storage: Config['storage'];
  if (env.S3_ENDPOINT) {
    if (!env.S3_ACCESS_KEY || !env.S3_SECRET_KEY) {
      throw new ConfigError('Invalid configuration: S3_ACCESS_KEY and S3_SECRET_KEY are required when S3_ENDPOINT is set');
    }
    storage = {
      kind: 's3',
      endpoint: new URL(env.S3_ENDPOINT),
      publicEndpoint: env.S3_PUBLIC_URL ? new URL(env.S3_PUBLIC_URL) : undefined,
      accessKey: env.S3_ACCESS_KEY,
      secretKey: env.S3_SECRET_KEY,
      region: env.S3_REGION,
      bucketPrefix,
      partSize: env.S3_PART_SIZE,
    };
  } else {
    storage = { kind: 'local', dir: path.resolve(env.STORAGE_DIR ?? path.join(dataDir, 'blobs')), bucketPrefix };
  }
  for (const entry of env.WEBHOOK_ALLOWED_PRIVATE_TARGETS.split(',').map((e) => e.trim()).filter(Boolean)) {
    const valid = entry.includes('/') ? ipaddr.isValidCIDR(entry) : ipaddr.isValid(entry);
    if (!valid) throw new ConfigError(`Invalid configuration: WEBHOOK_ALLOWED_PRIVATE_TARGETS has ${entry}, which is neither an IP address nor a CIDR range`);
  }
  if (env.METRICS_PORT === 0 && !env.METRICS_TOKEN) {
    throw new ConfigError('Invalid configuration: METRICS_TOKEN is required when METRICS_PORT=0 serves /metrics on the API port');
  }
  if (Boolean(env.DATABASE_URL) !== Boolean(env.DATABASE_OWNER_URL)) {
    throw new ConfigError(
      'Invalid configuration: DATABASE_URL (the API login) and DATABASE_OWNER_URL (the schema owner, for migrations) go together; set both, or neither for the embedded PostgreSQL',
    );
  }
  if (env.CITIZEN_IDP_JWKS_URL && !env.CITIZEN_IDP_ISSUER) {
    throw new ConfigError('Invalid configuration: CITIZEN_IDP_ISSUER is required when CITIZEN_IDP_JWKS_URL is set');
  }
  if (env.AUTH_JWKS_URL && !env.AUTH_ISSUER) {
    throw new ConfigError('Invalid configuration: AUTH_ISSUER is required when AUTH_JWKS_URL is set');
  }
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    publicUrl: env.PUBLIC_URL.replace(/\/$/, ''),
    trustProxy: env.TRUST_PROXY,
    dataDir,
    database: { url: env.DATABASE_URL, ownerUrl: env.DATABASE_OWNER_URL, replicaUrl: env.DATABASE_REPLICA_URL, embeddedPort: env.EMBEDDED_PG_PORT, embeddedRuntimeDir: env.EMBEDDED_PG_RUNTIME_DIR, poolMax: env.DB_POOL_MAX },
    storage,
    auth: {
      external: env.AUTH_JWKS_URL
        ? {
            jwksUrl: env.AUTH_JWKS_URL,
            issuer: env.AUTH_ISSUER!,
            tenantClaim: env.AUTH_TENANT_CLAIM,
            rolesClaim: env.AUTH_ROLES_CLAIM,
            clearanceClaim: env.AUTH_CLEARANCE_CLAIM,
          }
        : undefined,
      issuer: env.PUBLIC_URL.replace(/\/$/, ''),
      audience: env.AUTH_AUDIENCE,
      algorithms: env.AUTH_ALGORITHMS.split(','),
      keyFile: path.resolve(env.AUTH_KEY_FILE ?? path.join(dataDir, 'keys', 'signing-key.json')),
      tokenTtl: env.AUTH_TOKEN_TTL,
      clockTolerance: env.AUTH_CLOCK_TOLERANCE,
    },
    bodyLimit: env.BODY_LIMIT,
    rateLimits: {
      perMinute: env.RATE_LIMIT_PER_MINUTE,
      tokenPerClientPerMinute: env.TOKEN_RATE_LIMIT_PER_MINUTE,
      tokenPerAddressPerMinute: env.TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
      statusPerAddressPerMinute: env.STATUS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
    },
    online: {
      statusTokenTtlDays: env.STATUS_TOKEN_TTL_DAYS,
      overdueDays: env.SUBMISSION_OVERDUE_DAYS,
      overdueCheckSeconds: env.SUBMISSION_OVERDUE_CHECK_SECONDS,
      citizenIdp: env.CITIZEN_IDP_JWKS_URL
        ? { jwksUrl: env.CITIZEN_IDP_JWKS_URL, issuer: env.CITIZEN_IDP_ISSUER!, audience: env.CITIZEN_IDP_AUDIENCE }
        : undefined,
    },
    metrics: { host: env.METRICS_HOST, port: env.METRICS_PORT, token: env.METRICS_TOKEN },
    telemetry: { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME, samplerRatio: env.OTEL_TRACES_SAMPLER_ARG },
    uploads: {
      maxBytes: env.MAX_UPLOAD_BYTES,
      staleAfterSeconds: env.UPLOAD_STALE_AFTER_SECONDS,
      sweepIntervalSeconds: env.SWEEP_INTERVAL_SECONDS,
      resumableExpirySeconds: env.RESUMABLE_UPLOAD_EXPIRY_SECONDS,
    },
    downloads: { redirect: env.DOWNLOAD_REDIRECT, redirectMinBytes: env.DOWNLOAD_REDIRECT_MIN_BYTES, expirySeconds: env.DOWNLOAD_REDIRECT_EXPIRY_SECONDS },
    auditAnchors: { intervalSeconds: env.AUDIT_ANCHOR_INTERVAL_SECONDS, retentionDays: env.AUDIT_ANCHOR_RETENTION_DAYS, mode: env.AUDIT_ANCHOR_LOCK_MODE },
    jobs: {
      inProcess: env.WORKER_IN_PROCESS,
      pollingIntervalSeconds: env.JOB_POLL_INTERVAL_SECONDS,
      catchUpSeconds: env.OUTBOX_CATCH_UP_SECONDS,
      grantExpirySeconds: env.GRANT_EXPIRY_INTERVAL_SECONDS,
      retentionScanSeconds: env.RETENTION_SCAN_INTERVAL_SECONDS,
      checkoutExpirySeconds: env.CHECKOUT_EXPIRY_INTERVAL_SECONDS,
      eventRetentionDays: env.EVENT_RETENTION_DAYS,
    },
    secretsKeyFile: path.resolve(env.SECRETS_KEY_FILE ?? path.join(dataDir, 'keys', 'secrets.key')),
    webhooks: {
      allowHttp: env.WEBHOOK_ALLOW_HTTP ?? env.NODE_ENV === 'development',
      allowedPrivateTargets: env.WEBHOOK_ALLOWED_PRIVATE_TARGETS,
      timeoutSeconds: env.WEBHOOK_TIMEOUT_SECONDS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      retryDelaySeconds: env.WEBHOOK_RETRY_DELAY_SECONDS,
      disableAfterFailures: env.WEBHOOK_DISABLE_AFTER_FAILURES,
      maxPerTenant: env.WEBHOOK_MAX_PER_TENANT,
      secretGraceHours: env.WEBHOOK_SECRET_GRACE_HOURS,
      concurrency: env.WEBHOOK_CONCURRENCY,
    },
    search: {
      statementTimeoutMs: env.SEARCH_STATEMENT_TIMEOUT_MS,
      rankLimit: env.SEARCH_RANK_LIMIT,
      textMaxChars: env.SEARCH_TEXT_MAX_CHARS,
      extractMaxBytes: env.SEARCH_EXTRACT_MAX_BYTES,
      extractTimeoutSeconds: env.SEARCH_EXTRACT_TIMEOUT_SECONDS,
      extractMemoryMb: env.SEARCH_EXTRACT_MEMORY_MB,
      extractConcurrency: env.SEARCH_EXTRACT_CONCURRENCY,
    },
    xdomea: {
      maxMessageBytes: env.XDOMEA_MAX_MESSAGE_BYTES,
      exportRetentionHours: env.XDOMEA_EXPORT_RETENTION_HOURS,
      zip: { maxEntries: env.XDOMEA_ZIP_MAX_ENTRIES, maxTotalBytes: env.XDOMEA_ZIP_MAX_UNPACKED_BYTES, maxRatio: env.XDOMEA_ZIP_MAX_RATIO, ratioFloorBytes: env.XDOMEA_ZIP_RATIO_FLOOR_BYTES },
    },
    maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS,
    limits: {
      headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      connectionIdleTimeoutMs: env.CONNECTION_IDLE_TIMEOUT_MS,
      maxHeaders: env.MAX_HEADERS,
      maxQueryParameters: env.MAX_QUERY_PARAMETERS,
    },
    corsOrigins: env.CORS_ORIGINS ? env.CORS_ORIGINS.split(',') : [],
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  };
}
