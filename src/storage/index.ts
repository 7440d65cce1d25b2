import type { Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { createLocalBlobStore } from './local.js';
import { createMinioBlobStore } from './minio.js';

export * from './blob-store.js';

/** MinIO when S3_ENDPOINT is set, the local-disk store otherwise. */
export function createBlobStore(storage: Config['storage']): BlobStore {
  return storage.kind === 's3' ? createMinioBlobStore(storage) : createLocalBlobStore(storage);
}
