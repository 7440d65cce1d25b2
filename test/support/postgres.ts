import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { prepareDatabase, withLogin } from '../../src/bootstrap.js';
import { API_LOGIN } from '../../src/db/client.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { ensureApiLogin } from '../../src/db/logins.js';
import { freePort } from './ports.js';

export interface TestDatabase {
  url: string;
  /** The server process this harness started (none for TEST_DATABASE_URL). */
  pid?: number;
  stop(): Promise<void>;
}

/** A throw-away embedded PostgreSQL cluster, or TEST_DATABASE_URL when set (an external server). */
export async function startTestPostgres(opts: { port?: number } = {}): Promise<TestDatabase> {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, stop: async () => undefined };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-pg-'));
  // As root the server runs as `postgres`; a reachable directory spares the launcher its relocation.
  await chmod(dir, 0o755);
  try {
    const db = await startEmbeddedPostgres({ dir: path.join(dir, 'cluster'), port: opts.port ?? (await freePort()), persistent: false });
    return {
      url: db.url,
      pid: db.pid,
      async stop() {
        await db.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Prepares a database as every instance does at start (migrations, seed, job queues, as the owner)
 * and gives the API its own login, as the embedded default does: the URL the API connects with.
 */
export async function prepareWithApiLogin(ownerUrl: string): Promise<string> {
  await prepareDatabase(ownerUrl);
  const password = randomBytes(18).toString('base64url');
  await ensureApiLogin(ownerUrl, API_LOGIN, password);
  return withLogin(ownerUrl, API_LOGIN, password);
}
