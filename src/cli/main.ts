// `en-akte`: the admin CLI of EN-Akte. It works against a running API through the typed client
// (clients/typescript); only sweep, reindex and keys rotate run in-process (src/maintenance.ts).
// Started by bin/en-akte.mjs (tsx): `npx en-akte --help`, `npm run cli -- --help`.
import { Command, CommanderError, Option } from 'commander';
import { auditCommands } from './audit.js';
import { clientCommands } from './clients.js';
import { maintenanceCommands } from './maintenance.js';
import { planCommands } from './plan.js';
import { CLI_VERSION, EXIT, EXIT_CODES_HELP, jsonWanted, report } from './runtime.js';
import { xdomeaCommands } from './xdomea.js';

/** The default --url: the service's own default address (HOST 127.0.0.1, PORT 3000 in src/config.ts). */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

export function buildProgram(): Command {
  const program = new Command('en-akte')
    .description('Admin CLI of EN-Akte: file plan, machine clients, audit, XDOMEA, maintenance')
    .version(CLI_VERSION, '-V, --version')
    .addOption(new Option('--url <url>', 'the API\'s base URL').env('EN_AKTE_URL').default(DEFAULT_URL))
    .addOption(new Option('--token <token>', 'a bearer token').env('EN_AKTE_TOKEN'))
    .addOption(new Option('--client-id <id>', 'a machine client\'s client_id (OAuth client credentials at /oauth/token)').env('EN_AKTE_CLIENT_ID'))
    .addOption(new Option('--client-secret <secret>', 'its client_secret').env('EN_AKTE_CLIENT_SECRET'))
    .addOption(new Option('--tenant <slug>', 'the tenant (default: the token\'s tenant claim)').env('EN_AKTE_TENANT'))
    .option('--json', 'machine output: exactly one JSON document on stdout (a problem document on errors), no progress bars')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(en-akte --help lists the commands)')
    .addHelpText(
      'after',
      `
sweep, reindex and keys rotate run in-process against the database (DATABASE_URL, DATA_DIR, …),
not through the API: they need the service's environment, not a token.

Errors print "code: detail (request id)" on stderr; with --json the problem JSON on stdout.

${EXIT_CODES_HELP}

Examples:
  export EN_AKTE_URL=https://akte.example.org EN_AKTE_TOKEN=…   # or EN_AKTE_CLIENT_ID/EN_AKTE_CLIENT_SECRET
  en-akte --tenant witten plan import aktenplan.csv
  en-akte --tenant witten plan show
  en-akte --tenant witten audit export --from 2026-01-01 --out audit-2026.jsonl
  en-akte --tenant witten --json clients create --name Posteingang --role clerk
`,
    );
  planCommands(program);
  clientCommands(program);
  auditCommands(program);
  xdomeaCommands(program);
  maintenanceCommands(program);
  return program;
}

/** Runs the CLI on `argv` (node's: [node, script, …args]) and answers the exit code. */
export async function run(argv: string[]): Promise<number> {
  const json = jsonWanted(argv.slice(2));
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; every other commander error is a usage error.
      if (err.exitCode === 0) return EXIT.ok;
      if (json) process.stdout.write(`${JSON.stringify({ code: 'usage', title: 'Usage error', detail: err.message.replace(/^error: /, '') })}\n`);
      return EXIT.usage;
    }
    return report(err, json);
  }
}

process.exitCode = await run(process.argv);
