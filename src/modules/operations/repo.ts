import type { Db } from '../../db/client.js';

/** One operational number: a metric name (without prefix), its labels and value. */
export interface Reading {
  metric: 'webhook_deliveries' | 'outbox_undispatched' | 'audit_chain_head' | 'job_queue_jobs';
  labels: Record<string, string>;
  value: number;
}

/**
 * Counts across every tenant for /metrics: the narrow SECURITY DEFINER function `operational_counts`
 * (migration 20261202200000) returns numbers per tenant slug, never a row; the job queue's own
 * schema (pg-boss) is no tenant data.
 */
export const operationsRepo = (db: Db) => ({
  async readings(): Promise<Reading[]> {
    const [counts, jobs] = await Promise.all([
      db.$queryRaw<{ metric: Reading['metric']; tenant: string; label: string; value: number }[]>`SELECT metric, tenant, label, value FROM operational_counts()`,
      db.$queryRaw<{ name: string; state: string; n: number }[]>`SELECT name, state::text AS state, count(*)::double precision AS n FROM pgboss.job GROUP BY name, state`,
    ]);
    return [
      ...counts.map((r): Reading => ({ metric: r.metric, labels: r.metric === 'webhook_deliveries' ? { tenant: r.tenant, status: r.label } : { tenant: r.tenant }, value: Number(r.value) })),
      ...jobs.map((r) => ({ metric: 'job_queue_jobs' as const, labels: { queue: r.name, state: r.state }, value: Number(r.n) })),
    ];
  },
});
