import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** No data key where one was expected (and none may be made). */
export class NoDataKeyError extends Error {
  constructor(readonly file: string) {
    super(`There is no data key at ${file}`);
    this.name = 'NoDataKeyError';
  }
}

/**
 * The data key that seals stored secrets (src/lib/sealed.ts): 32 random bytes, base64, in a file
 * outside the database (mode 0600), created on first start. Every instance must share it, as it
 * shares the signing key. Two instances starting at once agree: only one key is ever linked into place.
 * `create: false` (a script that must use the server's key) fails with NoDataKeyError instead.
 */
export async function loadOrCreateDataKey(file: string, opts: { create?: boolean } = {}): Promise<Buffer> {
  const read = async () => {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return key;
  };
  try {
    return await read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (opts.create === false) throw new NoDataKeyError(file);
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written whole to a private name, then linked into place: link fails if another instance won.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
  return read();
}
