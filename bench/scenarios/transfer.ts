// Downloads answered with a redirect to a presigned MinIO URL, and resumable (tus) uploads, each ÷
// minio-js moving the same bytes (getObject; putObject, which goes multipart above the part size),
// in interleaved pairs so that machine drift cancels.
import http from 'node:http';
import { generated, newDocument, streamDownload } from '../lib/client.js';
import { fmtMiB, MiB, type BenchContext, type GoalRow } from '../lib/context.js';
import { pairedRatios, round, summarize } from '../lib/stats.js';

interface Sample {
  apiMiBps: number;
  directMiBps: number;
}

const time = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};

/** One tus request on the service; `size` bytes of generated content as the body when given. */
function tusRequest(url: string, method: string, headers: Record<string, string>, size?: number) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'tus-resumable': '1.0.0', ...headers, ...(size === undefined ? {} : { 'content-length': String(size) }) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (size === undefined) req.end();
    else generated(size).pipe(req);
  });
}

export async function run(ctx: BenchContext) {
  const sizes = ctx.quick ? [64 * MiB] : [64 * MiB, 1024 * MiB];
  const rows: GoalRow[] = [];
  const details: Record<string, { redirect: Sample[]; tus: Sample[] }> = {};
  const base = `/v1/tenants/${ctx.tenant}`;
  const auth = { authorization: `Bearer ${ctx.token}` };

  for (const size of sizes) {
    const doc = await newDocument(ctx.server, ctx.token, ctx.tenant, `BTUS${size / MiB}`);
    let etag = doc.etag;
    const redirect: Sample[] = [];
    const tus: Sample[] = [];

    /** A tus upload as tus-js-client sends it with its default chunk size: creation, then one PATCH of everything. */
    const tusUpload = async () => {
      let number = 0;
      const seconds = await time(async () => {
        const created = await tusRequest(`${ctx.server.url}${base}/documents/${doc.id}/uploads`, 'POST', {
          ...auth, 'upload-length': String(size), 'if-match': etag, 'upload-metadata': `filename ${Buffer.from('scan.bin').toString('base64')}`,
        });
        if (created.status !== 201) throw new Error(`tus creation: ${created.status} ${created.body}`);
        const sent = await tusRequest(`${ctx.server.url}${created.headers.location}`, 'PATCH', {
          ...auth, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream',
        }, size);
        if (sent.status !== 204) throw new Error(`tus PATCH: ${sent.status} ${sent.body}`);
        etag = String(sent.headers['document-etag']);
        number = Number(String(sent.headers['content-location']).split('/').at(-1));
      });
      return { seconds, number };
    };
    const directPut = async (name: string) => {
      let versionId: string | null = null;
      const seconds = await time(async () => {
        versionId = (await ctx.minio.putObject(ctx.bucket, name, generated(size), size)).versionId;
      });
      return { seconds, versionId };
    };
    /** The client follows the 307 to MinIO (as browsers, curl -L and fetch do). */
    const redirectedDownload = (number: number) =>
      time(async () => {
        const res = await fetch(`${ctx.server.url}${base}/documents/${doc.id}/versions/${number}/content?redirect=true`, { headers: auth, redirect: 'manual' });
        if (res.status !== 307) throw new Error(`redirect: ${res.status} ${await res.text()}`);
        const got = await streamDownload(res.headers.get('location')!, {});
        if (got !== size) throw new Error(`redirected download ${got} of ${size}`);
      });
    const directGet = (name: string) =>
      time(async () => {
        let n = 0;
        for await (const chunk of await ctx.minio.getObject(ctx.bucket, name)) n += (chunk as Buffer).length;
        if (n !== size) throw new Error(`direct download ${n} of ${size}`);
      });

    // One untimed round trip each way first (connections, JIT, bucket cache).
    {
      const w = await tusUpload();
      await redirectedDownload(w.number);
      const d = await directPut(`bench/tus-direct/${size}/warm`);
      await directGet(`bench/tus-direct/${size}/warm`);
      await ctx.minio.removeObject(ctx.bucket, `bench/tus-direct/${size}/warm`, { versionId: d.versionId ?? undefined });
    }

    for (let rep = 0; rep < ctx.reps; rep++) {
      const name = `bench/tus-direct/${size}/${rep}`;
      const apiFirst = rep % 2 === 0;
      const a = apiFirst ? await tusUpload() : undefined;
      const d = await directPut(name);
      const up = a ?? (await tusUpload());
      tus.push({ apiMiBps: size / MiB / up.seconds, directMiBps: size / MiB / d.seconds });
      const ad = apiFirst ? await redirectedDownload(up.number) : undefined;
      const dd = await directGet(name);
      const down = ad ?? (await redirectedDownload(up.number));
      redirect.push({ apiMiBps: size / MiB / down, directMiBps: size / MiB / dd });
      await ctx.minio.removeObject(ctx.bucket, name, { versionId: d.versionId ?? undefined });
      ctx.log(
        `  ${fmtMiB(size)} rep ${rep + 1}/${ctx.reps}: tus up ${round(tus.at(-1)!.apiMiBps, 0)} vs ${round(tus.at(-1)!.directMiBps, 0)} MiB/s, ` +
          `redirected down ${round(redirect.at(-1)!.apiMiBps, 0)} vs ${round(redirect.at(-1)!.directMiBps, 0)} MiB/s`,
      );
    }

    details[fmtMiB(size)] = { redirect, tus };
    const note = (s: Sample[], what: string) =>
      `${what} ${round(summarize(s.map((x) => x.apiMiBps)).median, 0)} MiB/s, direct ${round(summarize(s.map((x) => x.directMiBps)).median, 0)} MiB/s`;
    const downRatio = summarize(pairedRatios(redirect.map((x) => x.apiMiBps), redirect.map((x) => x.directMiBps)));
    const upRatio = summarize(pairedRatios(tus.map((x) => x.apiMiBps), tus.map((x) => x.directMiBps)));
    rows.push({
      scenario: `download ${fmtMiB(size)}, redirected (GET …/content?redirect=true, client follows the 307)`,
      measure: 'throughput ÷ direct minio-js getObject',
      goal: '≥ 0.9',
      value: downRatio,
      pass: downRatio.median >= 0.9,
      note: note(redirect, 'API + MinIO'),
    });
    rows.push({
      scenario: `upload ${fmtMiB(size)} over tus (creation + one PATCH, version on completion)`,
      measure: 'throughput ÷ direct minio-js multipart putObject',
      goal: 'report',
      value: upRatio,
      pass: null,
      note: note(tus, 'tus'),
    });
  }
  return { rows, details };
}
