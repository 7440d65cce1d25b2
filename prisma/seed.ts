// `npm run db:seed` / `prisma db seed`: idempotent reference data, written by the schema owner.
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { seedTenants } from '../src/db/seed.js';

const config = loadConfig();
const url = process.env.DATABASE_OWNER_URL ?? config.database.ownerUrl;
if (!url) throw new Error('DATABASE_OWNER_URL must be set (npm run db:migrate prepares the embedded cluster)');
const db = createDb(url, 1);
const added = await seedTenants(db);
console.log(`seed: ${added} tenant(s) added`);
await db.$disconnect();
