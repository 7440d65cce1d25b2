import { visibleConfidentiality, type RequestContext } from '../../core/index.js';
import type { RawQuery } from '../../db/read-tx.js';
import type { Tx } from '../../db/tenant-tx.js';
import { Prisma } from '../../generated/prisma/client.js';

/**
 * The records chain in PostgreSQL: files (Akten), cases (Vorgänge), documents, immutable versions
 * and uploads in progress. Bound to one unit of work's transaction and tenant; the only code of
 * the records context that talks to Prisma.
 */

export type Status = 'open' | 'closed';
export type DisposalCode = 'A' | 'B' | 'V';
/** Aussonderung: due → offered → evaluated → archived → destroyed (or evaluated V → destroyed). */
export type DisposalState = 'due' | 'offered' | 'evaluated' | 'archived' | 'destroyed';
export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** Retention, hold and disposal of a file (README "Records lifecycle"). */
export interface FileLifecycle {
  disposalCode: DisposalCode | null;
  retentionYears: number | null;
  retentionEndsOn: Date | null;
  retentionOverridden: boolean;
  holdReason: string | null;
  holdReference: string | null;
  holdBy: string | null;
  holdAt: Date | null;
  disposalState: DisposalState | null;
  disposalChangedAt: Date | null;
  archiveDecision: DisposalCode | null;
  archiveDecidedBy: string | null;
  archiveDecidedAt: Date | null;
  archiveReference: string | null;
}

export interface FileRow extends FileLifecycle {
  id: string;
  tenantId: string;
  planUnitId: string;
  /** Code of the file-plan unit, joined in. */
  planCode: string;
  reference: string;
  title: string;
  description: string | null;
  confidentiality: string;
  leadOrgUnit: string | null;
  metadata: unknown;
  status: Status;
  closedOn: Date | null;
  caseCount: number;
  rowVersion: number;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string;
}

export interface CaseRow {
  id: string;
  tenantId: string;
  fileId: string;
  reference: string;
  title: string;
  description: string | null;
  metadata: unknown;
  status: Status;
  closedOn: Date | null;
  rowVersion: number;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string;
}

export interface DocumentRow {
  id: string;
  tenantId: string;
  caseId: string;
  title: string;
  kind: string;
  receivedOn: Date | null;
  sentOn: Date | null;
  sender: string | null;
  addressee: string | null;
  metadata: unknown;
  versionCount: number;
  checkedOutBy: string | null;
  checkedOutUntil: Date | null;
  rowVersion: number;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string;
}

/** A document with the states of its case and file: what writability is decided on. */
export interface DocumentInChain extends DocumentRow {
  fileId: string;
  caseStatus: Status;
  fileStatus: Status;
}

export interface VersionRow {
  id: string;
  tenantId: string;
  documentId: string;
  number: number;
  storageKey: string;
  size: bigint;
  sha256: string;
  mediaType: string;
  filename: string;
  uploadedBy: string;
  createdAt: Date;
}

export type Lock = 'update' | 'share';

export interface NewFile {
  id: string;
  planUnitId: string;
  reference: string;
  title: string;
  description: string | null;
  confidentiality: string;
  leadOrgUnit: string | null;
  metadata: object;
  createdBy: string;
}
export type FileChanges = Partial<Pick<NewFile, 'title' | 'description' | 'confidentiality' | 'leadOrgUnit' | 'metadata'>> & {
  status?: Status;
  closedOn?: Date | null;
} & Partial<FileLifecycle>;

export interface NewCase {
  id: string;
  fileId: string;
  reference: string;
  title: string;
  description: string | null;
  metadata: object;
  createdBy: string;
}
export type CaseChanges = Partial<Pick<NewCase, 'title' | 'description' | 'metadata'>> & { status?: Status; closedOn?: Date | null };

export interface NewDocument {
  id: string;
  caseId: string;
  title: string;
  kind: string;
  receivedOn: Date | null;
  sentOn: Date | null;
  sender: string | null;
  addressee: string | null;
  metadata: object;
  createdBy: string;
}
export type DocumentChanges = Partial<Omit<NewDocument, 'id' | 'caseId' | 'createdBy'>> & {
  checkedOutBy?: string | null;
  checkedOutUntil?: Date | null;
  versionCount?: number;
};

export type NewVersion = Omit<VersionRow, 'tenantId' | 'createdAt'>;

