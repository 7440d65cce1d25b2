import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client, S3Error } from 'minio';
import {
  assertValidKey,
  assertValidTenant,
  BlobExistsError,
  BlobLockedError,
  BlobNotFoundError,
  BlobTooLargeError,
  type BlobInfo,
  type BlobListing,
  type BlobStore,
  type ByteRange,
  type Protection,
  type PutOptions,
  type PutResult,
  type Retention,
} from './blob-store.js';

export interface MinioStoreOptions {
  endpoint: URL;
  accessKey: string;
  secretKey: string;
  region: string;
  bucketPrefix: string;
  /** The endpoint as clients reach it: the host presigned URLs name (default `endpoint`). */
  publicEndpoint?: URL;
  /** Bytes per multipart part. At most two parts are in memory per upload (one filling, one sending). */
  partSize: number;
}

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchVersion']);

function isNotFound(err: unknown): boolean {
  return err instanceof S3Error && NOT_FOUND_CODES.has(String(err.code));
}

/** MinIO's refusal to remove a protected version ("Object, or version is WORM protected and cannot be overwritten"). */
const isWormRefusal = (err: unknown) => err instanceof S3Error && (String(err.code) === 'AccessDenied' || /WORM|retention|legal hold/i.test(err.message));

/**
 * MinIO / S3 adapter.
 *
 * Uploads use our own multipart loop instead of minio-js' `putObject` stream path: that path
 * hangs when the source stream errors (a client aborting mid-upload) and never aborts the
 * multipart upload it started. Ours keeps exactly two part buffers (double buffering: one part is
 * sent while the next fills), hashes every byte on the way, and aborts the multipart upload on any
 * failure so MinIO keeps no parts behind.
 */
