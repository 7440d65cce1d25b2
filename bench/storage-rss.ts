// Streams N GiB through the BlobStore port into a real MinIO and reports how much the process's RSS
// grew, against the idle RSS measured in the same run. Also times the same bytes through minio-js'
// putObject as the baseline. Usage: node --import tsx bench/storage-rss.ts [GiB=1] [partMiB=16]
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { createMinioBlobStore } from '../src/storage/minio.js';
import { startMinio } from '../test/support/minio-server.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const total = Number(process.argv[2] ?? 1) * GiB;
const partSize = Number(process.argv[3] ?? 16) * MiB;

/** A stream of `size` bytes built from one random 1 MiB block, so generating it costs no memory. */
function source(size: number): Readable {
  const block = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(64 * 1024, size - sent);
      const chunk = block.subarray(sent % MiB, (sent % MiB) + n);
      sent += n;
      this.push(Buffer.from(chunk));
    },
  });
}

async function measure(label: string, run: () => Promise<unknown>) {
  global.gc?.();
  const idle = process.memoryUsage().rss;
  let peak = idle;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const result = {
    label,
    idleMB: +(idle / MiB).toFixed(1),
    peakMB: +(peak / MiB).toFixed(1),
    growthMB: +((peak - idle) / MiB).toFixed(1),
    MBps: +(total / MiB / seconds).toFixed(1),
  };
  console.log(JSON.stringify(result));
  return result;
}

const minio = await startMinio();
try {
  const endpoint = new URL(minio.endpoint);
  const store = createMinioBlobStore({
    endpoint, accessKey: minio.accessKey, secretKey: minio.secretKey, region: 'us-east-1', bucketPrefix: 'bench-', partSize,
  });
  await store.ensureBucket('witten');
  const port = await measure(`BlobStore.put ${total / GiB} GiB, part ${partSize / MiB} MiB`, () =>
    store.put('witten', `rss/${Date.now()}`, source(total), { contentType: 'application/octet-stream' }),
  );
  const raw = new Client({
    endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false,
    accessKey: minio.accessKey, secretKey: minio.secretKey, partSize,
  });
  const direct = await measure(`minio-js putObject ${total / GiB} GiB, part ${partSize / MiB} MiB`, () =>
    raw.putObject('bench-witten', `rss-direct/${Date.now()}`, source(total)),
  );
  console.log(JSON.stringify({ throughputRatio: +(port.MBps / direct.MBps).toFixed(2) }));
} finally {
  await minio.stop();
}
