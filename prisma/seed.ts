// `npm run db:seed` / `prisma db seed`: idempotent reference data.
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { seedTenants } from '../src/db/seed.js';

const config = loadConfig();
if (!config.database.url) throw new Error('DATABASE_URL must be set (npm run db:migrate prints how)');
const db = createDb(config.database.url, 1, { role: null });
const added = await seedTenants(db);
console.log(`seed: ${added} tenant(s) added`);
await db.$disconnect();
