import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadOrCreateDataKey } from '../src/auth/data-key.js';
import { loadOrCreateSigningKeys } from '../src/auth/keys.js';
import { startMinio } from './support/minio-server.js';
import { prepareWithApiLogin, startTestPostgres } from './support/postgres.js';
import { startTogether } from './support/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The API's own login (owns nothing, member of en_akte_app): what the apps connect with. */
    databaseUrl: string;
    /** The schema owner (the cluster's superuser): migrations, and tests that must look behind the walls. */
    ownerUrl: string;
    s3: { endpoint: string; accessKey: string; secretKey: string };
    /** The run's signing key and data key, shared by every app and process as by a deployment's instances. */
    keys: { signing: string; data: string };
  }
}

/** Starts one real PostgreSQL and one real MinIO for the whole run, and stops both afterwards. */
export default async function setup(project: TestProject) {
  const [pg, minio] = await startTogether(() => startTestPostgres(), startMinio);
  let apiUrl: string;
  try {
    // Migrations, the tenant seed and the job queues, as the owner: what every instance does at start.
    apiUrl = await prepareWithApiLogin(pg.url);
  } catch (err) {
    await Promise.all([pg.stop(), minio.stop()]);
    throw err;
  }
  const keysDir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-keys-'));
  const keys = { signing: path.join(keysDir, 'signing-key.json'), data: path.join(keysDir, 'secrets.key') };
  await loadOrCreateSigningKeys(keys.signing);
  await loadOrCreateDataKey(keys.data);
  project.provide('keys', keys);
  project.provide('databaseUrl', apiUrl);
  project.provide('ownerUrl', pg.url);
  project.provide('s3', { endpoint: minio.endpoint, accessKey: minio.accessKey, secretKey: minio.secretKey });
  return async () => {
    await Promise.all([pg.stop(), minio.stop(), rm(keysDir, { recursive: true, force: true })]);
  };
}
