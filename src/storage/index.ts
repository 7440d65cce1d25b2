import type { Config } from '../config.js';
import { noTelemetry, type Telemetry } from '../telemetry/index.js';
import type { BlobStore } from './blob-store.js';
import { createLocalBlobStore } from './local.js';
import { createMinioBlobStore } from './minio.js';
import { traceBlobStore } from './traced.js';

export * from './blob-store.js';

/** MinIO when S3_ENDPOINT is set, the local-disk store otherwise; with tracing on, a span per operation. */
export function createBlobStore(storage: Config['storage'], telemetry: Telemetry = noTelemetry): BlobStore {
  const store = storage.kind === 's3' ? createMinioBlobStore(storage) : createLocalBlobStore(storage);
  return telemetry.enabled ? traceBlobStore(store, telemetry) : store;
}
