import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { QUEUES } from '../../src/jobs/index.js';
import { buildTestApp, TEST_METRICS_TOKEN, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';
import { recordFactories } from '../support/records.js';

/**
 * The Grafana dashboard (deploy/grafana) and the Prometheus alert rules (deploy/prometheus) chart
 * and watch only what the service exports: every metric their queries name is in /metrics of a
 * real app, with the type the query's suffix implies; and the numbers behind them are the real ones.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy/grafana/dashboards/en-akte.json'), 'utf8')) as {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
  templating: { list: { query?: string | { query: string } }[] };
};
const alerts = parse(readFileSync(path.join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
const prometheus = parse(readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { rule_files: string[] };

const panelExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
const variableExprs = dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' ? [{ where: 'variable', expr: v.query.query }] : []));
const alertExprs = alerts.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));

/** Prometheus' own series, not the service's. */
const PROMETHEUS_OWN = new Set(['up']);

/** The metric names a PromQL expression selects: every en_akte_* name, and any name followed by a selector or range. */
function metricsOf(expr: string): string[] {
  const names = new Set(expr.match(/\ben_akte_[a-z0-9_]+/g) ?? []);
  for (const m of expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) names.add(m[1]!);
  return [...names];
}

/** The families /metrics declares: name → type (from the `# TYPE` lines). */
function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Whether /metrics declares `name`: as a family of its own, or as the _bucket, _sum or _count series of a histogram. */
function declares(declared: Map<string, string>, name: string): boolean {
  if (declared.has(name)) return true;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return !!m && declared.get(m[1]!) === 'histogram';
}

/** The value of one sample line of /metrics, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^(\S+?)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe('dashboard and alert rules', () => {
  it('are there and name metrics at all: every panel has a query, every alert an expression, Prometheus loads the rules', () => {
    expect(panelExprs.length).toBeGreaterThanOrEqual(20);
    expect(dashboard.panels.filter((p) => p.type !== 'row').every((p) => (p.targets ?? []).length > 0)).toBe(true);
    expect(alertExprs.map((a) => a.where)).toEqual([
      'alert EnAkteDown', 'alert EnAkteHighErrorRate', 'alert EnAkteSlowMetadata', 'alert EnAkteDatabasePoolExhausted', 'alert EnAkteEventLoopLag',
      'alert EnAkteJobsFailing', 'alert EnAkteJobBacklog', 'alert EnAkteOutboxBacklog', 'alert EnAkteWebhooksFailing',
      'alert EnAkteWebhookDeliveriesGivenUp', 'alert EnAkteAuditAnchorStale',
    ]);
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    for (const { expr } of [...panelExprs, ...alertExprs]) expect(metricsOf(expr).length).toBeGreaterThan(0);
  });

  it('covers what operators watch: requests by route and tenant, latency, errors, throughput, job queues, webhook failures, anchors, the pool', () => {
    const all = [...panelExprs, ...variableExprs].map((e) => e.expr).join('\n');
    for (const needle of [
      'sum by (route) (rate(en_akte_http_request_duration_seconds_count', 'sum by (tenant) (rate(en_akte_http_request_duration_seconds_count',
      'histogram_quantile(0.99, sum by (le, route) (rate(en_akte_http_request_duration_seconds_bucket', 'status=~"4..|5.."',
      'rate(en_akte_content_bytes_total', 'en_akte_job_queue_jobs', 'en_akte_webhook_deliveries{status="failed"',
      'en_akte_webhook_attempts_total', 'en_akte_audit_anchor_seq', 'en_akte_audit_anchor_timestamp_seconds', 'en_akte_db_pool_connections',
      'label_values(en_akte_http_request_duration_seconds_count, tenant)',
    ]) {
      expect(all).toContain(needle);
    }
  });
});

describe('the metrics behind them', () => {
  let t: TestApp;
  let text = '';
  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    return res.body;
  };
  const content = Buffer.from('Bescheid über die Gebühr, 3 Seiten.\n'.repeat(200));

  beforeAll(async () => {
    const db = await isolatedDatabase('dashboards');
    // The anchor job runs on demand below, never on its own schedule.
    t = await buildTestApp({ ...db.env, AUDIT_ANCHOR_INTERVAL_SECONDS: '0' });
    const worker = await t.startWorker();
    const f = recordFactories(t, 'herdecke');
    const file = await f.file();
    const kase = await f.kase(file.id);
    const doc = await f.document(kase.id);
    const up = await f.upload(f.clerk, doc.id, content, doc.etag);
    expect(up.statusCode).toBe(201);
    const down = await f.clerk.get(`/documents/${doc.id}/versions/1/content`);
    expect(createHash('sha256').update(down.rawPayload).digest('hex')).toBe(createHash('sha256').update(content).digest('hex'));
    expect((await f.clerk.get(`/files/${file.id}`)).statusCode).toBe(200);
    expect((await f.clerk.get('/files/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    await worker.trigger(QUEUES.auditAnchor.name);
    // Wait (at most a minute) until the worker ran the anchor job; then everything is in place.
    for (let i = 0; i < 240 && sample((text = await scrape()), 'en_akte_jobs_total', { queue: QUEUES.auditAnchor.name, outcome: 'completed' }) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 250));
    }
    // The operational counts are read once per scrape (kept 1 s): read them after the job.
    await new Promise((r) => setTimeout(r, 1100));
    text = await scrape();
  }, 120_000);
  afterAll(() => t.close());

  it('has every metric a panel, the tenant variable or an alert selects (histogram series only of histograms)', () => {
    const declared = families(text);
    const missing: string[] = [];
    for (const { where, expr } of [...panelExprs, ...variableExprs, ...alertExprs]) {
      for (const name of metricsOf(expr)) {
        if (PROMETHEUS_OWN.has(name)) continue;
        if (!declares(declared, name)) missing.push(`${where}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('count the requests by route, status and tenant, and the content moved each way, byte for byte', () => {
    expect(sample(text, 'en_akte_http_request_duration_seconds_count', { method: 'GET', route: '/v1/tenants/:tenant/files/:fileId', status: '200', tenant: 'herdecke' })).toBe(1);
    expect(sample(text, 'en_akte_http_request_duration_seconds_count', { method: 'GET', route: '/v1/tenants/:tenant/files/:fileId', status: '404', tenant: 'herdecke' })).toBe(1);
    expect(sample(text, 'en_akte_content_bytes_total', { direction: 'upload', tenant: 'herdecke' })).toBe(content.length);
    expect(sample(text, 'en_akte_content_bytes_total', { direction: 'download', tenant: 'herdecke' })).toBe(content.length);
  });

  it('read the audit chain heads, anchors, job queues and the pool from the real state', async () => {
    const anchors = (await recordFactories(t, 'herdecke').as(['auditor']).get('/audit/anchors?limit=1')).json() as { items: { seq: number }[] };
    const seq = anchors.items[0]!.seq;
    expect(seq).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'en_akte_audit_anchor_seq', { tenant: 'herdecke' })).toBe(seq);
    expect(sample(text, 'en_akte_audit_chain_head_seq', { tenant: 'herdecke' })).toBeGreaterThanOrEqual(seq);
    expect(sample(text, 'en_akte_jobs_total', { queue: QUEUES.auditAnchor.name, outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'en_akte_job_queue_jobs', { queue: QUEUES.auditAnchor.name, state: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'en_akte_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'en_akte_webhook_deliveries', { tenant: 'herdecke', status: 'failed' })).toBeUndefined();
  });
});
