import { finished, type Readable } from 'node:stream';
import { context, SpanKind, trace, type Attributes, type Span } from '@opentelemetry/api';
import { ATTR, failSpan, inSpan, type Telemetry } from '../telemetry/index.js';
import type { BlobStore } from './blob-store.js';

/**
 * The blob store with a span per operation that reaches storage (a child of the span it runs in):
 * the tenant's bucket and the key (`aws.s3.bucket`, `aws.s3.key` for MinIO / S3; the same names
 * under `en_akte.storage.` for the local store), the operation and its outcome. A download's span
 * lasts until its stream has been read to the end (or given up); a listing's until it is exhausted.
 * Presigning is pure computation and `bucketFor` a name: neither gets a span.
 */
export function traceBlobStore(store: BlobStore, telemetry: Telemetry): BlobStore {
  const { tracer } = telemetry;
  const names = store.kind === 's3' ? { bucket: 'aws.s3.bucket', key: 'aws.s3.key' } : { bucket: 'en_akte.storage.bucket', key: 'en_akte.storage.key' };
  const attributes = (operation: string, tenant: string, key?: string): Attributes => ({
    [ATTR.storageKind]: store.kind,
    [ATTR.storageOperation]: operation,
    [names.bucket]: store.bucketFor(tenant),
    ...(key === undefined ? {} : { [names.key]: key }),
  });
  const span = <T>(operation: string, tenant: string | null, key: string | undefined, fn: (span: Span | undefined) => Promise<T>) =>
    inSpan(telemetry, `storage ${operation}`, { kind: SpanKind.CLIENT, attributes: tenant === null ? { [ATTR.storageKind]: store.kind, [ATTR.storageOperation]: operation } : attributes(operation, tenant, key) }, fn);

  return {
    kind: store.kind,
    bucketFor: (tenant) => store.bucketFor(tenant),
    ensureBucket: (tenant) => span('ensureBucket', tenant, undefined, () => store.ensureBucket(tenant)),
    put: (tenant, key, body, opts) =>
      span('put', tenant, key, async (s) => {
        const result = await store.put(tenant, key, body, opts);
        s?.setAttribute('en_akte.storage.size', result.size);
        return result;
      }),
    async get(tenant, key, range) {
      const s = tracer.startSpan('storage get', { kind: SpanKind.CLIENT, attributes: { ...attributes('get', tenant, key), ...(range ? { 'en_akte.storage.range': `${range.start}-${range.end}` } : {}) } });
      let stream: Readable;
      try {
        stream = await context.with(trace.setSpan(context.active(), s), () => store.get(tenant, key, range));
      } catch (err) {
        failSpan(s, err);
        s.end();
        throw err;
      }
      finished(stream, (err) => {
        // A reader that stops early (a client that went away) is no storage failure.
        if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') failSpan(s, err);
        s.end();
      });
      return stream;
    },
    head: (tenant, key) => span('head', tenant, key, () => store.head(tenant, key)),
    delete: (tenant, key, opts) => span('delete', tenant, key, () => store.delete(tenant, key, opts)),
    lock: (tenant, key, retention) => span('lock', tenant, key, () => store.lock(tenant, key, retention)),
    legalHold: (tenant, key, on) => span('legalHold', tenant, key, () => store.legalHold(tenant, key, on)),
    protection: (tenant, key) => span('protection', tenant, key, () => store.protection(tenant, key)),
    async *list(tenant, prefix) {
      const s = tracer.startSpan('storage list', { kind: SpanKind.CLIENT, attributes: { ...attributes('list', tenant), ...(prefix ? { 'en_akte.storage.prefix': prefix } : {}) } });
      try {
        yield* store.list(tenant, prefix);
      } catch (err) {
        failSpan(s, err);
        throw err;
      } finally {
        s.end();
      }
    },
    presignGet: (tenant, key, expiresSeconds, response) => store.presignGet(tenant, key, expiresSeconds, response),
    ping: () => span('ping', null, undefined, () => store.ping()),
  };
}
