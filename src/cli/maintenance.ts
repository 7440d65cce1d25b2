// `en-akte sweep`, `en-akte reindex`, `en-akte keys rotate`: the API has no operations for these;
// they run in this process against the deployment's database and storage (src/maintenance.ts, as
// `npm run sweep|reindex|keys:rotate`), configured by the service's own environment (DATABASE_URL,
// DATABASE_OWNER_URL, S3_*, DATA_DIR, SECRETS_KEY_FILE, …), not by --url and a token.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, EXIT, globalsOf, output, progressBar } from './runtime.js';

export const IN_PROCESS_HELP = `
Runs in this process against the deployment's database and storage, not through the API: it needs
the service's environment (DATABASE_URL and DATABASE_OWNER_URL, S3_*, SECRETS_KEY_FILE, …; unset
DATABASE_URL = the embedded PostgreSQL under DATA_DIR), not --url or a token. LOG_LEVEL (default
warn) sets its log on stderr.
`;

/**
 * The Prisma client is generated (src/generated/, not in git): `npm start` and `npm test` make it
 * first; a maintenance command run straight after `npm ci` makes it here, its output on stderr.
 */
function ensurePrismaClient() {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  if (existsSync(path.join(root, 'src', 'generated', 'prisma', 'client.ts'))) return;
  const made = spawnSync(process.execPath, [path.join(root, 'scripts', 'prisma-generate.mjs')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (made.status !== 0) throw new CliError('prisma-generate-failed', 'Generating the Prisma client failed; run `npm run generate` in the checkout', EXIT.unexpected);
}

/** The service's configuration and a logger on stderr, loaded only when a maintenance command runs. */
async function environment() {
  ensurePrismaClient();
  const [{ loadConfig }, { default: pino }] = await Promise.all([import('../config.js'), import('pino')]);
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    throw new CliError('invalid-configuration', (err as Error).message, EXIT.invalidInput);
  }
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  return { config, log, maintenance: await import('../maintenance.js') };
}

function lines(result: unknown): string {
  if (typeof result !== 'object' || result === null) return String(result);
  return Object.entries(result)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join('\n');
}

export function maintenanceCommands(program: Command): void {
  program
    .command('sweep')
    .description('run the sweep now (leftover uploads, expired idempotency keys, old events and deliveries) [in-process]')
    .option('--deep', 'also remove objects no version references')
    .addHelpText('after', IN_PROCESS_HELP)
    .action(async (opts: { deep?: boolean }, command: Command) => {
      const g = globalsOf(command);
      const { config, log, maintenance } = await environment();
      const result = await maintenance.runSweep(config, log, { deep: opts.deep === true });
      output(g, result, lines(result));
    });

  program
    .command('reindex')
    .description('rebuild the search index of the tenant (--tenant) or of all (--all) [in-process]')
    .option('--all', 'every tenant')
    .addHelpText('after', IN_PROCESS_HELP)
    .action(async (opts: { all?: boolean }, command: Command) => {
      const g = globalsOf(command);
      if (!g.tenant && !opts.all) throw new CliError('usage', 'give --tenant <slug> (EN_AKTE_TENANT) or --all', EXIT.usage);
      if (g.tenant && opts.all) throw new CliError('usage', '--tenant and --all exclude each other', EXIT.usage);
      const { config, log, maintenance } = await environment();
      let bar: ReturnType<typeof progressBar> | undefined;
      let done = 0;
      const results = await maintenance
        .runReindex(config, log, {
          tenant: opts.all ? undefined : g.tenant,
          onStart: (n) => (bar = progressBar(g, 'reindex [{bar}] {value}/{total} tenants | {tenant}', n, { tenant: '' })),
          onTenant: (r) => bar?.update(++done, { tenant: r.tenant }),
        })
        .catch((err: unknown) => {
          if (err instanceof maintenance.NoSuchTenantError) throw new CliError('not-found', err.message, EXIT.notFound);
          throw err;
        })
        .finally(() => bar?.stop());
      output(g, results, results.map((r) => `${r.tenant}: ${r.indexed} indexed, ${r.extractionsQueued} extraction(s) queued, ${r.seconds} s`).join('\n'));
    });

  const keys = program.command('keys').description('the token-signing keys [in-process]');
  keys
    .command('rotate')
    .description('a new token-signing key for every instance; tokens of the previous keys verify until they expire [in-process]')
    .addHelpText('after', IN_PROCESS_HELP)
    .action(async (_opts: unknown, command: Command) => {
      const g = globalsOf(command);
      const { config, log, maintenance } = await environment();
      const result = await maintenance.rotateSigningKey(config, log);
      output(g, result, `new signing key ${result.kid}; ${result.retained} key(s) in table signing_key`);
    });
}
