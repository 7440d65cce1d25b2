// Streams content through the API (upload and download) and reports throughput against direct
// minio-js transfers of the same bytes to the same MinIO, and the API process's peak RSS above idle.
// Usage: node --import tsx bench/api-stream.ts [sizeMiB=1024] [partMiB=16]
import { writeFileSync } from 'node:fs';
import { Client } from 'minio';
import { api, generated, newDocument, streamDownload, streamUpload, tokenFor } from './lib/client.js';
import { startBenchServer } from './lib/server.js';

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 1024) * MiB;
const partSize = Number(process.argv[3] ?? 16) * MiB;
const server = await startBenchServer({ S3_PART_SIZE: String(partSize) });

/** Runs `fn` while sampling the server's RSS; peak is reset first (/proc/PID/clear_refs 5). */
async function measured(fn: () => Promise<unknown>) {
  writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  const idle = server.rss().current;
  const started = performance.now();
  await fn();
  const seconds = (performance.now() - started) / 1000;
  return { seconds, MBps: size / MiB / seconds, rssGrowthMB: (server.rss().peak - idle) / MiB, idleMB: idle / MiB };
}

try {
  const tenant = 'witten';
  const token = await tokenFor(server, tenant, ['clerk', 'records-manager']);
  const doc = await newDocument(server, token, tenant, 'B1');
  const auth = { authorization: `Bearer ${token}` };

  const up = await measured(async () => {
    const res = await streamUpload(`${server.url}/v1/tenants/${tenant}/documents/${doc.id}/versions`, {
      ...auth, 'content-type': 'application/octet-stream', 'if-match': doc.etag,
    }, size);
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.body}`);
  });
  const down = await measured(async () => {
    const n = await streamDownload(`${server.url}/v1/tenants/${tenant}/documents/${doc.id}/versions/1/content`, auth);
    if (n !== size) throw new Error(`downloaded ${n} of ${size}`);
  });
  await api(server, token, 'GET', `/v1/tenants/${tenant}/documents/${doc.id}`);

  const endpoint = new URL(server.s3.endpoint);
  const minio = new Client({
    endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false,
    accessKey: server.s3.accessKey, secretKey: server.s3.secretKey, partSize,
  });
  let t0 = performance.now();
  await minio.putObject('en-akte-witten', 'bench/direct', generated(size), size);
  const directUp = size / MiB / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  let n = 0;
  for await (const chunk of await minio.getObject('en-akte-witten', 'bench/direct')) n += (chunk as Buffer).length;
  const directDown = size / MiB / ((performance.now() - t0) / 1000);
  if (n !== size) throw new Error('direct download size mismatch');

  const r = (x: number) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({
    sizeMiB: size / MiB,
    partMiB: partSize / MiB,
    upload: { apiMBps: r(up.MBps), directMBps: r(directUp), ratio: Math.round((up.MBps / directUp) * 100) / 100, serverRssGrowthMB: r(up.rssGrowthMB) },
    download: { apiMBps: r(down.MBps), directMBps: r(directDown), ratio: Math.round((down.MBps / directDown) * 100) / 100, serverRssGrowthMB: r(down.rssGrowthMB) },
    serverIdleRssMB: r(up.idleMB),
  }, null, 2));
} finally {
  await server.stop();
}