export interface FileQuery {
  planUnitId?: string;
  status?: Status;
  /** Retention ends before this date (files with an unlimited or no retention never match). */
  retentionEndsBefore?: Date;
  disposalCode?: DisposalCode;
  disposalState?: DisposalState;
  referencePrefix?: string;
  titlePrefix?: string;
  createdFrom?: Date;
  createdTo?: Date;
  afterId?: string;
  limit: number;
}

const FILE = Prisma.sql`f.id, f.tenant_id AS "tenantId", f.plan_unit_id AS "planUnitId", u.code AS "planCode", f.reference, f.title,
  f.description, f.confidentiality, f.lead_org_unit AS "leadOrgUnit", f.metadata, f.status::text AS status, f.closed_on AS "closedOn",
  f.case_count AS "caseCount", f.row_version AS "rowVersion", f.created_at AS "createdAt", f.updated_at AS "updatedAt",
  f.created_by AS "createdBy", f.disposal_code::text AS "disposalCode", f.retention_years AS "retentionYears",
  f.retention_ends_on AS "retentionEndsOn", f.retention_overridden AS "retentionOverridden", f.hold_reason AS "holdReason",
  f.hold_reference AS "holdReference", f.hold_by AS "holdBy", f.hold_at AS "holdAt", f.disposal_state::text AS "disposalState",
  f.disposal_changed_at AS "disposalChangedAt", f.archive_decision::text AS "archiveDecision", f.archive_decided_by AS "archiveDecidedBy",
  f.archive_decided_at AS "archiveDecidedAt", f.archive_reference AS "archiveReference"`;
const CASE = Prisma.sql`c.id, c.tenant_id AS "tenantId", c.file_id AS "fileId", c.reference, c.title, c.description, c.metadata,
  c.status::text AS status, c.closed_on AS "closedOn", c.row_version AS "rowVersion", c.created_at AS "createdAt",
  c.updated_at AS "updatedAt", c.created_by AS "createdBy"`;
const DOCUMENT = Prisma.sql`d.id, d.tenant_id AS "tenantId", d.case_id AS "caseId", d.title, d.kind, d.received_on AS "receivedOn",
  d.sent_on AS "sentOn", d.sender, d.addressee, d.metadata, d.version_count AS "versionCount", d.checked_out_by AS "checkedOutBy",
  d.checked_out_until AS "checkedOutUntil", d.row_version AS "rowVersion", d.created_at AS "createdAt", d.updated_at AS "updatedAt",
  d.created_by AS "createdBy"`;
const lockClause = (lock: Lock | undefined, alias: string) =>
  lock === 'update' ? Prisma.raw(` FOR UPDATE OF ${alias}`) : lock === 'share' ? Prisma.raw(` FOR SHARE OF ${alias}`) : Prisma.empty;

/** Prisma's startsWith becomes LIKE 'x%' without escaping (prisma/prisma#19506): `%` and `_` are literal here. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, '\\$&');

const stamp = () => ({ rowVersion: { increment: 1 }, updatedAt: new Date() });

/** Only files at or below the caller's clearance (src/core/confidentiality.ts), as a condition on `alias`. */
const visibleTo = (ctx: RequestContext) => {
  const visible = visibleConfidentiality(ctx);
  return (alias: string) => Prisma.sql`${Prisma.raw(alias)}.confidentiality = ANY(${visible}::bpchar[])`;
};

/**
 * The hot reads of the records chain, each one statement: a file, a page of files, a case, a
 * document. They need only `$queryRaw`, so they run in a read unit (node-postgres, READ ONLY) as
 * the routes call them, and in a unit of work as part of recordsRepo. A lock needs the latter.
 */
