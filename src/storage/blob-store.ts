import type { Readable } from 'node:stream';

/**
 * The storage port. Services talk to this, never to `minio` or `fs` directly. Objects live in one
 * bucket per tenant; keys are chosen by EN-Akte (UUID-based), never by clients.
 * Adapters: src/storage/minio.ts (production) and src/storage/local.ts (embedded default). Both
 * pass test/storage/contract.ts.
 */
export interface BlobStore {
  readonly kind: 's3' | 'local';
  /** Bucket (or directory) name of a tenant. */
  bucketFor(tenant: string): string;
  /** Creates the tenant's bucket if missing (MinIO: with versioning and object lock). Idempotent. */
  ensureBucket(tenant: string): Promise<void>;
  /**
   * Streams `body` into storage while hashing; memory stays bounded by the part size. Keys are
   * write-once: a key that exists already fails with BlobExistsError, so nothing stored is ever
   * replaced. With `retention` the object is locked from the moment it is written.
   */
  put(tenant: string, key: string, body: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<PutResult>;
  /** Streams an object, or the inclusive byte range of it. Throws BlobNotFoundError. */
  get(tenant: string, key: string, range?: ByteRange): Promise<Readable>;
  head(tenant: string, key: string): Promise<BlobInfo | null>;
  /**
   * Removes the object and (MinIO) all its versions. Idempotent. A locked object (retention not
   * yet over, or a legal hold) fails with BlobLockedError; GOVERNANCE retention gives way to
   * `bypassGovernance`, COMPLIANCE and legal holds never do.
   */
  delete(tenant: string, key: string, opts?: { bypassGovernance?: boolean }): Promise<void>;
  /** Sets or extends an object's retention (WORM): until `until` it can be neither deleted nor replaced. */
  lock(tenant: string, key: string, retention: Retention): Promise<void>;
  /** Puts or lifts a legal hold: while it is on, the object cannot be deleted, whatever its retention. */
  legalHold(tenant: string, key: string, on: boolean): Promise<void>;
  /** The object's retention and legal hold; null when there is no such object. */
  protection(tenant: string, key: string): Promise<Protection | null>;
  /** Lists objects under a prefix, for the sweeper and the sanity checker. */
  list(tenant: string, prefix?: string): AsyncIterable<BlobListing>;
  /**
   * A time-limited URL that downloads the object without a token; null when the adapter has none.
   * `response` sets the headers storage answers with (a download name, or the exact header values).
   */
  presignGet(tenant: string, key: string, expiresSeconds: number, response?: string | PresignedResponse): Promise<string | null>;
  /** Throws when storage is unreachable (readiness). */
  ping(): Promise<void>;
}

/** Headers a presigned download is answered with (S3 `response-*` overrides). */
export interface PresignedResponse {
  contentDisposition?: string;
  contentType?: string;
  cacheControl?: string;
}

export interface PutOptions {
  contentType: string;
  /** Stop and fail with BlobTooLargeError beyond this many bytes. */
  maxBytes?: number;
  /** Lock the object as it is written. */
  retention?: Retention;
}

/**
 * S3 object-lock modes: GOVERNANCE can be lifted by a user with the bypass permission,
 * COMPLIANCE by nobody, not even the storage's root user, before `until`.
 */
export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface Retention {
  mode: LockMode;
  until: Date;
}

export interface Protection {
  retention: Retention | null;
  legalHold: boolean;
}

export interface PutResult {
  size: number;
  /** Lower-case hex SHA-256 of the stored bytes. */
  sha256: string;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobInfo {
  size: number;
  contentType: string;
  lastModified: Date;
}

export interface BlobListing {
  key: string;
  size: number;
  lastModified: Date;
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  constructor(readonly bucket: string, readonly key: string) {
    super(`No object ${key} in ${bucket}`);
  }
}

export class BlobExistsError extends Error {
  override name = 'BlobExistsError';
  constructor(readonly bucket: string, readonly key: string) {
    super(`${key} exists in ${bucket}; keys are written once`);
  }
}

export class BlobLockedError extends Error {
  override name = 'BlobLockedError';
  constructor(readonly key: string, readonly reason: string) {
    super(`${key} is locked: ${reason}`);
  }
}

/** Why an object with this protection may not be deleted now, or null when it may. */
export function lockedBecause(p: Protection, opts: { bypassGovernance?: boolean } = {}, now = new Date()): string | null {
  if (p.legalHold) return 'it is under a legal hold';
  if (p.retention && p.retention.until > now) {
    if (p.retention.mode === 'COMPLIANCE') return `COMPLIANCE retention until ${p.retention.until.toISOString()}`;
    if (!opts.bypassGovernance) return `GOVERNANCE retention until ${p.retention.until.toISOString()}`;
  }
  return null;
}

export class BlobTooLargeError extends Error {
  override name = 'BlobTooLargeError';
  constructor(readonly limit: number) {
    super(`Object exceeds ${limit} bytes`);
  }
}

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Keys are ours, but a defect must never turn into a path outside the store. */
export function assertValidKey(key: string): void {
  if (key.length > 512 || !KEY_PATTERN.test(key) || key.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`Invalid object key: ${JSON.stringify(key)}`);
  }
}

const TENANT_PATTERN = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

export function assertValidTenant(tenant: string): void {
  if (!TENANT_PATTERN.test(tenant)) throw new Error(`Invalid tenant slug for storage: ${JSON.stringify(tenant)}`);
}
