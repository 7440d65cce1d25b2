import { defineConfig } from 'prisma/config';

// The CLI only needs the schema and the migrations folder. The URL is read from the
// environment when a command needs one (`prisma migrate deploy` where the engine exists).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations', seed: 'tsx prisma/seed.ts' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/en_akte' },
});