export const recordsReads = (sql: RawQuery, tenantId: string, ctx: RequestContext) => {
  const fileVisible = visibleTo(ctx);
  return {
    /** One file with its plan code in one statement; `lock` holds the row until commit. */
    async file(id: string, lock?: Lock): Promise<FileRow | null> {
      const rows = await sql.$queryRaw<FileRow[]>`
        SELECT ${FILE} FROM record_file f JOIN file_plan_unit u ON u.id = f.plan_unit_id
        WHERE f.tenant_id = ${tenantId}::uuid AND f.id = ${id}::uuid AND ${fileVisible('f')}${lockClause(lock, 'f')}`;
      return rows[0] ?? null;
    },

    /**
     * A page of files in id order with their plan codes, in one statement (the hot list: no second
     * query for the plan units). Conditions only where the query sets them, so the planner keeps
     * the keyset walk on the primary key.
     */
    async filePage(q: FileQuery): Promise<FileRow[]> {
      const where = [Prisma.sql`f.tenant_id = ${tenantId}::uuid`, fileVisible('f')];
      if (q.planUnitId) where.push(Prisma.sql`f.plan_unit_id = ${q.planUnitId}::uuid`);
      if (q.status) where.push(Prisma.sql`f.status = ${q.status}::"RecordStatus"`);
      if (q.retentionEndsBefore) where.push(Prisma.sql`f.retention_ends_on < ${q.retentionEndsBefore}::date`);
      if (q.disposalCode) where.push(Prisma.sql`f.disposal_code = ${q.disposalCode}::"DisposalCode"`);
      if (q.disposalState) where.push(Prisma.sql`f.disposal_state = ${q.disposalState}::"DisposalState"`);
      if (q.referencePrefix) where.push(Prisma.sql`f.reference LIKE ${`${likeLiteral(q.referencePrefix)}%`}`);
      if (q.titlePrefix) where.push(Prisma.sql`f.title LIKE ${`${likeLiteral(q.titlePrefix)}%`}`);
      if (q.createdFrom) where.push(Prisma.sql`f.created_at >= ${q.createdFrom}::timestamptz`);
      if (q.createdTo) where.push(Prisma.sql`f.created_at < ${q.createdTo}::timestamptz`);
      if (q.afterId) where.push(Prisma.sql`f.id > ${q.afterId}::uuid`);
      return sql.$queryRaw<FileRow[]>`
        SELECT ${FILE} FROM record_file f JOIN file_plan_unit u ON u.id = f.plan_unit_id
        WHERE ${Prisma.join(where, ' AND ')} ORDER BY f.id LIMIT ${q.limit}`;
    },

    async case(id: string, lock?: Lock): Promise<CaseRow | null> {
      const rows = await sql.$queryRaw<CaseRow[]>`
        SELECT ${CASE} FROM record_case c
        WHERE c.tenant_id = ${tenantId}::uuid AND c.id = ${id}::uuid
          AND EXISTS (SELECT 1 FROM record_file f WHERE f.id = c.file_id AND ${fileVisible('f')})${lockClause(lock, 'c')}`;
      return rows[0] ?? null;
    },

    async document(id: string, lock?: 'update'): Promise<DocumentRow | null> {
      const rows = await sql.$queryRaw<DocumentRow[]>`
        SELECT ${DOCUMENT} FROM record_document d
        WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${id}::uuid
          AND EXISTS (SELECT 1 FROM record_case c JOIN record_file f ON f.id = c.file_id WHERE c.id = d.case_id AND ${fileVisible('f')})${lockClause(lock, 'd')}`;
      return rows[0] ?? null;
    },
  };
};

/**
 * The statements of adding a version (the upload's pre-check and record, the chain's locks, the
 * version), each one statement of their own SQL: they run in an SQL unit (node-postgres, the
 * same tenant transaction, without Prisma's interactive transaction) as the add-version workflow
 * calls them, and unchanged in a unit of work (`uow.repo(versionWrites)`), as intake and XDOMEA do.
 */
