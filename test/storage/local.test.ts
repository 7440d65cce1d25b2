import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createLocalBlobStore } from '../../src/storage/local.js';
import { blobStoreContract } from './contract.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'en-akte-blobs-'));
blobStoreContract('local disk', () => createLocalBlobStore({ dir, bucketPrefix: 'en-akte-' }));

it('local disk has no presigned URLs (downloads go through the API)', async () => {
  const store = createLocalBlobStore({ dir, bucketPrefix: 'en-akte-' });
  expect(await store.presignGet('witten', 'x', 60)).toBeNull();
});
