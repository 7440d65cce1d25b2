import { PassThrough, Readable, Transform } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { errors } from '../../../errors.js';

/**
 * XDOMEA containers: a ZIP of one message and its primary files. Untrusted ZIPs are read through
 * their central directory only (random access, e.g. range reads from MinIO), and refused before a
 * byte is extracted when they exceed the limits: entry count, total uncompressed size, compression
 * ratio (bombs), names with `..`, absolute paths, backslashes or drive letters, duplicate names,
 * encryption, methods other than stored and deflate. While an entry is read, its real size is held
 * to its declared size (yauzl's validateEntrySizes), so a lying header cannot slip a bomb through.
 */
export interface ZipLimits {
  maxEntries: number;
  /** Sum of the declared uncompressed sizes. */
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio of an entry above `ratioFloorBytes`. */
  maxRatio: number;
  /** Entries smaller than this are not held to the ratio (a small text of spaces compresses well). */
  ratioFloorBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 10_000,
  maxTotalBytes: 64 * 1024 ** 3,
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
};

export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
}

/** Random access to the bytes of a ZIP: `read(start, end)` streams the half-open range [start, end). */
export interface ZipSource {
  size: number;
  read(start: number, end: number): Promise<Readable>;
}

export interface SafeZip {
  entries: ZipEntryInfo[];
  /** Streams one entry's uncompressed bytes; 422 container-rejected when its bytes differ from its header. */
  open(name: string): Promise<Readable>;
  close(): void;
}

const refuse = (detail: string) => errors.containerRejected(detail);

/** Why an entry name is refused, or null. Names are relative, forward-slashed, without `.`/`..` segments. */
export function entryNameProblem(name: string): string | null {
  if (name.length === 0) return 'An entry has an empty name';
  if (name.length > 1024) return 'An entry name is longer than 1024 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(name)) return 'An entry name contains control characters';
  if (name.includes('\\')) return `Entry ${JSON.stringify(name.slice(0, 100))} contains a backslash`;
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `Entry ${JSON.stringify(name.slice(0, 100))} has an absolute path`;
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '..')) return `Entry ${JSON.stringify(name.slice(0, 100))} leaves the container (..)`;
  if (segments.some((s) => s === '.' || s === '')) return `Entry ${JSON.stringify(name.slice(0, 100))} has an empty or "." path segment`;
  return null;
}

class RangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ZipSource) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    this.source.read(start, end).then(
      (s) => {
        s.on('error', (e) => out.destroy(e));
        s.pipe(out);
      },
      (e: Error) => out.destroy(e),
    );
    return out;
  }
}

const openReader = (source: ZipSource) =>
  new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.fromRandomAccessReader(new RangeReader(source), source.size, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) =>
      err ? reject(refuse(`The container is not a readable ZIP: ${err.message}`)) : resolve(zip),
    );
  });