export const versionWrites = (sql: RawQuery, tenantId: string, ctx: RequestContext) => {
  const fileVisible = visibleTo(ctx);
  return {
    /**
     * Locks a document's chain in one statement, top-down as every writer does: the file and the
     * case shared, then the document for update. Each CTE's lock sits above the join with the one
     * before it, so the file is locked before the case and the case before the document, whatever
     * join order the planner picks; locked rows are read in their newest committed version.
     */
    async lockDocumentChain(id: string): Promise<(DocumentRow & { fileId: string; caseStatus: Status; fileStatus: Status }) | null> {
      const rows = await sql.$queryRaw<(DocumentRow & { fileId: string; caseStatus: Status; fileStatus: Status })[]>`
        WITH lf AS MATERIALIZED (
          SELECT f.id, f.status FROM record_file f
          WHERE f.tenant_id = ${tenantId}::uuid AND ${fileVisible('f')} AND f.id = (
            SELECT c.file_id FROM record_document d JOIN record_case c ON c.id = d.case_id
            WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${id}::uuid)
          FOR SHARE OF f),
        lc AS MATERIALIZED (
          SELECT c.id, c.file_id, c.status FROM record_case c JOIN lf ON lf.id = c.file_id
          WHERE c.tenant_id = ${tenantId}::uuid AND c.id = (SELECT d.case_id FROM record_document d WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${id}::uuid)
          FOR SHARE OF c),
        ld AS MATERIALIZED (
          SELECT ${DOCUMENT} FROM record_document d JOIN lc ON lc.id = d.case_id
          WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${id}::uuid
          FOR UPDATE OF d)
        SELECT ld.*, lc.file_id AS "fileId", lc.status::text AS "caseStatus", lf.status::text AS "fileStatus"
        FROM ld JOIN lc ON lc.id = ld."caseId" JOIN lf ON lf.id = lc.file_id`;
      return rows[0] ?? null;
    },

    /**
     * The pre-check of an upload and its record in one statement: the document with the states of
     * its case and file (no locks), and the upload record written when the document is found. The
     * caller checks the row and throws when the document takes no version, which rolls the record
     * back with the unit of work.
     */
    async documentInChainStartingUpload(id: string, upload: { id: string; storageKey: string }): Promise<DocumentInChain | null> {
      const rows = await sql.$queryRaw<DocumentInChain[]>`
        WITH doc AS (
          SELECT ${DOCUMENT}, c.file_id AS "fileId", c.status::text AS "caseStatus", f.status::text AS "fileStatus"
          FROM record_document d JOIN record_case c ON c.id = d.case_id JOIN record_file f ON f.id = c.file_id
          WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${id}::uuid AND ${fileVisible('f')}),
        up AS (
          INSERT INTO version_upload (id, tenant_id, document_id, storage_key)
          SELECT ${upload.id}::uuid, ${tenantId}::uuid, doc.id, ${upload.storageKey} FROM doc)
        SELECT * FROM doc`;
      return rows[0] ?? null;
    },

    /**
     * Stores the version of a completed upload in one statement: removes the upload record, inserts
     * the version and counts it on the document (releasing the check-out when `checkin`), all or
     * nothing. Null when the sweeper already collected the upload (nothing is written). The
     * document row is locked by the caller (lockDocumentChain).
     */
    async storeVersion(uploadId: string, v: NewVersion, checkin: boolean): Promise<{ version: VersionRow; documentRowVersion: number } | null> {
      const rows = await sql.$queryRaw<(VersionRow & { documentRowVersion: number })[]>`
        WITH up AS (DELETE FROM version_upload WHERE tenant_id = ${tenantId}::uuid AND id = ${uploadId}::uuid RETURNING id),
        v AS (
          INSERT INTO document_version (id, tenant_id, document_id, number, storage_key, size, sha256, media_type, filename, uploaded_by)
          SELECT ${v.id}::uuid, ${tenantId}::uuid, ${v.documentId}::uuid, ${v.number}::int, ${v.storageKey}, ${v.size}::bigint, ${v.sha256},
                 ${v.mediaType}, ${v.filename}, ${v.uploadedBy} FROM up
          RETURNING id, tenant_id AS "tenantId", document_id AS "documentId", number, storage_key AS "storageKey", size, sha256,
                    media_type AS "mediaType", filename, uploaded_by AS "uploadedBy", created_at AS "createdAt"),
        d AS (
          UPDATE record_document SET version_count = ${v.number}::int,
            checked_out_by = CASE WHEN ${checkin}::boolean THEN NULL ELSE checked_out_by END,
            checked_out_until = CASE WHEN ${checkin}::boolean THEN NULL ELSE checked_out_until END,
            row_version = row_version + 1, updated_at = ${new Date()}::timestamptz
          WHERE tenant_id = ${tenantId}::uuid AND id = ${v.documentId}::uuid AND EXISTS (SELECT 1 FROM v)
          RETURNING row_version)
        SELECT v.*, d.row_version AS "documentRowVersion" FROM v, d`;
      const row = rows[0];
      if (!row) return null;
      const { documentRowVersion, ...version } = row;
      return { version, documentRowVersion };
    },
  };
};

/**
 * Every read and lock sees only files at or below the caller's clearance, with their cases,
 * documents and versions: what is above answers like an unknown id (src/core/confidentiality.ts).
 */
