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
  /** Streams `body` into storage while hashing; memory stays bounded by the part size. */
  put(tenant: string, key: string, body: AsyncIterable<Uint8Array>, opts: PutOptions): Promise<PutResult>;
  /** Streams an object, or the inclusive byte range of it. Throws BlobNotFoundError. */
  get(tenant: string, key: string, range?: ByteRange): Promise<Readable>;
  head(tenant: string, key: string): Promise<BlobInfo | null>;
  /** Removes the object and (MinIO) all its versions. Idempotent. */
  delete(tenant: string, key: string): Promise<void>;
  /** Lists objects under a prefix, for the sweeper and the sanity checker. */
  list(tenant: string, prefix?: string): AsyncIterable<BlobListing>;
  /** A time-limited URL that downloads the object without a token; null when the adapter has none. */
  presignGet(tenant: string, key: string, expiresSeconds: number, downloadName?: string): Promise<string | null>;
  /** Throws when storage is unreachable (readiness). */
  ping(): Promise<void>;
}

export interface PutOptions {
  contentType: string;
  /** Stop and fail with BlobTooLargeError beyond this many bytes. */
  maxBytes?: number;
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
