import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text, buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';
import { describe, expect, it } from 'vitest';
import { BlobExistsError, BlobLockedError, BlobNotFoundError, BlobTooLargeError, type BlobStore } from '../../src/storage/blob-store.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Yields `data` in chunks of random size, as a network socket would. */
async function* chunked(data: Buffer, maxChunk = 64 * 1024): AsyncIterable<Buffer> {
  let offset = 0;
  while (offset < data.length) {
    const n = Math.max(1, Math.floor(Math.random() * maxChunk));
    yield data.subarray(offset, offset + n);
    offset += n;
  }
}

/**
 * The expectations every BlobStore adapter meets. `partSize` is the adapter's multipart threshold
 * (0 when it has none), so uploads on both sides of it are exercised.
 */
export function blobStoreContract(name: string, make: () => BlobStore, partSize = 0) {
  describe(`BlobStore contract: ${name}`, () => {
    const tenant = 'witten';
    const other = 'hattingen';
    const store = make();

    it('creates tenant buckets idempotently', async () => {
      await store.ensureBucket(tenant);
      await store.ensureBucket(tenant);
      await store.ensureBucket(other);
      expect(store.bucketFor(tenant)).not.toBe(store.bucketFor(other));
    });

    it('stores a streamed object and reports its exact size and SHA-256', async () => {
      const data = randomBytes(300_001);
      const key = `test/${uuidv7()}`;
      const result = await store.put(tenant, key, chunked(data), { contentType: 'application/pdf' });
      expect(result).toEqual({ size: data.length, sha256: sha256(data) });
      expect(await buffer(await store.get(tenant, key))).toEqual(data);
      const info = await store.head(tenant, key);
      expect(info?.size).toBe(data.length);
      expect(info?.contentType).toBe('application/pdf');
    });

    it('stores an empty object', async () => {
      const key = `test/${uuidv7()}`;
      const result = await store.put(tenant, key, chunked(Buffer.alloc(0)), { contentType: 'text/plain' });
      expect(result).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(await text(await store.get(tenant, key))).toBe('');
    });

    if (partSize > 0) {
      it('stores objects around the multipart part size byte-exactly', async () => {
        for (const size of [partSize - 1, partSize, partSize + 1, 2 * partSize + 12345]) {
          const data = randomBytes(size);
          const key = `test/${uuidv7()}`;
          const result = await store.put(tenant, key, chunked(data, 1024 * 1024), { contentType: 'application/octet-stream' });
          expect(result).toEqual({ size, sha256: sha256(data) });
          const back = await buffer(await store.get(tenant, key));
          expect(back.length).toBe(size);
          expect(sha256(back)).toBe(result.sha256);
        }
      });
    }

    it('returns exactly the requested inclusive byte range (property)', async () => {
      const data = randomBytes(50_000);
      const key = `test/${uuidv7()}`;
      await store.put(tenant, key, chunked(data), { contentType: 'application/octet-stream' });
      await fc.assert(
        fc.asyncProperty(fc.nat(data.length - 1), fc.nat(data.length - 1), async (a, b) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          const got = await buffer(await store.get(tenant, key, { start, end }));
          expect(got).toEqual(data.subarray(start, end + 1));
        }),
        { numRuns: 25 },
      );
    });

    it('keeps tenants apart: a key of one tenant is not found in another', async () => {
      const key = `test/${uuidv7()}`;
      await store.put(tenant, key, chunked(Buffer.from('only witten')), { contentType: 'text/plain' });
      await expect(store.get(other, key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.head(other, key)).toBeNull();
    });

    it('reports missing objects as BlobNotFoundError / null', async () => {
      const key = `test/${uuidv7()}`;
      await expect(store.get(tenant, key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.head(tenant, key)).toBeNull();
    });

    it('deletes objects idempotently', async () => {
      const key = `test/${uuidv7()}`;
      await store.put(tenant, key, chunked(Buffer.from('bye')), { contentType: 'text/plain' });
      await store.delete(tenant, key);
      await store.delete(tenant, key);
      expect(await store.head(tenant, key)).toBeNull();
    });

    it('lists objects under a prefix', async () => {
      const prefix = `list-${uuidv7()}/`;
      const keys = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
      for (const k of keys) await store.put(tenant, k, chunked(Buffer.from(k)), { contentType: 'text/plain' });
      const listed: string[] = [];
      for await (const item of store.list(tenant, prefix)) listed.push(item.key);
      expect(listed.sort()).toEqual(keys);
    });

    it('stops at maxBytes and leaves no object behind', async () => {
      const key = `test/${uuidv7()}`;
      const data = randomBytes(Math.max(10_000, partSize + 1000));
      await expect(
        store.put(tenant, key, chunked(data), { contentType: 'text/plain', maxBytes: data.length - 1 }),
      ).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await store.head(tenant, key)).toBeNull();
    });

    it('leaves no object behind when the source stream fails midway', async () => {
      const key = `test/${uuidv7()}`;
      const failing = async function* () {
        yield randomBytes(Math.max(1000, partSize + 500));
        throw new Error('client went away');
      };
      await expect(store.put(tenant, key, failing(), { contentType: 'text/plain' })).rejects.toThrow('client went away');
      expect(await store.head(tenant, key)).toBeNull();
      const listed: string[] = [];
      for await (const item of store.list(tenant, key)) listed.push(item.key);
      expect(listed).toEqual([]);
    });

    it('accepts a Node Readable as the body', async () => {
      const key = `test/${uuidv7()}`;
      const result = await store.put(tenant, key, Readable.from([Buffer.from('ab'), Buffer.from('cd')]), {
        contentType: 'text/plain',
      });
      expect(result.size).toBe(4);
      expect(await text(await store.get(tenant, key))).toBe('abcd');
    });

    it('writes a key once: a second put to it fails and the first content stays', async () => {
      for (const size of [10, Math.max(20, partSize + 100)]) {
        const key = `once/${uuidv7()}`;
        const first = randomBytes(size);
        await store.put(tenant, key, chunked(first), { contentType: 'application/octet-stream' });
        await expect(store.put(tenant, key, chunked(randomBytes(size)), { contentType: 'text/plain' })).rejects.toBeInstanceOf(BlobExistsError);
        expect(sha256(await buffer(await store.get(tenant, key)))).toBe(sha256(first));
      }
    });

    const inADay = () => new Date(Date.now() + 86_400_000);

    it('a COMPLIANCE-locked object cannot be deleted, not even with the governance bypass, nor its lock shortened', async () => {
      const key = `worm/${uuidv7()}`;
      const until = inADay();
      await store.put(tenant, key, chunked(Buffer.from('revisionssicher')), { contentType: 'text/plain', retention: { mode: 'COMPLIANCE', until } });
      const p = await store.protection(tenant, key);
      expect(p?.retention?.mode).toBe('COMPLIANCE');
      expect(Math.abs(p!.retention!.until.getTime() - until.getTime())).toBeLessThan(1000);
      expect(p?.legalHold).toBe(false);
      await expect(store.delete(tenant, key)).rejects.toBeInstanceOf(BlobLockedError);
      await expect(store.delete(tenant, key, { bypassGovernance: true })).rejects.toBeInstanceOf(BlobLockedError);
      await expect(store.lock(tenant, key, { mode: 'COMPLIANCE', until: new Date(Date.now() + 60_000) })).rejects.toBeInstanceOf(BlobLockedError);
      expect(await text(await store.get(tenant, key))).toBe('revisionssicher');
    });

    it('a GOVERNANCE lock holds against a plain delete and gives way to the bypass', async () => {
      const key = `worm/${uuidv7()}`;
      await store.put(tenant, key, chunked(Buffer.from('aufbewahrt')), { contentType: 'text/plain' });
      await store.lock(tenant, key, { mode: 'GOVERNANCE', until: inADay() });
      await expect(store.delete(tenant, key)).rejects.toThrow(/GOVERNANCE retention until/);
      await store.delete(tenant, key, { bypassGovernance: true });
      expect(await store.head(tenant, key)).toBeNull();
    });

    it('a legal hold blocks deletion whatever the retention, until it is lifted', async () => {
      const key = `hold/${uuidv7()}`;
      await store.put(tenant, key, chunked(Buffer.from('Rechtsstreit')), { contentType: 'text/plain' });
      await store.legalHold(tenant, key, true);
      expect((await store.protection(tenant, key))?.legalHold).toBe(true);
      await expect(store.delete(tenant, key, { bypassGovernance: true })).rejects.toThrow('is under a legal hold');
      await store.legalHold(tenant, key, false);
      await store.delete(tenant, key);
      expect(await store.protection(tenant, key)).toBeNull();
    });

    it('a locked object cannot be deleted or overwritten (retention or legal hold), and its content stays', async () => {
      for (const protect of ['GOVERNANCE', 'COMPLIANCE', 'hold'] as const) {
        const key = `worm/${uuidv7()}`;
        const first = randomBytes(Math.max(64, partSize + 10));
        await store.put(tenant, key, chunked(first), {
          contentType: 'application/octet-stream',
          ...(protect === 'hold' ? {} : { retention: { mode: protect, until: inADay() } }),
        });
        if (protect === 'hold') await store.legalHold(tenant, key, true);
        await expect(store.delete(tenant, key)).rejects.toBeInstanceOf(BlobLockedError);
        await expect(store.put(tenant, key, chunked(randomBytes(first.length)), { contentType: 'text/plain' })).rejects.toBeInstanceOf(BlobExistsError);
        expect(sha256(await buffer(await store.get(tenant, key)))).toBe(sha256(first));
        if (protect === 'hold') {
          await store.legalHold(tenant, key, false);
          await store.delete(tenant, key);
        } else if (protect === 'GOVERNANCE') {
          await store.delete(tenant, key, { bypassGovernance: true });
        }
      }
    });

    it('rejects keys that could escape the bucket', async () => {
      for (const key of ['../x', 'a/../../b', '/abs', '', 'a//b']) {
        await expect(store.put(tenant, key, chunked(Buffer.from('x')), { contentType: 'text/plain' })).rejects.toThrow(
          'Invalid object key',
        );
      }
    });
  });
}
