/** XDOMEA exchange (XÖV standard): file plans (0301) and Abgaben (0401) in and out; the XML and ZIP layer every message goes through. */
export { messageEntryName, receiveMessage } from './message-in.js';
export { abgabeMessage, extensionOf, messageFileName, type OutFile } from './messages/abgabe.js';
export { primaryFiles, readRecords, type MappedCase, type MappedDocument } from './messages/records.js';
export { createPlanExchange, produce, type PlanExchange, type XdomeaSettings } from './plan-service.js';
export { default as xdomeaRoutes } from './routes.js';
export type { AbgabeImport, AbgabeWorkflows } from './workflows.js';
export { warmUpSchemas } from './xml/validate.js';
export { DEFAULT_ZIP_LIMITS, openSafeZip, readEntry, writeZip, type ZipSource } from './zip/safe-zip.js';
export type { XdomeaVersion } from './xml/validate.js';
// In-service hand-over (Abgabe to another tenant): messages 0402/0403, the hand-over rows, the routes.
export { importConfirmationMessage, readImportConfirmation, receiptConfirmationMessage, type ImportOutcome } from './messages/handover.js';
export { handoverRepo, type HandoverRow, type HandoverState } from './handover/repo.js';
export { default as handoverRoutes } from './handover-routes.js';
export type { HandoverWorkflows } from './handover-workflows.js';
export type { Handover } from './handover-schemas.js';
// Aussonderung (0501–0507): the messages, the workflows' shapes, the export jobs' store, the routes.
export {
  anbieteverzeichnisMessage, aussonderungMessage, bewertungsverzeichnisMessage, importConfirmationMessage as archiveImportConfirmationMessage, originOf, readEvaluations,
  readImportConfirmation as readArchiveImportConfirmation, receiptMessage, type AussonderungFile, type ImportOutcome as ArchiveImportOutcome, type OutRetention,
} from './messages/aussonderung.js';
export {
  exportPrefix, XDOMEA_EXPORT_JOB_EXPIRY_SECONDS, XDOMEA_EXPORT_QUEUE, XDOMEA_EXPORT_STUCK_AFTER_MS, type ArchiveMessageImport, type AussonderungWorkflows, type EvaluationImport, type ExportStatus, type XdomeaExportJob,
} from './aussonderung-workflows.js';
export { exportRepo, type ExportRow } from './exports/repo.js';
export { messageBytes } from './message-in.js';
export { institutionOf } from './plan-service.js';
export { default as xdomeaAussonderungRoutes } from './aussonderung-routes.js';
