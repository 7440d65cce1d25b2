// Upload and download throughput through the API, each ÷ minio-js moving the same bytes to and from
// the same MinIO (same bucket, same part size), in interleaved pairs so that machine drift cancels.
import { startPipeProxy } from '../lib/baseline.js';
import { generated, newDocument, streamDownload, streamUpload } from '../lib/client.js';
import { fmtMiB, MiB, type BenchContext, type GoalRow } from '../lib/context.js';
import { pairedRatios, round, summarize } from '../lib/stats.js';

export interface StreamSample {
  apiMiBps: number;
  directMiBps: number;
  /** Downloads only: the same object through a bare Node.js pipe proxy (one extra hop, no app). */
  proxyMiBps?: number;
}

const time = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};

/** Small sizes are timed as a batch of sequential transfers, so one rep is not a few milliseconds. */
const batchFor = (size: number, quick: boolean) => Math.min(quick ? 5 : 20, Math.max(1, Math.floor((64 * MiB) / size)));

export async function run(ctx: BenchContext) {
  const proxy = await startPipeProxy(ctx.server.s3.endpoint);
  try {
    return await measure(ctx, proxy.url);
  } finally {
    await proxy.stop();
  }
}

async function measure(ctx: BenchContext, proxyOrigin: string) {
  const sizes = ctx.quick ? [1 * MiB, 64 * MiB] : [1 * MiB, 64 * MiB, 1024 * MiB];
  const rows: GoalRow[] = [];
  const details: Record<string, { batch: number; upload: StreamSample[]; download: StreamSample[] }> = {};
  const base = `/v1/tenants/${ctx.tenant}`;
  const auth = { authorization: `Bearer ${ctx.token}` };

  for (const size of sizes) {
    const batch = batchFor(size, ctx.quick);
    const doc = await newDocument(ctx.server, ctx.token, ctx.tenant, 'BSTREAM');
    let etag = doc.etag;
    const up: StreamSample[] = [];
    const down: StreamSample[] = [];

    const apiUpload = async () => {
      const numbers: number[] = [];
      const seconds = await time(async () => {
        for (let i = 0; i < batch; i++) {
          const res = await streamUpload(`${ctx.server.url}${base}/documents/${doc.id}/versions`, {
            ...auth, 'content-type': 'application/octet-stream', 'if-match': etag,
          }, size);
          if (res.status !== 201) throw new Error(`upload ${fmtMiB(size)}: ${res.status} ${res.body}`);
          etag = String(res.headers['document-etag']);
          numbers.push((JSON.parse(res.body) as { number: number }).number);
        }
      });
      return { seconds, numbers };
    };
    const directUpload = async (rep: number) => {
      const objects: { name: string; versionId: string | null }[] = [];
      const seconds = await time(async () => {
        for (let i = 0; i < batch; i++) {
          const name = `bench/direct/${size}/${rep}/${i}`;
          const info = await ctx.minio.putObject(ctx.bucket, name, generated(size), size);
          objects.push({ name, versionId: info.versionId });
        }
      });
      return { seconds, objects };
    };
    const apiDownload = (numbers: number[]) =>
      time(async () => {
        for (const n of numbers) {
          const got = await streamDownload(`${ctx.server.url}${base}/documents/${doc.id}/versions/${n}/content`, auth);
          if (got !== size) throw new Error(`downloaded ${got} of ${size}`);
        }
      });
    const proxyDownload = async (objects: { name: string }[]) => {
      const urls: string[] = [];
      for (const o of objects) {
        const signed = new URL(await ctx.minio.presignedGetObject(ctx.bucket, o.name, 600));
        urls.push(`${proxyOrigin}${signed.pathname}${signed.search}`);
      }
      return time(async () => {
        for (const url of urls) {
          const got = await streamDownload(url, {});
          if (got !== size) throw new Error(`proxy download ${got} of ${size}`);
        }
      });
    };
    const directDownload = (objects: { name: string }[]) =>
      time(async () => {
        for (const o of objects) {
          let n = 0;
          for await (const chunk of await ctx.minio.getObject(ctx.bucket, o.name)) n += (chunk as Buffer).length;
          if (n !== size) throw new Error(`direct download ${n} of ${size}`);
        }
      });

    // One untimed round trip each way first (connections, JIT, bucket cache).
    {
      const w = await apiUpload();
      await apiDownload(w.numbers.slice(0, 1));
      const d = await directUpload(-1);
      await directDownload(d.objects.slice(0, 1));
      await proxyDownload(d.objects.slice(0, 1));
      for (const o of d.objects) await ctx.minio.removeObject(ctx.bucket, o.name, { versionId: o.versionId ?? undefined });
    }

    for (let rep = 0; rep < ctx.reps; rep++) {
      const bytes = size * batch;
      const apiFirst = rep % 2 === 0;
      let a: Awaited<ReturnType<typeof apiUpload>>;
      let d: Awaited<ReturnType<typeof directUpload>>;
      if (apiFirst) {
        a = await apiUpload();
        d = await directUpload(rep);
      } else {
        d = await directUpload(rep);
        a = await apiUpload();
      }
      up.push({ apiMiBps: bytes / MiB / a.seconds, directMiBps: bytes / MiB / d.seconds });
      let ad: number;
      let dd: number;
      let pd: number;
      if (apiFirst) {
        ad = await apiDownload(a.numbers);
        dd = await directDownload(d.objects);
        pd = await proxyDownload(d.objects);
      } else {
        pd = await proxyDownload(d.objects);
        dd = await directDownload(d.objects);
        ad = await apiDownload(a.numbers);
      }
      down.push({ apiMiBps: bytes / MiB / ad, directMiBps: bytes / MiB / dd, proxyMiBps: bytes / MiB / pd });
      // The service's versions are immutable; the baseline's copies are not needed any more.
      for (const o of d.objects) await ctx.minio.removeObject(ctx.bucket, o.name, { versionId: o.versionId ?? undefined });
      ctx.log(
        `  ${fmtMiB(size)} rep ${rep + 1}/${ctx.reps}: up ${round(up.at(-1)!.apiMiBps, 0)} vs ${round(up.at(-1)!.directMiBps, 0)} MiB/s, ` +
          `down ${round(down.at(-1)!.apiMiBps, 0)} vs ${round(down.at(-1)!.directMiBps, 0)} MiB/s (pipe proxy ${round(down.at(-1)!.proxyMiBps!, 0)})`,
      );
    }

    details[fmtMiB(size)] = { batch, upload: up, download: down };
    const note = (s: StreamSample[]) =>
      `API ${round(summarize(s.map((x) => x.apiMiBps)).median, 0)} MiB/s, direct ${round(summarize(s.map((x) => x.directMiBps)).median, 0)} MiB/s` +
      (batch > 1 ? ` (${batch} transfers per rep)` : '');
    const upRatio = summarize(pairedRatios(up.map((x) => x.apiMiBps), up.map((x) => x.directMiBps)));
    const downRatio = summarize(pairedRatios(down.map((x) => x.apiMiBps), down.map((x) => x.directMiBps)));
    rows.push({
      scenario: `upload ${fmtMiB(size)} (POST …/versions)`,
      measure: 'throughput ÷ direct minio-js putObject',
      goal: '≥ 0.8 (aim 0.9)',
      value: upRatio,
      pass: upRatio.median >= 0.8,
      note: note(up),
    });
    rows.push({
      scenario: `download ${fmtMiB(size)} (GET …/content)`,
      measure: 'throughput ÷ direct minio-js getObject',
      goal: '≥ 0.9',
      value: downRatio,
      pass: downRatio.median >= 0.9,
      note: note(down),
    });
    const proxyRatio = summarize(pairedRatios(down.map((x) => x.proxyMiBps!), down.map((x) => x.directMiBps)));
    rows.push({
      scenario: `download ${fmtMiB(size)} through a bare Node.js pipe proxy`,
      measure: 'throughput ÷ direct minio-js getObject (ceiling for any streaming API)',
      goal: 'report',
      value: proxyRatio,
      pass: null,
      note: `proxy ${round(summarize(down.map((x) => x.proxyMiBps!)).median, 0)} MiB/s; API ÷ proxy ${round(
        summarize(pairedRatios(down.map((x) => x.apiMiBps), down.map((x) => x.proxyMiBps!))).median,
      )}`,
    });
  }
  return { rows, details };
}