export function createMinioBlobStore(opts: MinioStoreOptions): BlobStore {
  const client = new Client({
    endPoint: opts.endpoint.hostname,
    port: opts.endpoint.port ? Number(opts.endpoint.port) : undefined,
    useSSL: opts.endpoint.protocol === 'https:',
    accessKey: opts.accessKey,
    secretKey: opts.secretKey,
    region: opts.region,
    partSize: opts.partSize,
  });
  // The signature covers the host, so URLs for clients are signed by a client that names their host.
  // With the region given, presigning is pure computation: this client never opens a connection.
  const pub = opts.publicEndpoint ?? opts.endpoint;
  const presigner = opts.publicEndpoint
    ? new Client({
        endPoint: pub.hostname,
        port: pub.port ? Number(pub.port) : undefined,
        useSSL: pub.protocol === 'https:',
        accessKey: opts.accessKey,
        secretKey: opts.secretKey,
        region: opts.region,
      })
    : client;
  const bucketFor = (tenant: string) => {
    assertValidTenant(tenant);
    return `${opts.bucketPrefix}${tenant}`;
  };
  const ensured = new Set<string>();

  async function exists(bucket: string, key: string): Promise<boolean> {
    try {
      await client.statObject(bucket, key);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  // minio-js types versionId as required; without it the retention applies to the latest version.
  const setRetention = (bucket: string, key: string, r: Retention) =>
    client.putObjectRetention(bucket, key, { mode: r.mode, retainUntilDate: r.until.toISOString() } as unknown as Parameters<Client['putObjectRetention']>[2]);

  async function putMultipart(
    bucket: string,
    key: string,
    body: AsyncIterable<Uint8Array>,
    putOpts: PutOptions,
  ): Promise<PutResult> {
    const hash = createHash('sha256');
    const partSize = opts.partSize;
    // Until a whole part has arrived, the chunks are only kept (no copy, no part buffers): most
    // contents are smaller than a part and go up in one PUT. The two part buffers are allocated
    // only once the content is larger than that.
    let small: Buffer[] | undefined = [];
    let smallBytes = 0;
    let buffers: Buffer[] = [];
    let current = 0; // index into buffers
    let filled = 0;
    let size = 0;
    let uploadId: string | undefined;
    const etags: { part: number; etag: string }[] = [];
    let inFlight: Promise<void> | undefined;
    let failure: unknown;

    const sendPart = async (buf: Buffer) => {
      if (!uploadId) {
        // Keys are written once: a multipart upload to an existing key is refused before it starts.
        if (await exists(bucket, key)) throw new BlobExistsError(bucket, key);
        uploadId = await client.initiateNewMultipartUpload(bucket, key, { 'Content-Type': putOpts.contentType });
      }
      const part = etags.length + 1;
      etags.push({ part, etag: '' });
      const res = await client.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} },
        buf,
      );
      etags[part - 1] = { part, etag: res.etag };
    };
    const dispatch = async (buf: Buffer) => {
      if (inFlight) await inFlight;
      if (failure) throw failure;
      inFlight = sendPart(buf).catch((err: unknown) => {
        failure = err;
      });
    };

    /** Copies a chunk into the part buffers, sending each part as it fills. */
    const fill = async (chunk: Buffer) => {
      let offset = 0;
      while (offset < chunk.length) {
        const buf = buffers[current]!;
        const n = Math.min(partSize - filled, chunk.length - offset);
        chunk.copy(buf, filled, offset, offset + n);
        filled += n;
        offset += n;
        if (filled === partSize) {
          await dispatch(buf);
          current = 1 - current;
          filled = 0;
        }
      }
    };

    try {
      for await (const raw of body) {
        if (failure) throw failure;
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        size += chunk.length;
        if (putOpts.maxBytes !== undefined && size > putOpts.maxBytes) throw new BlobTooLargeError(putOpts.maxBytes);
        hash.update(chunk);
        if (small) {
          small.push(chunk);
          smallBytes += chunk.length;
          if (smallBytes < partSize) continue;
          // A whole part has arrived: from here on, multipart through the two part buffers.
          const kept = small;
          small = undefined;
          buffers = [Buffer.allocUnsafe(partSize), Buffer.allocUnsafe(partSize)];
          for (const c of kept) await fill(c);
          continue;
        }
        await fill(chunk);
      }
      if (small) {
        // Everything fitted in one part: a single PUT is cheaper than a multipart upload. If-None-Match
        // makes it fail when the key exists (conditional write): keys are written once.
        const content = small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes);
        small = undefined;
        try {
          await client.putObject(bucket, key, content, smallBytes, {
            'Content-Type': putOpts.contentType,
            'If-None-Match': '*',
          });
        } catch (err) {
          if (err instanceof S3Error && String(err.code) === 'PreconditionFailed') throw new BlobExistsError(bucket, key);
          throw err;
        }
      } else {
        if (filled > 0) await dispatch(buffers[current]!.subarray(0, filled));
        await inFlight;
        if (failure) throw failure;
        await client.completeMultipartUpload(bucket, key, uploadId!, etags);
      }
      if (putOpts.retention) await setRetention(bucket, key, putOpts.retention);
      return { size, sha256: hash.digest('hex') };
    } catch (err) {
      await inFlight?.catch(() => undefined);
      if (uploadId) await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
      throw err;
    }
  }

  return {
    kind: 's3',
    bucketFor,

    async ensureBucket(tenant) {
      const bucket = bucketFor(tenant);
      if (ensured.has(bucket)) return;
      if (!(await client.bucketExists(bucket))) {
        try {
          // Object lock can only be switched on when a bucket is created; it implies versioning.
          await client.makeBucket(bucket, opts.region, { ObjectLocking: true });
        } catch (err) {
          if (!(err instanceof S3Error && (err.code === 'BucketAlreadyOwnedByYou' || err.code === 'BucketAlreadyExists'))) {
            throw err;
          }
        }
      }
      const versioning = (await client.getBucketVersioning(bucket)) as { Status?: string } | undefined;
      if (versioning?.Status !== 'Enabled') {
        await client.setBucketVersioning(bucket, { Status: 'Enabled' });
      }
      ensured.add(bucket);
    },

    async put(tenant, key, body, putOpts) {
      assertValidKey(key);
      return putMultipart(bucketFor(tenant), key, body, putOpts);
    },

    async get(tenant, key, range?: ByteRange): Promise<Readable> {
      assertValidKey(key);
      const bucket = bucketFor(tenant);
      try {
        if (range) return await client.getPartialObject(bucket, key, range.start, range.end - range.start + 1);
        return await client.getObject(bucket, key);
      } catch (err) {
        if (isNotFound(err)) throw new BlobNotFoundError(bucket, key);
        throw err;
      }
    },

    async head(tenant, key): Promise<BlobInfo | null> {
      assertValidKey(key);
      try {
        const st = await client.statObject(bucketFor(tenant), key);
        const contentType = String(st.metaData['content-type'] ?? 'application/octet-stream');
        return { size: st.size, contentType, lastModified: st.lastModified };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },

    async delete(tenant, key, opts = {}) {
      assertValidKey(key);
      const bucket = bucketFor(tenant);
      // In a versioned bucket a plain delete only adds a delete marker; remove every version.
      const versions: string[] = [];
      try {
        const stream = client.listObjects(bucket, key, false, { IncludeVersion: true });
        for await (const item of stream as AsyncIterable<{ name?: string; versionId?: string | null }>) {
          if (item.name === key) versions.push(item.versionId ?? 'null');
        }
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      for (const versionId of versions) {
        try {
          await client.removeObject(bucket, key, { versionId, governanceBypass: opts.bypassGovernance === true });
        } catch (err) {
          if (isWormRefusal(err)) {
            const p = await this.protection(tenant, key).catch(() => null);
            throw new BlobLockedError(key, p?.legalHold ? 'it is under a legal hold' : p?.retention ? `${p.retention.mode} retention until ${p.retention.until.toISOString()}` : (err as Error).message);
          }
          throw err;
        }
      }
      // The parts of a multipart upload whose process died half-way (SIGKILL) are no object, yet
      // they take space until aborted: removing a key removes them too (test/faults).
      if (versions.length === 0) {
        try {
          await client.removeIncompleteUpload(bucket, key);
        } catch (err) {
          // NoSuchUpload: aborted meanwhile (or listed by MinIO after its own clean-up).
          if (!isNotFound(err) && !(err instanceof S3Error && String(err.code) === 'NoSuchUpload')) throw err;
        }
      }
    },

    async lock(tenant, key, retention) {
      assertValidKey(key);
      try {
        await setRetention(bucketFor(tenant), key, retention);
      } catch (err) {
        if (isNotFound(err)) throw new BlobNotFoundError(bucketFor(tenant), key);
        if (isWormRefusal(err)) throw new BlobLockedError(key, (err as Error).message);
        throw err;
      }
    },

    async legalHold(tenant, key, on) {
      assertValidKey(key);
      try {
        await client.setObjectLegalHold(bucketFor(tenant), key, { status: (on ? 'ON' : 'OFF') as never });
      } catch (err) {
        if (isNotFound(err)) throw new BlobNotFoundError(bucketFor(tenant), key);
        throw err;
      }
    },

    async protection(tenant, key): Promise<Protection | null> {
      assertValidKey(key);
      const bucket = bucketFor(tenant);
      if (!(await exists(bucket, key))) return null;
      const none = (err: unknown) => {
        if (err instanceof S3Error && /NoSuchObjectLockConfiguration|ObjectLockConfigurationNotFound/.test(String(err.code))) return null;
        throw err;
      };
      const [retention, hold] = await Promise.all([
        client.getObjectRetention(bucket, key).catch(none) as Promise<{ mode?: string; retainUntilDate?: string } | null>,
        client.getObjectLegalHold(bucket, key).catch(none) as Promise<string | { Status?: string } | null>,
      ]);
      const holdStatus = typeof hold === 'string' ? hold : hold?.Status;
      return {
        retention: retention?.mode && retention.retainUntilDate ? { mode: retention.mode as Retention['mode'], until: new Date(retention.retainUntilDate) } : null,
        legalHold: holdStatus === 'ON',
      };
    },

    async *list(tenant, prefix = ''): AsyncIterable<BlobListing> {
      const stream = client.listObjectsV2(bucketFor(tenant), prefix, true);
      try {
        for await (const item of stream as AsyncIterable<{ name?: string; size: number; lastModified: Date }>) {
          if (item.name) yield { key: item.name, size: item.size, lastModified: item.lastModified };
        }
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    },

    async presignGet(tenant, key, expiresSeconds, response) {
      assertValidKey(key);
      const headers: Record<string, string> = {};
      const r = typeof response === 'string' ? { contentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(response)}` } : (response ?? {});
      if (r.contentDisposition) headers['response-content-disposition'] = r.contentDisposition;
      if (r.contentType) headers['response-content-type'] = r.contentType;
      if (r.cacheControl) headers['response-cache-control'] = r.cacheControl;
      return presigner.presignedGetObject(bucketFor(tenant), key, expiresSeconds, headers);
    },

    async ping() {
      await client.listBuckets();
    },
  };
}
