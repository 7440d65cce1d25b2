// The 0503 Aussonderung export of a file whose versions total ≥ 2 GiB, through the real flow, on
// the real service in its own process (src/server.ts, worker in-process): reports the API
// process's peak RSS above idle while the export job streams every version from MinIO through the
// ZIP writer into MinIO, and the throughput. Usage: node --import tsx bench/xdomea-rss.ts [GiB=2] [versions=4]
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { bewertungsverzeichnisMessage } from '../src/modules/xdomea/messages/aussonderung.js';
import { serialize } from '../src/modules/xdomea/xml/writer.js';
import { api, streamDownload, streamUpload, tokenFor } from './lib/client.js';
import { startBenchServer } from './lib/server.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const total = Number(process.argv[2] ?? 2) * GiB;
const versions = Number(process.argv[3] ?? 4);
const each = Math.ceil(total / versions);
const server = await startBenchServer({ METRICS_PORT: '0', METRICS_TOKEN: 'bench-metrics-token-0123456789abcdef', RETENTION_SCAN_INTERVAL_SECONDS: '2', MAX_UPLOAD_BYTES: String(each + MiB) });
const r = (x: number) => Math.round(x * 10) / 10;

try {
  const tenant = 'witten';
  const base = `/v1/tenants/${tenant}`;
  const token = await tokenFor(server, tenant, ['clerk', 'records-manager']);
  const auth = { authorization: `Bearer ${token}` };
  const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => api(server, token, method, `${base}${url}`, body, headers);

  // A file kept 1 year (disposal A), one case, one document with `versions` versions of `each` bytes.
  await call('POST', '/file-plan/units', { code: 'X9', title: 'Bench Aussonderung', retentionYears: 1, disposal: 'A' });
  const file = (await call('POST', '/files', { planCode: 'X9', title: 'Bench Aussonderung' })).json;
  const kase = await call('POST', `/files/${file.id}/cases`, { title: 'Bench' });
  const doc = await call('POST', `/cases/${kase.json.id}/documents`, { title: 'Bench', kind: 'scan' });
  let etag = doc.headers.get('etag')!;
  const seedStarted = performance.now();
  for (let i = 0; i < versions; i++) {
    // video/mp4: stored in the container as is (no deflate of incompressible bytes), no text extraction.
    const res = await streamUpload(`${server.url}${base}/documents/${doc.json.id}/versions?filename=teil-${i + 1}.mp4`, { ...auth, 'content-type': 'video/mp4', 'if-match': etag }, each);
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.body}`);
    etag = res.headers['document-etag'] as string;
  }
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const caseEtag = (await call('GET', `/cases/${kase.json.id}`)).headers.get('etag')!;
  await call('POST', `/cases/${kase.json.id}/close`, {}, { 'if-match': caseEtag });
  const fileEtag = (await call('GET', `/files/${file.id}`)).headers.get('etag')!;
  await call('POST', `/files/${file.id}/close`, { closedOn: '2015-06-30' }, { 'if-match': fileEtag });
  // The retention scan (every 2 s here) marks it due.
  for (let i = 0; ; i++) {
    if ((await call('GET', `/files/${file.id}`)).json.disposal?.state === 'due') break;
    if (i > 300) throw new Error('the file never became due');
    await sleep(200);
  }
  // 0501 out, 0502 (A) in.
  const offer = await fetch(`${server.url}${base}/xdomea/aussonderung/offers`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ fileIds: [file.id] }) });
  if (offer.status !== 200) throw new Error(`offer: ${offer.status} ${await offer.text()}`);
  const processId = /<xdomea:ProzessID>([^<]+)</.exec(await offer.text())![1]!;
  const evaluation = serialize(bewertungsverzeichnisMessage({
    version: '3.0.0', processId, messageId: processId, createdAt: new Date(Date.now() - 1000), sender: { institution: 'Landesarchiv NRW' }, recipient: { institution: 'EN-Akte witten' },
  }, processId, [{ id: file.id, decision: 'A' }]));
  const evaluated = await fetch(`${server.url}${base}/xdomea/aussonderung/evaluations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/xml' }, body: evaluation });
  if (evaluated.status !== 200) throw new Error(`evaluation: ${evaluated.status} ${await evaluated.text()}`);

  // The 0503 job, with the API process's peak RSS reset first (/proc/PID/clear_refs 5).
  await sleep(2000);
  writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  const idle = server.rss().current;
  let sampledPeak = idle;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, server.rss().current)), 50);
  const started = performance.now();
  const queued = await call('POST', '/xdomea/exports', { message: '0503', fileIds: [file.id] });
  let status = queued.json;
  while (status.state === 'queued' || status.state === 'running') {
    await sleep(500);
    status = (await api(server, token, 'GET', queued.headers.get('location')!)).json;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const peak = Math.max(server.rss().peak, sampledPeak);
  if (status.state !== 'done') throw new Error(`export ${status.state}: ${status.error}`);
  const downloaded = await streamDownload(`${server.url}${queued.headers.get('location')}/content`, auth);
  if (downloaded !== status.size) throw new Error(`downloaded ${downloaded} of ${status.size}`);

  console.log(JSON.stringify({
    versions, versionMiB: r(each / MiB), contentGiB: r((each * versions) / GiB), containerMiB: r(status.size / MiB), entries: status.progress.entriesDone,
    seedUploadMBps: r((each * versions) / MiB / seedSeconds),
    export: { seconds: r(seconds), MBps: r(status.size / MiB / seconds) },
    apiRss: { idleMB: r(idle / MiB), peakMB: r(peak / MiB), growthMB: r((peak - idle) / MiB), growthPerContent: Math.round(((peak - idle) / (each * versions)) * 10000) / 10000 },
  }, null, 2));
} finally {
  await server.stop();
}
