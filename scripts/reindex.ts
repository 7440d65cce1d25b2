// Rebuilds the search index of a tenant (or of all with --all) in this process: every file, case
// and document is indexed again from the records and the stored texts; versions that have no text
// record yet (stored before search existed) are queued for extraction, which the workers run.
//
//   npm run reindex -- --tenant witten
//   npm run reindex -- --all
import pino from 'pino';
import { VERSION } from '../src/app.js';
import { startInfrastructure } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';

const args = process.argv.slice(2);
const slug = args.find((a) => a.startsWith('--tenant='))?.split('=')[1] ?? (args.includes('--tenant') ? args[args.indexOf('--tenant') + 1] : undefined);
if (!slug && !args.includes('--all')) {
  console.error('usage: npm run reindex -- --tenant <slug> | --all');
  process.exit(2);
}
const config = loadConfig();
const log = pino({ level: config.logLevel });
const infra = await startInfrastructure(config, log, { worker: false });
try {
  const services = createServices({ ...infra, version: VERSION });
  const all = await services.tenants.all();
  const tenants = slug ? all.filter((t) => t.slug === slug) : all;
  if (tenants.length === 0) throw new Error(`No tenant ${slug}`);
  for (const tenant of tenants) {
    const started = performance.now();
    const out = await services.search.reindexTenant(tenant);
    const queued = await services.search.catchUp(tenant, { all: true });
    console.log(JSON.stringify({ tenant: tenant.slug, ...out, extractionsQueued: queued.extract, seconds: Math.round((performance.now() - started) / 100) / 10 }));
  }
} finally {
  await infra.db.$disconnect();
  await infra.stop();
}
