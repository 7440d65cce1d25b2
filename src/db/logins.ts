import pg from 'pg';
import { APP_ROLE } from './client.js';

/**
 * The two logins: the owner (migrations, seed, job queues) and the API's login, which is a member
 * of en_akte_app and nothing else. From the API's connection there is no way around row-level
 * security: no `SET ROLE` to the owner (not a member), no `ALTER TABLE`, `TRUNCATE` or `DROP`
 * (owns nothing), no `UPDATE` of the audit trail (no privilege); `RESET ROLE` changes nothing.
 */

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Creates (or re-keys) the API login as the owner: the embedded default and the test harness. */
export async function ensureApiLogin(ownerUrl: string, user: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount === 1;
    const options = `LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT PASSWORD ${quoteLiteral(password)}`;
    await client.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${quoteIdent(user)} ${exists ? 'WITH ' : ''}${options}`);
    await client.query(`GRANT ${APP_ROLE} TO ${quoteIdent(user)}`);
  } finally {
    await client.end();
  }
}

export class UnsafeLoginError extends Error {
  override name = 'UnsafeLoginError';
}

/**
 * Refuses to run the API on a login that could get around row-level security: a superuser, a
 * role with BYPASSRLS, the owner of any table, a member of the tables' owner, or a login without
 * en_akte_app's privileges. Run once at start-up on the API's own pool.
 */
export async function assertSafeApiLogin(query: <T>(sql: string) => Promise<T[]>): Promise<void> {
  const [r] = await query<{ user: string; superuser: boolean; bypassrls: boolean; owns: boolean; owner_member: boolean; app: boolean }>(`
    SELECT current_user AS user, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
           EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace) AS owns,
           pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.record_file'::regclass), 'MEMBER') AS owner_member,
           pg_has_role(current_user, '${APP_ROLE}', 'USAGE') AS app
    FROM pg_roles r WHERE r.rolname = current_user`);
  if (!r) throw new UnsafeLoginError('Could not read the API login role');
  const problems = [
    r.superuser && 'is a superuser',
    r.bypassrls && 'has BYPASSRLS',
    r.owns && 'owns tables',
    r.owner_member && 'can act as the owner of the tables',
    !r.app && `is not a member of ${APP_ROLE}`,
  ].filter(Boolean);
  if (problems.length) {
    throw new UnsafeLoginError(
      `DATABASE_URL logs in as ${r.user}, which ${problems.join(', ')}. The API must use a login that owns nothing and ` +
        `cannot bypass row-level security (a member of ${APP_ROLE}); the owner goes into DATABASE_OWNER_URL. See README "Database logins".`,
    );
  }
}