/** Opens an untrusted ZIP: checks every central-directory entry against the limits before anything is read. */
export async function openSafeZip(source: ZipSource, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<SafeZip> {
  if (source.size < 22) throw refuse('The container is not a ZIP (too short)');
  const zip = await openReader(source);
  const byName = new Map<string, yauzl.Entry>();
  const entries: ZipEntryInfo[] = [];
  try {
    if (zip.entryCount > limits.maxEntries) throw refuse(`The container has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted`);
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (e: Error) => reject(e instanceof Error && 'status' in e ? e : refuse(`The ZIP is damaged: ${e.message}`)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          // Names are decoded here (UTF-8 flag, else CP437 read as Latin-1) and checked by entryNameProblem, with a clear reason.
          const raw = entry.fileName as unknown as Buffer;
          const name = raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
          const problem = entryNameProblem(name);
          if (problem) throw refuse(problem);
          if (entry.isEncrypted()) throw refuse(`Entry ${name.slice(0, 100)} is encrypted`);
          if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw refuse(`Entry ${name.slice(0, 100)} uses compression method ${entry.compressionMethod}; only stored and deflate are accepted`);
          total += entry.uncompressedSize;
          if (total > limits.maxTotalBytes) throw refuse(`The container unpacks to more than ${limits.maxTotalBytes} bytes`);
          if (entry.uncompressedSize > limits.ratioFloorBytes && entry.uncompressedSize > limits.maxRatio * Math.max(1, entry.compressedSize)) {
            throw refuse(`Entry ${name.slice(0, 100)} expands more than ${limits.maxRatio}-fold (a ZIP bomb?)`);
          }
          if (!name.endsWith('/')) {
            if (byName.has(name)) throw refuse(`Entry ${name.slice(0, 100)} appears twice`);
            byName.set(name, entry);
            entries.push({ name, compressedSize: entry.compressedSize, uncompressedSize: entry.uncompressedSize });
          }
          zip.readEntry();
        } catch (e) {
          reject(e);
        }
      });
      zip.readEntry();
    });
  } catch (e) {
    zip.close();
    if (e instanceof Error && 'status' in e) throw e;
    throw refuse(`The ZIP is damaged: ${(e as Error).message}`);
  }
  return {
    entries,
    open: (name) =>
      new Promise<Readable>((resolve, reject) => {
        const entry = byName.get(name);
        if (!entry) return reject(refuse(`The container has no entry ${name.slice(0, 200)}`));
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(refuse(`Entry ${name.slice(0, 100)} cannot be read: ${err.message}`));
          // Errors of the entry stream (sizes that lie, bad deflate data) become container-rejected.
          const guard = new Transform({ transform: (chunk, _enc, cb) => cb(null, chunk) });
          stream.on('error', (e: Error) => guard.destroy(refuse(`Entry ${name.slice(0, 100)} is damaged: ${e.message}`)));
          resolve(stream.pipe(guard));
        });
      }),
    close: () => zip.close(),
  };
}

/** A ZIP source over a buffer (small containers, tests). */
export const bufferSource = (buf: Buffer): ZipSource => ({
  size: buf.length,
  read: async (start, end) => Readable.from([buf.subarray(start, end)]),
});

/** Reads a whole entry into memory, refusing more than `maxBytes` (messages, not primary files). */
export async function readEntry(zip: SafeZip, name: string, maxBytes: number): Promise<Buffer> {
  const info = zip.entries.find((e) => e.name === name);
  if (!info) throw refuse(`The container has no entry ${name.slice(0, 200)}`);
  if (info.uncompressedSize > maxBytes) throw errors.payloadTooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of await zip.open(name)) {
    n += (c as Buffer).length;
    if (n > maxBytes) throw errors.payloadTooLarge(maxBytes);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** DOS time starts in 1980; a fixed stamp keeps two exports of the same content byte-equal. */
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

export interface ZipWriteEntry {
  name: string;
  /** A stream, or a function opening it when the writer gets to the entry (one source open at a time). */
  body: Buffer | (() => Promise<Readable>);
  /** Already compressed formats (PDF, images, ZIP) are stored, the rest deflated. */
  compress?: boolean;
  mtime?: Date;
}

/**
 * Writes a ZIP as a stream: entries are added one after another, each opened only when the one
 * before it is written, so memory stays flat whatever the sizes (ZIP64 where needed).
 */
export function writeZip(entries: AsyncIterable<ZipWriteEntry> | Iterable<ZipWriteEntry>): Readable {
  const zip = new yazl.ZipFile();
  const out = zip.outputStream as Readable;
  const fail = (e: unknown) => out.destroy(e as Error);
  (async () => {
    for await (const e of entries) {
      const problem = entryNameProblem(e.name);
      if (problem) throw new Error(problem);
      const opts = { mtime: e.mtime ?? FIXED_MTIME, compress: e.compress ?? true };
      if (Buffer.isBuffer(e.body)) {
        zip.addBuffer(e.body, e.name, opts);
      } else {
        const stream = await e.body();
        const done = new Promise<void>((resolve, reject) => {
          stream.once('end', resolve);
          stream.once('error', reject);
        });
        zip.addReadStream(stream, e.name, opts);
        await done;
      }
    }
    zip.end();
  })().catch(fail);
  return out;
}
