import os from 'node:os';
import type { Client } from 'minio';
import type { Baseline } from './baseline.js';
import type { LoadGenerator } from './load.js';
import type { BenchServer } from './server.js';
import type { Summary } from './stats.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Everything a scenario needs; built once by bench/run.ts. */
export interface BenchContext {
  quick: boolean;
  /** Repetitions of every measurement (≥ 5). */
  reps: number;
  server: BenchServer;
  /** Tenant all requests go to (its files are one share of the seeded rows). */
  tenant: string;
  tenantId: string;
  /** Token with clerk + records-manager roles in `tenant`. */
  token: string;
  /** S3 multipart part size of the service, and of the direct minio-js baseline. */
  partSize: number;
  /** minio-js client on the same MinIO, same part size: the baseline of the streaming scenarios. */
  minio: Client;
  /** The tenant's bucket (the service's own, so the baseline writes with the same bucket settings). */
  bucket: string;
  load: LoadGenerator;
  baseline: Baseline;
  /** Rows the seeded data set holds (grown by the scale scenario). */
  seededFiles: number;
  log(line: string): void;
}

/** One line of the results table. */
export interface GoalRow {
  scenario: string;
  measure: string;
  goal: string;
  /** The measured ratio (or MiB for RSS) over the repetitions. */
  value: Summary;
  unit?: string;
  /** true/false against the goal; null when the issue only asks to report. */
  pass: boolean | null;
  /** Absolute numbers behind the ratio, for the reader. */
  note?: string;
}

export interface ScenarioResult {
  name: string;
  rows: GoalRow[];
  details: unknown;
  seconds: number;
  loadavg: { before: number[]; after: number[] };
}

export const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

export const fmtMiB = (bytes: number) => (bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);
