import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile, appendFile, lstat, readlink, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, startExistingCluster } from '../../src/db/embedded.js';
import { freePort } from './ports.js';

/**
 * A real PostgreSQL primary with a real hot standby streaming from it, both from the embedded
 * PostgreSQL 18 binaries. pg_basebackup is not among them (and Debian's PG 15 one cannot copy a
 * PG 18 server), so the standby is made as the PostgreSQL manual's "Making a Base Backup Using the
 * Low Level API" describes: pg_backup_start, a copy of the data directory, pg_backup_stop, its
 * backup_label written into the copy, then standby.signal and primary_conninfo.
 */
export interface PrimaryWithStandby {
  /** Superuser URLs (the owner of the schema on the primary; the standby is a copy, same password). */
  primaryUrl: string;
  standbyUrl: string;
  standbyPort: number;
  /** The replication login the standby connects with (REPLICATION, nothing else). */
  replicationRole: string;
  /** Stops the standby (a replica outage); `startStandby` brings it back on the same port. */
  stopStandby(): Promise<void>;
  startStandby(): Promise<void>;
  stop(): Promise<void>;
}

export const REPLICATION_ROLE = 'en_akte_replication';
const SLOT = 'en_akte_standby';

/** Per the manual: directories whose contents a base backup leaves out (they are re-created empty). */
const EMPTY_DIRS = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);
/** Files a base backup leaves out. */
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'standby.signal', 'recovery.signal']);

/** Copies a data directory that changes while it is copied: a file that vanishes meanwhile is no error. */
async function copyCluster(from: string, to: string, top = true): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.name.startsWith('pgsql_tmp')) continue;
    if (top && SKIP_FILES.has(entry.name)) continue;
    try {
      if (entry.isSymbolicLink()) await symlink(await readlink(src), dst);
      else if (entry.isDirectory()) {
        if (top && EMPTY_DIRS.has(entry.name)) await mkdir(dst, { mode: 0o700 });
        else await copyCluster(src, dst, false);
      } else await copyFile(src, dst);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

export async function startPrimaryWithStandby(opts: { onLog?: (line: string) => void } = {}): Promise<PrimaryWithStandby> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'en-akte-pg-replica-'));
  // As root the servers run as `postgres`, which must reach both clusters.
  await chmod(root, 0o755);
  const primary = await startEmbeddedPostgres({ dir: path.join(root, 'primary'), port: await freePort(), persistent: false, onLog: opts.onLog });
  const standbyPort = await freePort();
  const primaryPort = new URL(primary.url).port;
  const standbyUrl = (() => {
    const u = new URL(primary.url);
    u.port = String(standbyPort);
    return u.toString();
  })();
  const standbyDir = path.join(root, 'standby');
  let standby: { stop(): Promise<void> } | undefined;
  const cleanUp = async () => {
    await standby?.stop();
    await primary.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    // The primary: wal_level replica and wal senders are PostgreSQL 18's defaults; check rather than assume.
    const [settings] = await query<{ wal_level: string; max_wal_senders: string }>(
      primary.url,
      "SELECT current_setting('wal_level') AS wal_level, current_setting('max_wal_senders') AS max_wal_senders",
    );
    if (settings!.wal_level !== 'replica' && settings!.wal_level !== 'logical') throw new Error(`primary has wal_level=${settings!.wal_level}`);
    if (Number(settings!.max_wal_senders) < 1) throw new Error('primary has no wal senders');
    const password = randomBytes(18).toString('base64url');
    await query(primary.url, `CREATE ROLE ${REPLICATION_ROLE} WITH REPLICATION LOGIN PASSWORD '${password}'`);
    // Replication connections from loopback only, for that role only (in front of initdb's lines).
    const hba = path.join(primary.clusterDir, 'pg_hba.conf');
    await writeFile(hba, `host replication ${REPLICATION_ROLE} 127.0.0.1/32 scram-sha-256\n${await readFile(hba, 'utf8')}`);
    await query(primary.url, 'SELECT pg_reload_conf()');
    // A physical slot keeps the WAL from the backup's start until the standby has streamed it.
    await query(primary.url, 'SELECT pg_create_physical_replication_slot($1, true)', [SLOT]);

    // The low-level base backup: start and stop in one session, the copy in between.
    const session = new pg.Client({ connectionString: primary.url });
    await session.connect();
    let label: { labelfile: string; spcmapfile: string | null };
    try {
      await session.query("SELECT pg_backup_start('en-akte-standby', true)");
      await copyCluster(primary.clusterDir, standbyDir);
      label = (await session.query<{ labelfile: string; spcmapfile: string | null }>('SELECT labelfile, spcmapfile FROM pg_backup_stop(false)')).rows[0]!;
    } finally {
      await session.end();
    }
    await mkdir(path.join(standbyDir, 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(standbyDir, 'pg_wal', 'summaries'), { recursive: true, mode: 0o700 });
    await writeFile(path.join(standbyDir, 'backup_label'), label.labelfile, { mode: 0o600 });
    if (label.spcmapfile) await writeFile(path.join(standbyDir, 'tablespace_map'), label.spcmapfile, { mode: 0o600 });
    await writeFile(path.join(standbyDir, 'standby.signal'), '', { mode: 0o600 });
    await appendFile(
      path.join(standbyDir, 'postgresql.auto.conf'),
      `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=${REPLICATION_ROLE} password=${password} application_name=${SLOT}'\n` +
        `primary_slot_name = '${SLOT}'\nhot_standby = on\nhot_standby_feedback = on\n`,
    );
    await chmod(standbyDir, 0o700);
    if (!(await lstat(path.join(standbyDir, 'PG_VERSION')).catch(() => null))) throw new Error('the base backup has no PG_VERSION');

    const startStandby = async () => {
      standby = await startExistingCluster({ dir: standbyDir, port: standbyPort, onLog: opts.onLog });
      const [r] = await query<{ recovery: boolean }>(standbyUrl, 'SELECT pg_is_in_recovery() AS recovery');
      if (!r!.recovery) throw new Error('the standby is not in recovery');
      await waitFor('the standby to stream', async () => {
        const rows = await query<{ state: string }>(primary.url, 'SELECT state FROM pg_stat_replication WHERE application_name = $1', [SLOT]);
        return rows[0]?.state === 'streaming';
      });
    };
    await startStandby();
    return {
      primaryUrl: primary.url,
      standbyUrl,
      standbyPort,
      replicationRole: REPLICATION_ROLE,
      startStandby,
      async stopStandby() {
        await standby?.stop();
        standby = undefined;
      },
      stop: cleanUp,
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** Waits until the standby has replayed everything the primary had written when this was called. */
export async function waitForReplay(primaryUrl: string, standbyUrl: string): Promise<void> {
  const [{ lsn }] = (await query<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_lsn()::text AS lsn')) as [{ lsn: string }];
  await waitFor(`replay of ${lsn}`, async () => {
    const [r] = await query<{ ok: boolean }>(standbyUrl, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]);
    return r!.ok;
  });
}

/** Run a statement on the standby as its superuser (pause or resume replay, read its statistics). */
export const onServer = query;
