import type { Readable } from 'node:stream';
import type { Caller, GrantRef, RequestContext, TenantRef } from '../../core/index.js';
import type { AbgabeImport } from './workflows.js';
import type { XdomeaVersion } from './xml/validate.js';

/** Queue of the XDOMEA export jobs (0503 Aussonderung, 0401 Abgabe): src/jobs/registry.ts. */
export const XDOMEA_EXPORT_QUEUE = 'xdomea.export';
/** How long an export job may be active before pg-boss expires it (it is not retried). */
export const XDOMEA_EXPORT_JOB_EXPIRY_SECONDS = 6 * 3600;
/** A queued or running export older than this was left by a crashed worker (twice the job's expiry): the sweep fails it. */
export const XDOMEA_EXPORT_STUCK_AFTER_MS = 2 * XDOMEA_EXPORT_JOB_EXPIRY_SECONDS * 1000;
/** Where an export's container (and any part a crashed job left) lies in the tenant's bucket. */
export const exportPrefix = (exportId: string) => `xdomea/exports/${exportId}/`;

/** What an export job carries: the export and who asked for it (their roles, clearance and grant apply in the job). */
export interface XdomeaExportJob {
  exportId: string;
  tenant: TenantRef;
  caller: Caller;
  grant: GrantRef | null;
}

/** The status resource of an export run as a job. */
export interface ExportStatus {
  id: string;
  message: '0401' | '0503';
  version: XdomeaVersion;
  processId: string;
  fileIds: string[];
  /** `expired`: its container was deleted after XDOMEA_EXPORT_RETENTION_HOURS; `withdrawn`: a file it held was destroyed, and its container with it. */
  state: 'queued' | 'running' | 'done' | 'failed' | 'expired' | 'withdrawn';
  progress: { entriesDone: number; entriesTotal: number; bytesDone: number; bytesTotal: number };
  filename: string | null;
  size: number | null;
  sha256: string | null;
  error: string | null;
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What the 0502 import recorded, beside the 0505 receipt it answers with. */
export interface EvaluationImport {
  version: XdomeaVersion;
  processId: string | null;
  sender: string | null;
  archived: string[];
  destroyed: string[];
}

/** What a 0504, 0506 or 0507 from the archive changed. */
export interface ArchiveMessageImport {
  message: '0504' | '0506' | '0507';
  version: XdomeaVersion;
  processId: string | null;
  sender: string | null;
  archived: { fileId: string; archiveReference: string }[];
  failed: { fileId: string; errors: string[] }[];
}

/**
 * Aussonderung (disposal to the archive) across modules and storage; src/workflows/ implements it,
 * the routes only know these shapes.
 */
export interface AussonderungWorkflows {
  /** 0501 for the given due files; they move to `offered` in the same transaction. */
  offer(ctx: RequestContext, input: { fileIds: string[]; version: XdomeaVersion; recipient?: string }): Promise<{ filename: string; xml: string; processId: string }>;
  /** 0502 from the archive: the decision per offered file, all or nothing; answers with the 0505 receipt. */
  importEvaluation(ctx: RequestContext, body: Buffer | undefined): Promise<{ filename: string; xml: string; result: EvaluationImport }>;
  /** Queues a 0503 (files evaluated A) or 0401 (one file) export job. */
  requestExport(ctx: RequestContext, input: { message: '0401' | '0503'; fileIds?: string[]; version: XdomeaVersion; recipient?: string }): Promise<ExportStatus>;
  exportStatus(ctx: RequestContext, id: string): Promise<ExportStatus>;
  exportContent(ctx: RequestContext, id: string): Promise<{ filename: string; size: number; body: Readable }>;
  /** The job: writes the container from storage through the ZIP writer into storage. */
  runExport(job: XdomeaExportJob): Promise<object>;
  /** The sweep's step: deletes the containers of exports done longer than the retention (→ expired), fails exports a crashed worker left queued or running. */
  sweepExports(tenant: TenantRef, now?: number): Promise<{ exportsExpired: number; exportsFailed: number }>;
  /** 0504, 0506 or 0507 from the archive; 0506 marks each file archived with its Archivkennung, or records its error. */
  importArchiveMessage(ctx: RequestContext, body: Buffer | undefined): Promise<ArchiveMessageImport>;
  /** A 0503 container (from any XDOMEA system) imported as a new file under `planCode`, all or nothing. */
  importAussonderung(ctx: RequestContext, body: AsyncIterable<Uint8Array>, q: { planCode: string }): Promise<AbgabeImport>;
}
