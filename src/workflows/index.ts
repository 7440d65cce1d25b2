/**
 * Commands that span modules or components, each in one unit of work: what the routes and jobs
 * call when one service alone is not enough.
 */
import type { Scope } from '../core/index.js';
import type { RecordsOps, RecordWorkflows } from '../modules/records/index.js';
import type { BlobStore } from '../storage/index.js';
import { addVersionWorkflow } from './add-version.js';
import { closeFileWorkflow } from './close-file.js';
import { serveContentWorkflow } from './serve-content.js';

export function createRecordWorkflows(deps: { scope: Scope; records: RecordsOps; storage: BlobStore; maxBytes: number }): RecordWorkflows {
  return {
    closeFile: closeFileWorkflow(deps),
    addVersion: addVersionWorkflow(deps),
    serveContent: serveContentWorkflow(deps),
  };
}
export { intakeWorkflow, paymentWorkflow, type IncomingPart, type IntakeDeps, type IntakeWorkflow } from './intake.js';
