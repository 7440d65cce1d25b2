import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type Db = PrismaClient;

/** The Prisma client over node-postgres (Prisma 7's driver adapter; no query engine binary). */
export function createDb(url: string, poolMax: number): Db {
  const adapter = new PrismaPg({ connectionString: url, max: poolMax, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}
