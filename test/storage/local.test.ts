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

it('local disk writes the metadata before the object: a put that crashed in between leaves no object, and the key can be written', async () => {
  const { readdir, writeFile, mkdir } = await import('node:fs/promises');
  const { Readable } = await import('node:stream');
  const store = createLocalBlobStore({ dir, bucketPrefix: 'en-akte-' });
  await store.ensureBucket('witten');
  const key = `crash/${Date.now()}`;
  // What a put leaves when it dies after linking the metadata and before linking the object.
  const file = path.join(dir, 'en-akte-witten', key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.meta.json`, JSON.stringify({ contentType: 'text/plain', retention: { mode: 'COMPLIANCE', until: '2099-01-01T00:00:00.000Z' } }));
  expect(await store.head('witten', key)).toBeNull();
  await expect(store.lock('witten', key, { mode: 'COMPLIANCE', until: new Date('2099-01-01') })).rejects.toThrow(/No object/);
  const until = new Date(Date.now() + 3_600_000);
  await store.put('witten', key, Readable.from([Buffer.from('Inhalt')]), { contentType: 'application/pdf', retention: { mode: 'GOVERNANCE', until } });
  expect(await store.head('witten', key)).toMatchObject({ size: 6, contentType: 'application/pdf' });
  // A second put of the key fails and leaves the first object's metadata (its retention) alone.
  await expect(store.put('witten', key, Readable.from([Buffer.from('Anders')]), { contentType: 'text/plain' })).rejects.toThrow();
  expect(await store.head('witten', key)).toMatchObject({ size: 6, contentType: 'application/pdf' });
  await expect(store.delete('witten', key)).rejects.toThrow();
  expect(await readdir(path.join(dir, 'en-akte-witten', '.incoming'))).toEqual([]);
});
