import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { uuidv7 } from 'uuidv7';
import { describe, expect, inject, it } from 'vitest';
import { createMinioBlobStore } from '../../src/storage/minio.js';
import { blobStoreContract } from './contract.js';

const MiB = 1024 * 1024;
const s3 = inject('s3');
const options = {
  endpoint: new URL(s3.endpoint),
  accessKey: s3.accessKey,
  secretKey: s3.secretKey,
  region: 'us-east-1',
  bucketPrefix: 'contract-',
  partSize: 5 * MiB,
};

blobStoreContract('MinIO', () => createMinioBlobStore(options), options.partSize);

describe('MinIO buckets', () => {
  const raw = new Client({
    endPoint: options.endpoint.hostname,
    port: Number(options.endpoint.port),
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
  });

  it('are created with object lock (and so versioning) enabled', async () => {
    const store = createMinioBlobStore(options);
    await store.ensureBucket('schwelm');
    const lock = (await raw.getObjectLockConfig('contract-schwelm')) as unknown as { objectLockEnabled: string };
    expect(lock.objectLockEnabled).toBe('Enabled');
    expect(await raw.getBucketVersioning('contract-schwelm')).toMatchObject({ Status: 'Enabled' });
  });

  it('abort leaves no incomplete multipart upload behind', async () => {
    const store = createMinioBlobStore(options);
    await store.ensureBucket('witten');
    const key = `abort/${uuidv7()}`;
    const failing = async function* () {
      yield randomBytes(options.partSize * 2 + 10);
      throw new Error('aborted');
    };
    await expect(store.put('witten', key, failing(), { contentType: 'text/plain' })).rejects.toThrow('aborted');
    const incomplete: unknown[] = [];
    for await (const u of raw.listIncompleteUploads('contract-witten', key, true)) incomplete.push(u);
    expect(incomplete).toEqual([]);
  });

  it('presigns a GET that downloads the object without credentials', async () => {
    const store = createMinioBlobStore(options);
    await store.ensureBucket('witten');
    const key = `presign/${uuidv7()}`;
    await store.put('witten', key, Readable.from([Buffer.from('Bescheid')]), { contentType: 'text/plain' });
    const url = await store.presignGet('witten', key, 60, 'Bescheid Müller.txt');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/contract-witten\/presign\//);
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Bescheid');
    expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''Bescheid%20M%C3%BCller.txt");
  });
});
