import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { prepareDatabase } from '../../src/bootstrap.js';

/**
 * A database of its own on the run's PostgreSQL server, prepared as an instance prepares one
 * (migrations, seed, job queues). Test files that run workers use one, so that their schedules,
 * dispatchers and deliveries never act on another file's data, and no other file's worker on theirs.
 */
export async function isolatedDatabase(label: string): Promise<{ url: string; ownerUrl: string; env: Record<string, string> }> {
  const base = new URL(inject('ownerUrl'));
  const name = `en_akte_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  base.pathname = `/${name}`;
  await prepareDatabase(base.toString());
  const api = new URL(inject('databaseUrl'));
  api.pathname = `/${name}`;
  const urls = { url: api.toString(), ownerUrl: base.toString() };
  return { ...urls, env: { DATABASE_URL: urls.url, DATABASE_OWNER_URL: urls.ownerUrl } };
}
