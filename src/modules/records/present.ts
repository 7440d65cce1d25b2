import { etagOf } from '../../lib/etag.js';
import { formatOptionalDate } from '../../lib/dates.js';
import type { Versioned } from '../../lib/reply.js';
import type { CaseRow, DocumentRow, FileRow, VersionRow } from './repo.js';
import type { RecordCase } from './schemas/cases.js';
import type { RecordDocument } from './schemas/documents.js';
import type { RecordFile } from './schemas/files.js';
import type { Version } from './schemas/versions.js';

/** Rows as the API represents them, with their strong ETags. */

/** Every file, case and document changes its row version with each write: that is its ETag. */
export const etagOfRow = (row: { id: string; rowVersion: number }) => etagOf(row.id, row.rowVersion);

export function toRecordFile(row: FileRow): RecordFile {
  return {
    id: row.id,
    reference: row.reference,
    planUnitId: row.planUnitId,
    planCode: row.planCode,
    title: row.title,
    description: row.description,
    confidentiality: row.confidentiality as RecordFile['confidentiality'],
    leadOrgUnit: row.leadOrgUnit,
    metadata: row.metadata as Record<string, unknown>,
    status: row.status,
    closedOn: formatOptionalDate(row.closedOn),
    retention: row.disposalCode
      ? { disposalCode: row.disposalCode, retentionYears: row.retentionYears, endsOn: formatOptionalDate(row.retentionEndsOn), overridden: row.retentionOverridden }
      : null,
    hold: row.holdAt ? { reason: row.holdReason!, reference: row.holdReference, by: row.holdBy!, at: row.holdAt.toISOString() } : null,
    disposal: row.disposalState
      ? {
          state: row.disposalState,
          changedAt: row.disposalChangedAt!.toISOString(),
          decision: row.archiveDecision as 'A' | 'V' | null,
          decidedBy: row.archiveDecidedBy,
          decidedAt: row.archiveDecidedAt?.toISOString() ?? null,
          archiveReference: row.archiveReference,
        }
      : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

export function toRecordCase(row: CaseRow): RecordCase {
  return {
    id: row.id,
    fileId: row.fileId,
    reference: row.reference,
    title: row.title,
    description: row.description,
    metadata: row.metadata as Record<string, unknown>,
    status: row.status,
    closedOn: formatOptionalDate(row.closedOn),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

/** The active check-out of a document, if any (an expired one no longer counts). */
export function activeCheckout(doc: Pick<DocumentRow, 'checkedOutBy' | 'checkedOutUntil'>, now = new Date()) {
  return doc.checkedOutBy && doc.checkedOutUntil && doc.checkedOutUntil > now ? { by: doc.checkedOutBy, until: doc.checkedOutUntil } : null;
}

export function toRecordDocument(row: DocumentRow): RecordDocument {
  const checkout = activeCheckout(row);
  return {
    id: row.id,
    caseId: row.caseId,
    title: row.title,
    kind: row.kind as RecordDocument['kind'],
    receivedOn: formatOptionalDate(row.receivedOn),
    sentOn: formatOptionalDate(row.sentOn),
    sender: row.sender,
    addressee: row.addressee,
    metadata: row.metadata as Record<string, unknown>,
    versionCount: row.versionCount,
    checkout: checkout ? { by: checkout.by, until: checkout.until.toISOString() } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

export const contentUrl = (tenant: string, documentId: string, n: number) => `/v1/tenants/${tenant}/documents/${documentId}/versions/${n}/content`;

export function toVersion(tenant: string, row: VersionRow): Version {
  return {
    id: row.id,
    documentId: row.documentId,
    number: row.number,
    size: Number(row.size),
    sha256: row.sha256,
    mediaType: row.mediaType,
    filename: row.filename,
    uploadedBy: row.uploadedBy,
    createdAt: row.createdAt.toISOString(),
    contentUrl: contentUrl(tenant, row.documentId, row.number),
  };
}

/** The ETag of a version's content: its SHA-256 (content never changes, so it never goes stale). */
export const contentEtag = (sha256: string) => `"${sha256}"`;

export type Kind = 'file' | 'case' | 'document';
export interface RowOf {
  file: FileRow;
  case: CaseRow;
  document: DocumentRow;
}
export interface Representation {
  file: RecordFile;
  case: RecordCase;
  document: RecordDocument;
}

const PRESENT: { [K in Kind]: (row: RowOf[K]) => Representation[K] } = { file: toRecordFile, case: toRecordCase, document: toRecordDocument };

/** The API representation of a file, case or document. */
export const present = <K extends Kind>(kind: K, row: RowOf[K]): Representation[K] => PRESENT[kind](row);

export const versioned = <K extends Kind>(kind: K, row: RowOf[K]): Versioned<Representation[K]> => ({ value: present(kind, row), etag: etagOfRow(row) });
