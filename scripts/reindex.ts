// Rebuilds the search index of a tenant (or of all with --all) in this process: every file, case
// and document is indexed again from the records and the stored texts; versions that have no text
// record yet (stored before search existed) are queued for extraction, which the workers run.
// The same as `en-akte reindex` (src/maintenance.ts).
//
//   npm run reindex -- --tenant witten
//   npm run reindex -- --all
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { runReindex } from '../src/maintenance.js';

const args = process.argv.slice(2);
const slug = args.find((a) => a.startsWith('--tenant='))?.split('=')[1] ?? (args.includes('--tenant') ? args[args.indexOf('--tenant') + 1] : undefined);
if (!slug && !args.includes('--all')) {
  console.error('usage: npm run reindex -- --tenant <slug> | --all');
  process.exit(2);
}
const config = loadConfig();
await runReindex(config, pino({ level: config.logLevel }), { tenant: slug, onTenant: (result) => console.log(JSON.stringify(result)) });
