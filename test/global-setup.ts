import type { TestProject } from 'vitest/node';
import { createDb } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { seedTenants } from '../src/db/seed.js';
import { startMinio } from './support/minio-server.js';
import { startTestPostgres } from './support/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    s3: { endpoint: string; accessKey: string; secretKey: string };
  }
}

/** Starts one real PostgreSQL and one real MinIO for the whole run, and stops both afterwards. */
export default async function setup(project: TestProject) {
  const [pg, minio] = await Promise.all([startTestPostgres(), startMinio()]);
  try {
    await migrate(pg.url);
    const db = createDb(pg.url, 1, { role: null });
    await seedTenants(db);
    await db.$disconnect();
  } catch (err) {
    await Promise.all([pg.stop(), minio.stop()]);
    throw err;
  }
  project.provide('databaseUrl', pg.url);
  project.provide('s3', { endpoint: minio.endpoint, accessKey: minio.accessKey, secretKey: minio.secretKey });
  return async () => {
    await Promise.all([pg.stop(), minio.stop()]);
  };
}
