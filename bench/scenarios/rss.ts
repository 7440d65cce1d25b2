// Peak resident memory of the API process while one large stream goes up and then down, above the
// idle RSS measured right before. The kernel's high-water mark (VmHWM, reset through
// /proc/PID/clear_refs) catches peaks between samples; a 20 ms VmRSS sampler backs it up.
import { writeFileSync } from 'node:fs';
import { newDocument, streamDownload, streamUpload } from '../lib/client.js';
import { fmtMiB, GiB, MiB, type BenchContext, type GoalRow } from '../lib/context.js';
import { round, summarize } from '../lib/stats.js';

export async function run(ctx: BenchContext) {
  const size = ctx.quick ? 128 * MiB : 2 * GiB;
  const limitMiB = (2 * ctx.partSize) / MiB + 64;
  const base = `/v1/tenants/${ctx.tenant}`;
  const auth = { authorization: `Bearer ${ctx.token}` };
  const doc = await newDocument(ctx.server, ctx.token, ctx.tenant, 'BRSS');
  let etag = doc.etag;
  let hwmWorks = true;

  const measured = async (fn: () => Promise<void>) => {
    try {
      writeFileSync(`/proc/${ctx.server.pid}/clear_refs`, '5');
    } catch {
      hwmWorks = false;
    }
    const idle = ctx.server.rss().current;
    let sampled = idle;
    const timer = setInterval(() => {
      sampled = Math.max(sampled, ctx.server.rss().current);
    }, 20);
    const t0 = performance.now();
    try {
      await fn();
    } finally {
      clearInterval(timer);
    }
    const seconds = (performance.now() - t0) / 1000;
    const peak = Math.max(sampled, hwmWorks ? ctx.server.rss().peak : 0);
    return { idleMiB: idle / MiB, peakMiB: peak / MiB, growthMiB: (peak - idle) / MiB, MiBps: size / MiB / seconds };
  };

  // Warm-up, not measured: JIT, pool and MinIO connections belong to the idle footprint.
  {
    const res = await streamUpload(`${ctx.server.url}${base}/documents/${doc.id}/versions`, {
      ...auth, 'content-type': 'application/octet-stream', 'if-match': etag,
    }, MiB);
    if (res.status !== 201) throw new Error(`warm-up upload: ${res.status} ${res.body}`);
    etag = String(res.headers['document-etag']);
    await streamDownload(`${ctx.server.url}${base}/documents/${doc.id}/versions/1/content`, auth);
  }

  const up: Awaited<ReturnType<typeof measured>>[] = [];
  const down: Awaited<ReturnType<typeof measured>>[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    let number = 0;
    up.push(
      await measured(async () => {
        const res = await streamUpload(`${ctx.server.url}${base}/documents/${doc.id}/versions`, {
          ...auth, 'content-type': 'application/octet-stream', 'if-match': etag,
        }, size);
        if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.body}`);
        etag = String(res.headers['document-etag']);
        number = (JSON.parse(res.body) as { number: number }).number;
      }),
    );
    down.push(
      await measured(async () => {
        const n = await streamDownload(`${ctx.server.url}${base}/documents/${doc.id}/versions/${number}/content`, auth);
        if (n !== size) throw new Error(`downloaded ${n} of ${size}`);
      }),
    );
    ctx.log(
      `  rep ${rep + 1}/${ctx.reps}: idle ${round(up.at(-1)!.idleMiB, 0)} MiB, up +${round(up.at(-1)!.growthMiB, 1)} MiB ` +
        `(${round(up.at(-1)!.MiBps, 0)} MiB/s), down +${round(down.at(-1)!.growthMiB, 1)} MiB (${round(down.at(-1)!.MiBps, 0)} MiB/s)`,
    );
  }

  const rows: GoalRow[] = [];
  for (const [dir, samples] of [['upload', up], ['download', down]] as const) {
    const growth = summarize(samples.map((s) => s.growthMiB));
    rows.push({
      scenario: `peak RSS, ${dir} ${fmtMiB(size)}`,
      measure: 'API RSS peak − idle RSS (MiB)',
      goal: `≤ 2 × part (${ctx.partSize / MiB} MiB) + 64 = ${limitMiB} MiB`,
      value: growth,
      unit: 'MiB',
      // Every repetition must stay under the limit, not only the median.
      pass: growth.max <= limitMiB,
      // Idle moves with GC and with freed part buffers malloc keeps mapped: the goal takes the worst rep.
      note:
        `idle ${round(summarize(samples.map((s) => s.idleMiB)).min, 0)}–${round(summarize(samples.map((s) => s.idleMiB)).max, 0)} MiB; ` +
        `${round(summarize(samples.map((s) => s.MiBps)).median, 0)} MiB/s; met when every rep is under the limit`,
    });
  }
  return { rows, details: { sizeBytes: size, partSize: ctx.partSize, limitMiB, hwmWorks, upload: up, download: down } };
}
