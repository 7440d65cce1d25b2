/**
 * Commands that span modules or components, each in one unit of work: what the routes and jobs
 * call when one service alone is not enough.
 */
import type { Scope, SqlScope, UnitOfWork } from '../core/index.js';
import type { LockMode, RecordsOps, RecordWorkflows } from '../modules/records/index.js';
import type { BlobStore } from '../storage/index.js';
import { addVersionWorkflow } from './add-version.js';
import { closeFileWorkflow } from './close-file.js';
import { lifecycleWorkflows, type LifecycleDeps } from './lifecycle.js';
import type { Config } from '../config.js';
import { resumableUploadWorkflow, type ResumableUploadWorkflow } from './resumable-upload.js';
import { serveContentWorkflow, type DownloadRedirectSettings } from './serve-content.js';

export type { DownloadRedirectSettings } from './serve-content.js';
export { RESUMABLE_PREFIX, type ResumableUploadWorkflow } from './resumable-upload.js';
export { DESTROY_CONTENT_QUEUE, removeObjects, type DestroyContentJob } from './lifecycle.js';

export function createRecordWorkflows(deps: {
  scope: Scope;
  /** SQL units (node-postgres, no Prisma interactive transaction): adding a version. */
  sql: SqlScope;
  records: RecordsOps;
  storage: BlobStore;
  maxBytes: number;
  wormMode: (uow: UnitOfWork) => Promise<LockMode>;
  downloads?: DownloadRedirectSettings;
  /** Resumable (tus) uploads: only with S3 storage. */
  resumable?: { s3: Extract<Config['storage'], { kind: 's3' }>; expirySeconds: number };
}): RecordWorkflows & { resumable?: ResumableUploadWorkflow } {
  const lifecycle: LifecycleDeps = deps;
  const addVersion = addVersionWorkflow(deps);
  const resumable = deps.resumable
    ? resumableUploadWorkflow({ ...deps, ...deps.resumable, addVersion })
    : undefined;
  return {
    ...lifecycleWorkflows(lifecycle),
    closeFile: closeFileWorkflow(lifecycle),
    addVersion,
    serveContent: serveContentWorkflow(deps),
    ...(resumable ? { resumableUpload: resumable.handle, resumable } : {}),
  };
}

export { xdomeaAbgabeWorkflows } from './xdomea-abgabe.js';
export { xdomeaAussonderungWorkflows } from './xdomea-aussonderung.js';
export { intakeWorkflow, paymentWorkflow, type IncomingPart, type IntakeDeps, type IntakeWorkflow } from './intake.js';
export { xdomeaHandoverWorkflows } from './xdomea-handover.js';