export const recordsRepo = (tx: Tx, tenantId: string, ctx: RequestContext) => {
  const fileVisible = visibleTo(ctx);
  return {
    ...recordsReads(tx, tenantId, ctx),

    // ---- files -------------------------------------------------------------------------------

    /**
     * Next number in a reference scope, ahead of its related scope (src/modules/records/reference.ts);
     * the counter row stays locked until commit, so numbers never repeat.
     */
    async nextSequence(scope: { scope: string; related: string }): Promise<number> {
      const rows = await tx.$queryRaw<{ last_seq: number }[]>`
        WITH rel AS (SELECT coalesce(max(last_seq), 0) AS n FROM reference_counter WHERE tenant_id = ${tenantId}::uuid AND scope = ${scope.related})
        INSERT INTO reference_counter (tenant_id, scope, last_seq) SELECT ${tenantId}::uuid, ${scope.scope}, rel.n + 1 FROM rel
        ON CONFLICT (tenant_id, scope) DO UPDATE
          SET last_seq = greatest(reference_counter.last_seq, (SELECT n FROM rel)) + 1
        RETURNING last_seq`;
      return rows[0]!.last_seq;
    },

    /** The number `nextSequence` would give now (for a preview; nothing is taken). */
    async peekSequence(scope: { scope: string; related: string }): Promise<number> {
      const rows = await tx.$queryRaw<{ n: number }[]>`
        SELECT coalesce(max(last_seq), 0)::int + 1 AS n FROM reference_counter
        WHERE tenant_id = ${tenantId}::uuid AND scope IN (${scope.scope}, ${scope.related})`;
      return rows[0]!.n;
    },

    // Across every level: a reference is unique in the tenant, whoever can see the file holding it.
    referenceExists: async (reference: string) => (await tx.recordFile.count({ where: { tenantId, reference } })) > 0,

    async createFile(f: NewFile, planCode: string): Promise<FileRow> {
      const row = await tx.recordFile.create({ data: { ...f, tenantId } });
      return { ...row, planCode };
    },

    async updateFile(before: FileRow, changes: FileChanges): Promise<FileRow> {
      const row = await tx.recordFile.update({ where: { id: before.id, tenantId }, data: { ...changes, ...stamp() } });
      return { ...row, planCode: before.planCode };
    },

    /** Counts up the file's case numbers (the file row is locked by the caller). */
    async nextCaseNumber(fileId: string): Promise<number> {
      const rows = await tx.$queryRaw<{ case_count: number }[]>`
        UPDATE record_file SET case_count = case_count + 1 WHERE tenant_id = ${tenantId}::uuid AND id = ${fileId}::uuid
        RETURNING case_count`;
      return rows[0]!.case_count;
    },

    /** Retention and disposal code of a file-plan unit: what a file takes at zdA. */
    async planRetention(planUnitId: string): Promise<{ retentionYears: number | null; disposal: DisposalCode }> {
      const rows = await tx.$queryRaw<{ retentionYears: number | null; disposal: DisposalCode }[]>`
        SELECT retention_years AS "retentionYears", disposal::text AS disposal FROM file_plan_unit
        WHERE tenant_id = ${tenantId}::uuid AND id = ${planUnitId}::uuid`;
      return rows[0]!;
    },

    /**
     * Closed files whose retention ended before `today`, not held and not yet in disposal, locked
     * (others skip them) so two scans never mark one file twice. Ignores confidentiality: a job's scan.
     */
    async retentionEnded(today: Date, limit: number): Promise<FileRow[]> {
      return tx.$queryRaw<FileRow[]>`
        SELECT ${FILE} FROM record_file f JOIN file_plan_unit u ON u.id = f.plan_unit_id
        WHERE f.tenant_id = ${tenantId}::uuid AND f.status = 'closed' AND f.retention_ends_on < ${today}::date
          AND f.hold_at IS NULL AND f.disposal_state IS NULL
        ORDER BY f.id LIMIT ${limit} FOR UPDATE OF f SKIP LOCKED`;
    },

    /** Storage keys of every version in a file (for locks, holds and destruction). */
    async versionKeysOfFile(fileId: string): Promise<string[]> {
      const rows = await tx.$queryRaw<{ storageKey: string }[]>`
        SELECT v.storage_key AS "storageKey" FROM document_version v JOIN record_document d ON d.id = v.document_id
          JOIN record_case c ON c.id = d.case_id
        WHERE v.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid ORDER BY v.id`;
      return rows.map((r) => r.storageKey);
    },

    /** Counts of what a file holds (for the destruction record). */
    async contentsOfFile(fileId: string): Promise<{ cases: number; documents: number; versions: number; bytes: bigint }> {
      const rows = await tx.$queryRaw<{ cases: number; documents: number; versions: number; bytes: bigint }[]>`
        SELECT (SELECT count(*)::int FROM record_case c WHERE c.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid) AS cases,
               (SELECT count(*)::int FROM record_document d JOIN record_case c ON c.id = d.case_id
                 WHERE d.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid) AS documents,
               count(v.id)::int AS versions, coalesce(sum(v.size), 0)::bigint AS bytes
        FROM document_version v JOIN record_document d ON d.id = v.document_id JOIN record_case c ON c.id = d.case_id
        WHERE v.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid`;
      return rows[0]!;
    },

    /**
     * Removes the cases, documents and versions of a file already marked destroyed (row-level
     * security lets the API login delete nothing else), children first; the file row stays as tombstone.
     */
    async deleteContentsOfFile(fileId: string): Promise<void> {
      await tx.$executeRaw`
        DELETE FROM document_version v USING record_document d, record_case c
        WHERE v.document_id = d.id AND d.case_id = c.id AND v.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid`;
      await tx.$executeRaw`
        DELETE FROM record_document d USING record_case c WHERE d.case_id = c.id AND d.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid`;
      await tx.$executeRaw`DELETE FROM record_case c WHERE c.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid`;
    },

    createDestructionRecord: (r: { id: string; fileId: string; reference: string; protocol: object; destroyedBy: string; destroyedAt: Date }) =>
      tx.destructionRecord.create({ data: { ...r, tenantId } }),

    destructionRecord: (fileId: string) => tx.destructionRecord.findFirst({ where: { tenantId, fileId } }),

    // ---- cases -------------------------------------------------------------------------------

    /** The file of a case, or of a document with its case: resolved before locking top-down. */
    async parentsOf(ref: { caseId: string } | { documentId: string }): Promise<{ fileId: string; caseId: string } | null> {
      const rows =
        'caseId' in ref
          ? await tx.$queryRaw<{ fileId: string; caseId: string }[]>`
              SELECT c.file_id AS "fileId", c.id AS "caseId" FROM record_case c JOIN record_file f ON f.id = c.file_id
              WHERE c.tenant_id = ${tenantId}::uuid AND c.id = ${ref.caseId}::uuid AND ${fileVisible('f')}`
          : await tx.$queryRaw<{ fileId: string; caseId: string }[]>`
              SELECT c.file_id AS "fileId", c.id AS "caseId" FROM record_document d JOIN record_case c ON c.id = d.case_id
                JOIN record_file f ON f.id = c.file_id
              WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${ref.documentId}::uuid AND ${fileVisible('f')}`;
      return rows[0] ?? null;
    },

    createCase: (c: NewCase): Promise<CaseRow> => tx.recordCase.create({ data: { ...c, tenantId } }),

    updateCase: (id: string, changes: CaseChanges): Promise<CaseRow> =>
      tx.recordCase.update({ where: { id, tenantId }, data: { ...changes, ...stamp() } }),

    /** The open cases of a file, locked for closing, in id order (the order every closer takes). */
    async openCasesOfFile(fileId: string): Promise<CaseRow[]> {
      return tx.$queryRaw<CaseRow[]>`
        SELECT ${CASE} FROM record_case c WHERE c.tenant_id = ${tenantId}::uuid AND c.file_id = ${fileId}::uuid AND c.status = 'open'
        ORDER BY c.id FOR UPDATE OF c`;
    },

    countOpenCases: (fileId: string) => tx.recordCase.count({ where: { tenantId, fileId, status: 'open' } }),

    casePage: (fileId: string, q: { status?: Status; afterId?: string; limit: number }): Promise<CaseRow[]> =>
      tx.recordCase.findMany({
        where: { tenantId, fileId, status: q.status, id: q.afterId ? { gt: q.afterId } : undefined },
        orderBy: { id: 'asc' },
        take: q.limit,
      }),

    // ---- documents ---------------------------------------------------------------------------

    /** A document with the states of its case and file, in one statement (no locks: a pre-check). */
    async documentInChain(id: string): Promise<DocumentInChain | null> {
      const rows = await tx.$queryRaw<DocumentInChain[]>`
        SELECT ${DOCUMENT}, c.file_id AS "fileId", c.status::text AS "caseStatus", f.status::text AS "fileStatus"
        FROM record_document d JOIN record_case c ON c.id = d.case_id JOIN record_file f ON f.id = c.file_id
        WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${id}::uuid AND ${fileVisible('f')}`;
      return rows[0] ?? null;
    },

    /** Documents whose check-out lapsed before `now`, locked (others skip them), for the release job. */
    async lapsedCheckouts(now: Date, limit: number): Promise<(DocumentRow & { fileId: string })[]> {
      return tx.$queryRaw<(DocumentRow & { fileId: string })[]>`
        SELECT ${DOCUMENT}, c.file_id AS "fileId" FROM record_document d JOIN record_case c ON c.id = d.case_id
        WHERE d.tenant_id = ${tenantId}::uuid AND d.checked_out_until IS NOT NULL AND d.checked_out_until <= ${now}
        ORDER BY d.id LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED`;
    },

    createDocument: (d: NewDocument): Promise<DocumentRow> => tx.recordDocument.create({ data: { ...d, tenantId } }),

    updateDocument: (id: string, changes: DocumentChanges): Promise<DocumentRow> =>
      tx.recordDocument.update({ where: { id, tenantId }, data: { ...changes, ...stamp() } }),

    documentPage: (caseId: string, q: { afterId?: string; limit: number }): Promise<DocumentRow[]> =>
      tx.recordDocument.findMany({
        where: { tenantId, caseId, id: q.afterId ? { gt: q.afterId } : undefined },
        orderBy: { id: 'asc' },
        take: q.limit,
      }),

    // ---- versions and uploads ----------------------------------------------------------------

    createVersion: (v: NewVersion): Promise<VersionRow> => tx.documentVersion.create({ data: { ...v, tenantId } }),

    /** One version, if the caller may see its document's file. */
    async version(documentId: string, number: number): Promise<VersionRow | null> {
      const rows = await tx.$queryRaw<VersionRow[]>`
        SELECT v.id, v.tenant_id AS "tenantId", v.document_id AS "documentId", v.number, v.storage_key AS "storageKey", v.size, v.sha256,
               v.media_type AS "mediaType", v.filename, v.uploaded_by AS "uploadedBy", v.created_at AS "createdAt"
        FROM document_version v JOIN record_document d ON d.id = v.document_id JOIN record_case c ON c.id = d.case_id
          JOIN record_file f ON f.id = c.file_id
        WHERE v.tenant_id = ${tenantId}::uuid AND v.document_id = ${documentId}::uuid AND v.number = ${number}::int AND ${fileVisible('f')}`;
      return rows[0] ?? null;
    },

    versionPage: (documentId: string, q: { afterNumber?: number; limit: number }): Promise<VersionRow[]> =>
      tx.documentVersion.findMany({
        where: { tenantId, documentId, number: q.afterNumber ? { gt: q.afterNumber } : undefined },
        orderBy: { number: 'asc' },
        take: q.limit,
      }),

    /** Records an upload before its first byte is stored, so a crash leaves a findable leftover. */
    startUpload: (u: { id: string; documentId: string; storageKey: string }) => tx.versionUpload.create({ data: { ...u, tenantId } }),

    /** Removes the upload record; false when the sweeper already collected it. */
    async finishUpload(id: string): Promise<boolean> {
      const { count } = await tx.versionUpload.deleteMany({ where: { tenantId, id } });
      return count === 1;
    },

    markUploadFailed: (id: string) => tx.versionUpload.updateMany({ where: { tenantId, id }, data: { state: 'failed' } }),

    staleUploads: (q: { startedBefore: Date; failedBefore: Date; limit: number }) =>
      tx.versionUpload.findMany({
        where: {
          tenantId,
          OR: [{ createdAt: { lt: q.startedBefore } }, { state: 'failed', createdAt: { lt: q.failedBefore } }],
        },
        take: q.limit,
      }),

    /** Which of these storage keys belong to a version or a running upload. */
    async knownKeys(keys: string[]): Promise<Set<string>> {
      const [versions, uploads] = await Promise.all([
        tx.documentVersion.findMany({ where: { tenantId, storageKey: { in: keys } }, select: { storageKey: true } }),
        tx.versionUpload.findMany({ where: { tenantId, storageKey: { in: keys } }, select: { storageKey: true } }),
      ]);
      return new Set([...versions, ...uploads].map((r) => r.storageKey));
    },
  };
};

export type RecordsRepo = ReturnType<typeof recordsRepo>;
