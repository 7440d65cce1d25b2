// 50 clients add versions to 50 different documents at the same time (each follows its own
// Document-ETag), against 50 clients putting the same bytes straight into MinIO with minio-js.
import { generated, newDocument, streamUpload } from '../lib/client.js';
import { fmtMiB, MiB, type BenchContext, type GoalRow } from '../lib/context.js';
import { sampleActivity } from '../lib/pg-activity.js';
import { pairedRatios, round, summarize } from '../lib/stats.js';

const CLIENTS = 50;

const describeActivity = (a: Record<string, number>) =>
  Object.entries(a)
    .slice(0, 4)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');

export async function run(ctx: BenchContext) {
  const size = 1 * MiB;
  const perClient = ctx.quick ? 1 : 10;
  const base = `/v1/tenants/${ctx.tenant}`;
  const auth = { authorization: `Bearer ${ctx.token}` };
  const docs: { id: string; etag: string }[] = [];
  for (let i = 0; i < CLIENTS; i++) docs.push(await newDocument(ctx.server, ctx.token, ctx.tenant, 'BCONC'));

  const apiRound = async (versionsPerClient = perClient) => {
    const errors: string[] = [];
    let ok = 0;
    const activity = await sampleActivity(ctx.server.db.url);
    const t0 = performance.now();
    await Promise.all(
      docs.map(async (doc) => {
        for (let i = 0; i < versionsPerClient; i++) {
          try {
            const res = await streamUpload(`${ctx.server.url}${base}/documents/${doc.id}/versions`, {
              ...auth, 'content-type': 'application/octet-stream', 'if-match': doc.etag,
            }, size);
            if (res.status !== 201) {
              errors.push(`${res.status} ${res.body.slice(0, 200)}`);
              continue;
            }
            doc.etag = String(res.headers['document-etag']);
            ok++;
          } catch (err) {
            errors.push(String(err));
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return { perSecond: ok / seconds, ok, errors, seconds, dbConnections: await activity.stop() };
  };

  const directRound = async (rep: number, objectsPerClient = perClient) => {
    const objects: { name: string; versionId: string | null }[] = [];
    const t0 = performance.now();
    await Promise.all(
      docs.map(async (_doc, c) => {
        for (let i = 0; i < objectsPerClient; i++) {
          const name = `bench/conc/${rep}/${c}/${i}`;
          const info = await ctx.minio.putObject(ctx.bucket, name, generated(size), size);
          objects.push({ name, versionId: info.versionId });
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    for (const o of objects) await ctx.minio.removeObject(ctx.bucket, o.name, { versionId: o.versionId ?? undefined });
    return { perSecond: objects.length / seconds, seconds };
  };

  await apiRound(1); // warm-up: connections, JIT, pool
  await directRound(-1, 1);
  const api: Awaited<ReturnType<typeof apiRound>>[] = [];
  const direct: Awaited<ReturnType<typeof directRound>>[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    if (rep % 2 === 0) {
      api.push(await apiRound());
      direct.push(await directRound(rep));
    } else {
      direct.push(await directRound(rep));
      api.push(await apiRound());
    }
    ctx.log(
      `  rep ${rep + 1}/${ctx.reps}: ${round(api.at(-1)!.perSecond, 1)} versions/s (${api.at(-1)!.errors.length} errors) ` +
        `vs ${round(direct.at(-1)!.perSecond, 1)} direct puts/s; DB connections: ${describeActivity(api.at(-1)!.dbConnections)}`,
    );
  }

  const errors = api.flatMap((a) => a.errors);
  const ratio = summarize(pairedRatios(api.map((a) => a.perSecond), direct.map((d) => d.perSecond)));
  const rows: GoalRow[] = [
    {
      scenario: `${CLIENTS} clients add ${fmtMiB(size)} versions to ${CLIENTS} documents`,
      measure: 'versions/s ÷ direct minio-js puts/s (50 clients)',
      goal: 'report',
      value: ratio,
      pass: null,
      note:
        `${round(summarize(api.map((a) => a.perSecond)).median, 1)} versions/s vs ${round(summarize(direct.map((d) => d.perSecond)).median, 1)} puts/s, ` +
        `${CLIENTS * perClient} per rep; DB connections (avg): ${describeActivity(api.at(-1)!.dbConnections)}`,
    },
    {
      scenario: `${CLIENTS} clients add versions: errors`,
      measure: 'failed requests per rep',
      goal: '0',
      value: summarize(api.map((a) => a.errors.length)),
      unit: 'errors per rep',
      pass: errors.length === 0,
      note: `${errors.length} errors in total, ${api.reduce((s, a) => s + a.ok, 0)} versions stored` + (errors.length ? `; first: ${errors[0]}` : ''),
    },
  ];
  return { rows, details: { clients: CLIENTS, perClient, sizeBytes: size, api, direct } };
}
