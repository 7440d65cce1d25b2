/**
 * The records context: files (Akten), cases (Vorgänge), documents and their immutable versions.
 * The only entry other modules, workflows, jobs and the app import.
 */
import type { UnitOfWork } from '../../core/index.js';
import { recordsRepo } from './repo.js';
import { caseOps } from './service/cases.js';
import { documentOps } from './service/documents.js';
import { closeDate, fileOps, type FilingDeps } from './service/files.js';
import { lifecycleOps } from './service/lifecycle.js';
import { settingsOps } from './service/settings.js';
import { versionOps } from './service/versions.js';

/** Every operation of the records context, each taking the unit of work it acts in. */
export function createRecords(deps: FilingDeps) {
  return {
    ...fileOps(deps),
    ...caseOps,
    ...documentOps,
    ...versionOps,
    // Retention, legal hold, disposal (Aussonderung), destruction: see service/lifecycle.ts and
    // README "Records lifecycle". The XDOMEA workflows drive disposal through offerForDisposal,
    // recordArchiveDecision, confirmArchived and filesInDisposalState.
    ...lifecycleOps,
    ...settingsOps(deps.tenantSettings),

    /** The file an object belongs to (support grants limited to one file); null when unknown. */
    async fileOfObject(uow: UnitOfWork, ref: { fileId?: string; caseId?: string; documentId?: string }): Promise<string | null> {
      if (ref.fileId) return ref.fileId;
      if (ref.caseId) return (await uow.repo(recordsRepo).parentsOf({ caseId: ref.caseId }))?.fileId ?? null;
      if (ref.documentId) return (await uow.repo(recordsRepo).parentsOf({ documentId: ref.documentId }))?.fileId ?? null;
      return null;
    },

    fileExists: async (uow: UnitOfWork, id: string): Promise<boolean> => (await uow.repo(recordsRepo).file(id)) !== null,
  };
}

export type RecordsOps = ReturnType<typeof createRecords>;
export { closeDate, type FilingDeps };
export { contentEtag } from './present.js';
export { default as recordRoutes } from './routes/index.js';
export { createUploadSweeper, type UploadSweeper, type UploadSweepResult } from './sweeper.js';
export type { ContentAnswer, ContentConditions, IncomingContent, RecordWorkflows, ResumableAnswer } from './workflows.js';
export type { PendingUpload, StoredContent, StoredVersion } from './service/versions.js';
export { RecordFile } from './schemas/files.js';
export { DEFAULT_REFERENCE_PATTERN, patternProblem } from './reference.js';
export type { Precondition } from './service/lifecycle.js';
export type { DisposalCode, DisposalState, FileRow, LockMode } from './repo.js';
export { retentionEnd, retentionEnded, lockUntil } from './retention.js';
export {
  ArchiveDecision,
  ArchiveDecisionBody,
  ArchivedBody,
  DestructionRecord,
  DisposalState as DisposalStateSchema,
  RetentionOverride,
  PlaceHold,
} from './schemas/lifecycle.js';
export type { TenantSettingsStore } from './service/settings.js';
