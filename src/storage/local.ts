import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, writeFile, constants } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  assertValidKey,
  assertValidTenant,
  BlobNotFoundError,
  BlobTooLargeError,
  type BlobInfo,
  type BlobListing,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type PutResult,
} from './blob-store.js';

const TMP = '.incoming';

/**
 * Local-disk adapter: the embedded default for `npm start` without MinIO. Objects are written to a
 * temporary file, fsynced and renamed into place, so a crash never leaves a half-written object
 * under its key (only a temporary file the sweeper can remove).
 */
export function createLocalBlobStore(opts: { dir: string; bucketPrefix: string }): BlobStore {
  const root = path.resolve(opts.dir);
  const bucketFor = (tenant: string) => {
    assertValidTenant(tenant);
    return `${opts.bucketPrefix}${tenant}`;
  };
  const objectPath = (tenant: string, key: string) => {
    assertValidKey(key);
    return path.join(root, bucketFor(tenant), key);
  };
  const metaPath = (file: string) => `${file}.meta.json`;

  return {
    kind: 'local',
    bucketFor,

    async ensureBucket(tenant) {
      await mkdir(path.join(root, bucketFor(tenant), TMP), { recursive: true });
    },

    async put(tenant, key, body, putOpts: PutOptions): Promise<PutResult> {
      const target = objectPath(tenant, key);
      const tmp = path.join(root, bucketFor(tenant), TMP, randomUUID());
      await mkdir(path.dirname(tmp), { recursive: true });
      const hash = createHash('sha256');
      let size = 0;
      const fh = await open(tmp, 'wx', 0o640);
      try {
        for await (const chunk of body) {
          size += chunk.length;
          if (putOpts.maxBytes !== undefined && size > putOpts.maxBytes) throw new BlobTooLargeError(putOpts.maxBytes);
          hash.update(chunk);
          await fh.write(chunk);
        }
        await fh.sync();
        await fh.close();
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(metaPath(tmp), JSON.stringify({ contentType: putOpts.contentType }));
        await rename(metaPath(tmp), metaPath(target));
        await rename(tmp, target);
      } catch (err) {
        await fh.close().catch(() => undefined);
        await rm(tmp, { force: true });
        await rm(metaPath(tmp), { force: true });
        throw err;
      }
      return { size, sha256: hash.digest('hex') };
    },

    async get(tenant, key, range?: ByteRange): Promise<Readable> {
      const file = objectPath(tenant, key);
      try {
        // Open first so a missing object fails here, not later inside the stream.
        const fh = await open(file, 'r');
        return fh.createReadStream({ autoClose: true, start: range?.start, end: range?.end });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(bucketFor(tenant), key);
        throw err;
      }
    },

    async head(tenant, key): Promise<BlobInfo | null> {
      const file = objectPath(tenant, key);
      try {
        const [st, meta] = await Promise.all([stat(file), readFile(metaPath(file), 'utf8').catch(() => '{}')]);
        const contentType = (JSON.parse(meta) as { contentType?: string }).contentType ?? 'application/octet-stream';
        return { size: st.size, contentType, lastModified: st.mtime };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },

    async delete(tenant, key) {
      const file = objectPath(tenant, key);
      await rm(file, { force: true });
      await rm(metaPath(file), { force: true });
    },

    async *list(tenant, prefix = ''): AsyncIterable<BlobListing> {
      const bucket = path.join(root, bucketFor(tenant));
      const entries = await readdir(bucket, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
      const keys = entries
        .filter((e) => e.isFile() && !e.name.endsWith('.meta.json'))
        .map((e) => path.relative(bucket, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
        .filter((k) => !k.startsWith(`${TMP}/`) && k.startsWith(prefix))
        .sort();
      for (const key of keys) {
        const st = await stat(path.join(bucket, key)).catch(() => null);
        if (st) yield { key, size: st.size, lastModified: st.mtime };
      }
    },

    async presignGet() {
      return null;
    },

    async ping() {
      await mkdir(root, { recursive: true });
      await access(root, constants.W_OK);
    },
  };
}
