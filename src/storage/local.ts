import { createHash, randomUUID } from 'node:crypto';
import { access, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile, constants } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  assertValidKey,
  assertValidTenant,
  BlobExistsError,
  BlobLockedError,
  BlobNotFoundError,
  BlobTooLargeError,
  lockedBecause,
  type BlobInfo,
  type BlobListing,
  type BlobStore,
  type ByteRange,
  type Protection,
  type PutOptions,
  type PutResult,
  type Retention,
} from './blob-store.js';

interface Meta {
  contentType: string;
  retention?: { mode: Retention['mode']; until: string };
  legalHold?: boolean;
}

const TMP = '.incoming';

/**
 * Local-disk adapter: the embedded default for `npm start` without MinIO. Objects are written to a
 * temporary file, fsynced and linked into place (which fails if the key exists: keys are written
 * once), so a crash never leaves a half-written object under its key (only a temporary file the
 * sweeper can remove). Retention and legal holds live in the object's metadata file and are
 * honoured by delete, as MinIO honours them: the file system itself cannot enforce them against
 * someone with shell access, which is why production runs on MinIO.
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
  const readMeta = async (file: string): Promise<Meta | null> => {
    try {
      return JSON.parse(await readFile(metaPath(file), 'utf8')) as Meta;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  };
  const toProtection = (m: Meta): Protection => ({
    retention: m.retention ? { mode: m.retention.mode, until: new Date(m.retention.until) } : null,
    legalHold: m.legalHold === true,
  });
  const writeMeta = async (file: string, meta: Meta) => {
    const tmp = `${metaPath(file)}.${randomUUID()}`;
    await writeFile(tmp, JSON.stringify(meta));
    await rename(tmp, metaPath(file));
  };
  const present = (file: string) => access(file, constants.F_OK).then(() => true, () => false);
  async function existing(tenant: string, key: string): Promise<{ file: string; meta: Meta }> {
    const file = objectPath(tenant, key);
    const meta = await readMeta(file);
    // Metadata without its object (a put that crashed before its last step) is no object.
    if (!meta || !(await present(file))) throw new BlobNotFoundError(bucketFor(tenant), key);
    return { file, meta };
  }

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
        const meta: Meta = {
          contentType: putOpts.contentType,
          ...(putOpts.retention ? { retention: { mode: putOpts.retention.mode, until: putOpts.retention.until.toISOString() } } : {}),
        };
        // Metadata first, the object last: a crash in between leaves metadata without an object
        // (the key stays absent, a later put replaces it), never an object without its metadata
        // (its retention). Both are linked (not renamed) into place: linking fails if the key exists.
        const fm = await open(metaPath(tmp), 'wx', 0o640);
        try {
          await fm.writeFile(JSON.stringify(meta));
          await fm.sync();
        } finally {
          await fm.close();
        }
        const exists = () => new BlobExistsError(bucketFor(tenant), key);
        try {
          await link(metaPath(tmp), metaPath(target));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          // Another object's metadata, or what a crashed put left of one that never got its object.
          if (await present(target)) throw exists();
          await rename(metaPath(tmp), metaPath(target));
        }
        try {
          await link(tmp, target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
          throw err;
        }
        await unlink(tmp);
        await rm(metaPath(tmp), { force: true });
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
        const [st, meta] = await Promise.all([stat(file), readMeta(file)]);
        const contentType = meta?.contentType ?? 'application/octet-stream';
        return { size: st.size, contentType, lastModified: st.mtime };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },

    async delete(tenant, key, opts = {}) {
      const file = objectPath(tenant, key);
      const meta = await readMeta(file);
      const locked = meta && lockedBecause(toProtection(meta), opts);
      if (locked) throw new BlobLockedError(key, locked);
      await rm(file, { force: true });
      await rm(metaPath(file), { force: true });
    },

    async lock(tenant, key, retention) {
      const { file, meta } = await existing(tenant, key);
      const current = toProtection(meta).retention;
      // COMPLIANCE can only be extended, never shortened or weakened (as in S3).
      if (current?.mode === 'COMPLIANCE' && current.until > new Date() && (retention.mode !== 'COMPLIANCE' || retention.until < current.until)) {
        throw new BlobLockedError(key, `COMPLIANCE retention until ${current.until.toISOString()} cannot be shortened`);
      }
      await writeMeta(file, { ...meta, retention: { mode: retention.mode, until: retention.until.toISOString() } });
    },

    async legalHold(tenant, key, on) {
      const { file, meta } = await existing(tenant, key);
      await writeMeta(file, { ...meta, legalHold: on });
    },

    async protection(tenant, key) {
      const meta = await readMeta(objectPath(tenant, key));
      return meta ? toProtection(meta) : null;
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
