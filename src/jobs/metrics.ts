import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What the job worker of this process did, for /metrics: a registry of the process (not of an app
 * instance), because the worker runs in `npm start` beside the API or alone in `npm run worker`,
 * and both serve it on their metrics listener.
 */
export const jobRegistry = new Registry();

export const jobMetrics = {
  runs: new Counter({
    name: 'en_akte_jobs_total',
    help: 'Jobs run by this process, by queue and outcome (completed, failed: pg-boss retries a failed job)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [jobRegistry],
  }),
  duration: new Histogram({
    name: 'en_akte_job_duration_seconds',
    help: 'Run time of a job by queue',
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [jobRegistry],
  }),
  webhookAttempts: new Counter({
    name: 'en_akte_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: succeeded, pending (failed, will be retried), failed (given up), skipped',
    labelNames: ['outcome'] as const,
    registers: [jobRegistry],
  }),
  anchorSeq: new Gauge({
    name: 'en_akte_audit_anchor_seq',
    help: 'Sequence number of the latest signed audit checkpoint (anchor) per tenant, as this process last wrote or found it',
    labelNames: ['tenant'] as const,
    registers: [jobRegistry],
  }),
  anchorTime: new Gauge({
    name: 'en_akte_audit_anchor_timestamp_seconds',
    help: 'When the audit anchor job last checkpointed a tenant (Unix time)',
    labelNames: ['tenant'] as const,
    registers: [jobRegistry],
  }),
};
