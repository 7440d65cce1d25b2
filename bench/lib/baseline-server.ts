// The bare baseline of the read scenarios: a plain Fastify app on node-postgres that sends exactly the
// statements the API sends for getFile and listFiles (captured from the wire, and held there by
// test/perf/statement-counts.test.ts): the caller's shared rate-limit count (INSERT … ON CONFLICT on
// rate_limit_bucket, outside the transaction), then BEGIN READ ONLY; set_config('app.tenant_id', …, true);
// one SELECT record_file … JOIN file_plan_unit … (with the confidentiality filter); COMMIT,
// as role en_akte_app (so row-level security applies), with the same pool size. No auth, no ORM, no
// hooks: what is left is the cost of the database round trips and of HTTP itself.
// Started as a child process by bench/lib/baseline.ts; prints `listening <port>` when ready.
import Fastify from 'fastify';
import pg from 'pg';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const pool = new pg.Pool({
  connectionString: url,
  max: Number(process.env.DB_POOL_MAX ?? 10),
  options: '-c role=en_akte_app',
});
pool.on('error', () => undefined);

/** getFile's one statement: the file with its plan code joined in (src/modules/records/repo.ts). */
const JOINED = [
  'id', 'tenant_id', 'plan_unit_id', 'reference', 'title', 'description', 'confidentiality', 'lead_org_unit', 'metadata',
  'status', 'closed_on', 'case_count', 'row_version', 'created_at', 'updated_at', 'created_by',
]
  .map((c) => (c === 'status' ? 'f.status::text AS status' : `f.${c}`))
  .concat('u.code AS plan_code')
  .join(', ');

interface FileRow {
  id: string;
  tenant_id: string;
  plan_unit_id: string;
  reference: string;
  title: string;
  description: string | null;
  confidentiality: string;
  lead_org_unit: string | null;
  metadata: unknown;
  status: string;
  closed_on: Date | null;
  row_version: number;
  created_at: Date;
  updated_at: Date;
  created_by: string;
}

const tenants = new Map<string, string>();
for (const row of (await pool.query<{ slug: string; id: string }>('SELECT slug, id FROM tenant')).rows) tenants.set(row.slug, row.id);

/**
 * The caller's shared rate-limit count (src/plugins/rate-limit.ts), the same upsert on the same
 * one row per caller that the API sends before its transaction: the bench's one token is one caller.
 */
async function countRequest(tenant: string): Promise<void> {
  await pool.query(
    `INSERT INTO rate_limit_bucket AS b (key, count, expires_at) VALUES ($1, 1, now() + $2 * interval '1 millisecond')
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN b.expires_at <= now() THEN 1 ELSE b.count + 1 END,
       expires_at = CASE WHEN b.expires_at <= now() THEN now() + $2 * interval '1 millisecond' ELSE b.expires_at END
     RETURNING count, GREATEST(0, ceil(EXTRACT(EPOCH FROM (expires_at - now())) * 1000))::bigint AS ttl`,
    [`baseline:${tenant}:bench`, 60_000],
  );
}

/** What the API's default clearance sees (src/core/confidentiality.ts): every file filter carries it. */
const VISIBLE = ['003', '002', '005', '001', '004'];

/** BEGIN READ ONLY; set_config; fn; COMMIT on one pooled connection, as the API's read units do (src/db/read-tx.ts). */
async function inTenant<T>(tenantId: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);
const toJson = (r: FileRow, codes: Map<string, string>) => ({
  id: r.id,
  reference: r.reference,
  planUnitId: r.plan_unit_id,
  planCode: codes.get(r.plan_unit_id),
  title: r.title,
  description: r.description,
  confidentiality: r.confidentiality,
  leadOrgUnit: r.lead_org_unit,
  metadata: r.metadata,
  status: r.status,
  closedOn: day(r.closed_on),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  createdBy: r.created_by,
});

const app = Fastify({ logger: false });

app.get<{ Params: { tenant: string; fileId: string } }>('/v1/tenants/:tenant/files/:fileId', async (request, reply) => {
  const tenantId = tenants.get(request.params.tenant);
  if (!tenantId) return reply.code(404).send({ status: 404 });
  await countRequest(request.params.tenant);
  const out = await inTenant(tenantId, async (c) => {
    const rows = (
      await c.query<FileRow & { plan_code: string }>(
        `SELECT ${JOINED} FROM record_file f JOIN file_plan_unit u ON u.id = f.plan_unit_id
         WHERE f.tenant_id = $1::uuid AND f.id = $2::uuid AND f.confidentiality = ANY($3::bpchar[])`,
        [tenantId, request.params.fileId, VISIBLE],
      )
    ).rows;
    return rows[0] ? toJson(rows[0], new Map([[rows[0].plan_unit_id, rows[0].plan_code]])) : null;
  });
  if (!out) return reply.code(404).send({ status: 404 });
  reply.header('etag', `"${out.id}.1"`);
  return out;
});

app.get<{ Params: { tenant: string }; Querystring: { limit?: string; cursor?: string } }>('/v1/tenants/:tenant/files', async (request, reply) => {
  const tenantId = tenants.get(request.params.tenant);
  if (!tenantId) return reply.code(404).send({ status: 404 });
  const limit = Number(request.query.limit ?? 50);
  const after = request.query.cursor
    ? (JSON.parse(Buffer.from(request.query.cursor, 'base64url').toString('utf8')) as { after: string }).after
    : undefined;
  await countRequest(request.params.tenant);
  return inTenant(tenantId, async (c) => {
    // listFiles' one statement: the page with its plan codes joined in (src/modules/records/repo.ts).
    const rows = (
      await c.query<FileRow & { plan_code: string }>(
        `SELECT ${JOINED} FROM record_file f JOIN file_plan_unit u ON u.id = f.plan_unit_id
         WHERE f.tenant_id = $1::uuid AND f.confidentiality = ANY($2::bpchar[])${after ? ' AND f.id > $4::uuid' : ''} ORDER BY f.id LIMIT $3`,
        after ? [tenantId, VISIBLE, limit + 1, after] : [tenantId, VISIBLE, limit + 1],
      )
    ).rows;
    const codes = new Map(rows.map((r) => [r.plan_unit_id, r.plan_code]));
    const items = rows.slice(0, limit);
    const next = rows.length > limit ? Buffer.from(JSON.stringify({ after: items.at(-1)!.id })).toString('base64url') : null;
    return { items: items.map((r) => toJson(r, codes)), next };
  });
});

const shutdown = () => {
  void app.close().then(() => pool.end()).finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
