import type { Tx } from '../../db/tenant-tx.js';
import { Prisma } from '../../generated/prisma/client.js';

/**
 * The search index in PostgreSQL: entries per file, case and document (search_entry), the text of
 * every version (version_text) and the objects waiting to be indexed (search_pending). The only
 * code of the search context that talks to the database.
 */

export type ObjectType = 'file' | 'case' | 'document';
export type Status = 'open' | 'closed';
export type Retention = 'open' | 'running' | 'expired' | 'permanent';
export type FacetName = 'type' | 'planUnit' | 'status' | 'year';
export type TextState = 'pending' | 'extracted' | 'failed' | 'unsupported';

/** The text search configuration of migration 20261201200000_search. */
const CONFIG = Prisma.raw(`'en_akte_german'::regconfig`);
const BERLIN = Prisma.raw(`'Europe/Berlin'`);

/** Planner settings of every search transaction (see `compile`). */
export const PLANNER = { enable_seqscan: 'off' } as const;

/** A query compiled to tsquery text: the whole of it, and the parts the fuzzy match splits off. */
export interface CompiledQuery {
  tsquery: string;
  /** Lone words that also match the reference or a name by trigram similarity. */
  fuzzy: { tsquery: string; text: string }[];
  /** What must match in the text besides the fuzzy words ('' when nothing). */
  rest: string;
}

export interface SearchFilters {
  type?: ObjectType;
  fileId?: string;
  /** The unit and every unit below it. */
  planUnitId?: string;
  status?: Status;
  confidentiality?: string;
  kind?: string;
  dateFrom?: string;
  dateTo?: string;
  closedFrom?: string;
  closedTo?: string;
  retention?: Retention;
}

/** The walls: the caller's clearance, and a support grant's one file. */
export interface Walls {
  levels: string[];
  fileId: string | null;
}

export interface Hit {
  id: string;
  type: ObjectType;
  fileId: string;
  caseId: string | null;
  planUnitId: string;
  planCode: string;
  reference: string;
  title: string;
  confidentiality: string;
  status: Status;
  kind: string | null;
  date: Date;
  closedOn: Date | null;
  score: number;
  titleHighlight: string;
  snippet: string | null;
}

export interface FacetRow {
  facet: FacetName | 'total';
  value: string | null;
  count: bigint;
  code: string | null;
  title: string | null;
}

/** Private-use characters around highlighted words; the service turns them into <mark>. */
export const MARK_START = '\uE000';
export const MARK_END = '\uE001';

const pageHeadline = (doc: Prisma.Sql, tsquery: string, opts: string) =>
  Prisma.sql`ts_headline(${CONFIG}, ${doc}, ${tsquery}::tsquery, ${`StartSel=${MARK_START}, StopSel=${MARK_END}, ${opts}`})`;

/** The columns of a hit (e = its entry, u = its plan unit, vt = its text), highlights for the page only. */
const hit = (tsquery: string) => Prisma.sql`e.id, e.object_type AS type, e.file_id AS "fileId", e.case_id AS "caseId", e.plan_unit_id AS "planUnitId",
  u.code AS "planCode", e.reference, e.title, e.confidentiality, e.status::text AS status, e.kind, e.object_date AS date, e.closed_on AS "closedOn",
  ${pageHeadline(Prisma.sql`e.title`, tsquery, 'HighlightAll=true')} AS "titleHighlight",
  CASE WHEN coalesce(vt.content, e.description) IS NULL THEN NULL
       ELSE ${pageHeadline(Prisma.sql`coalesce(vt.content, e.description)`, tsquery, 'MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … "')} END AS snippet`;
const HIT_JOINS = Prisma.sql`JOIN search_entry e ON e.id = top.id JOIN file_plan_unit u ON u.id = e.plan_unit_id
  LEFT JOIN version_text vt ON vt.version_id = e.version_id AND vt.state = 'extracted'`;

export const searchRepo = (tx: Tx, tenantId: string) => {
  const today = Prisma.sql`(now() AT TIME ZONE ${BERLIN})::date`;
  const retentionEnd = Prisma.sql`make_date(extract(year FROM e.closed_on)::int + u.retention_years, 12, 31)`;

  /**
   * The conditions of a search. `walk`: the text match in a form no index answers, so that the
   * only way to a page in date order is the date index, read until the page is full.
   */
  function where(q: CompiledQuery, f: SearchFilters, walls: Walls, walk = false): Prisma.Sql {
    const parts: Prisma.Sql[] = [Prisma.sql`e.tenant_id = ${tenantId}::uuid`];
    if (walk) {
      parts.push(Prisma.sql`(e.tsv @@ ${q.tsquery}::tsquery) IS TRUE`);
    } else if (q.fuzzy.length === 0) {
      parts.push(Prisma.sql`e.tsv @@ ${q.tsquery}::tsquery`);
    } else {
      for (const z of q.fuzzy) parts.push(Prisma.sql`(e.tsv @@ ${z.tsquery}::tsquery OR ${z.text} <% e.fuzzy)`);
      if (q.rest) parts.push(Prisma.sql`e.tsv @@ ${q.rest}::tsquery`);
    }
    parts.push(Prisma.sql`e.confidentiality = ANY(${walls.levels}::bpchar[])`);
    if (walls.fileId) parts.push(Prisma.sql`e.file_id = ${walls.fileId}::uuid`);
    if (f.type) parts.push(Prisma.sql`e.object_type = ${f.type}`);
    if (f.fileId) parts.push(Prisma.sql`e.file_id = ${f.fileId}::uuid`);
    if (f.planUnitId) {
      parts.push(Prisma.sql`e.plan_unit_id IN (
        WITH RECURSIVE sub(id) AS (
          SELECT u.id FROM file_plan_unit u WHERE u.tenant_id = ${tenantId}::uuid AND u.id = ${f.planUnitId}::uuid
          UNION ALL SELECT u.id FROM file_plan_unit u JOIN sub ON u.parent_id = sub.id WHERE u.tenant_id = ${tenantId}::uuid)
        SELECT id FROM sub)`);
    }
    if (f.status) parts.push(Prisma.sql`e.status = ${f.status}::"RecordStatus"`);
    if (f.confidentiality) parts.push(Prisma.sql`e.confidentiality = ${f.confidentiality}::bpchar`);
    if (f.kind) parts.push(Prisma.sql`e.kind = ${f.kind}`);
    if (f.dateFrom) parts.push(Prisma.sql`e.object_date >= ${f.dateFrom}::date`);
    if (f.dateTo) parts.push(Prisma.sql`e.object_date <= ${f.dateTo}::date`);
    if (f.closedFrom) parts.push(Prisma.sql`e.closed_on >= ${f.closedFrom}::date`);
    if (f.closedTo) parts.push(Prisma.sql`e.closed_on <= ${f.closedTo}::date`);
    if (f.retention === 'open') parts.push(Prisma.sql`e.closed_on IS NULL`);
    else if (f.retention) {
      const rule =
        f.retention === 'permanent'
          ? Prisma.sql`u.retention_years IS NULL`
          : f.retention === 'running'
            ? Prisma.sql`u.retention_years IS NOT NULL AND ${retentionEnd} >= ${today}`
            : Prisma.sql`u.retention_years IS NOT NULL AND ${retentionEnd} < ${today}`;
      parts.push(Prisma.sql`e.closed_on IS NOT NULL AND EXISTS (SELECT 1 FROM file_plan_unit u WHERE u.id = e.plan_unit_id AND ${rule})`);
    }
    return Prisma.join(parts, ' AND ');
  }

  const rank = (q: CompiledQuery) => {
    const text = q.fuzzy.map((z) => z.text).join(' ');
    // Weights D (a document's case reference), C (content), B (names, description, metadata), A (reference, title).
    const base = Prisma.sql`ts_rank('{0.05, 0.2, 0.4, 1.0}', e.tsv, ${q.tsquery}::tsquery, 1)`;
    // Whole-string similarity: the reference typed (with a typo) ranks above longer ones containing it.
    const scored = text ? Prisma.sql`${base} + 0.5 * similarity(${text}, e.fuzzy)` : base;
    // On equal relevance the container first: the file before its cases, a case before its documents.
    return Prisma.sql`(${scored} + CASE e.object_type WHEN 'file' THEN 0.002 WHEN 'case' THEN 0.001 ELSE 0 END)::real`;
  };

  return {
    /**
     * Each clause as tsquery text ('' for stop words only; a prefix keeps its `:*`), in the
     * statement that also sets this unit's settings: the statement timeout, the trigram
     * threshold, and no sequential scans. The planner assumes the matches of a broad word are
     * spread evenly over the table and reads it from the start until `LIMIT` rows are found;
     * but a tenant's entries lie together (written tenant by tenant), so for a tenant far into
     * the table that reads every other tenant's rows first: 3.4 s instead of 15–35 ms for
     * "Gebühr" at 1 M documents (bench/README.md). Its own indexes are always the way to a
     * tenant's entries.
     */
    async compile(clauses: { kind: 'term' | 'prefix' | 'phrase'; text: string }[], statementTimeoutMs: number, similarity: number): Promise<string[]> {
      const rows = await tx.$queryRaw<{ q: string | null }[]>`
        SELECT CASE c.kind
                 WHEN 'phrase' THEN phraseto_tsquery(${CONFIG}, c.text)
                 WHEN 'prefix' THEN to_tsquery(${CONFIG}, (SELECT string_agg(quote_literal(w) || ':*', ' & ')
                                                            FROM regexp_split_to_table(c.text, '[^[:alnum:]]+') w WHERE w <> ''))
                 ELSE plainto_tsquery(${CONFIG}, c.text) END::text AS q
        FROM (SELECT set_config('statement_timeout', ${String(statementTimeoutMs)}, true),
                     set_config('pg_trgm.word_similarity_threshold', ${String(similarity)}, true),
                     set_config('enable_seqscan', ${PLANNER.enable_seqscan}, true)) s,
             unnest(${clauses.map((c) => c.kind)}::text[], ${clauses.map((c) => c.text)}::text[]) WITH ORDINALITY AS c(kind, text, n)
        ORDER BY c.n`;
      return rows.map((r) => r.q ?? '');
    },

    /** How many entries match, counting no further than `cap`. */
    async countUpTo(q: CompiledQuery, f: SearchFilters, walls: Walls, cap: number): Promise<number> {
      const rows = await tx.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM (SELECT 1 FROM search_entry e WHERE ${where(q, f, walls)} LIMIT ${cap}) m`;
      return rows[0]!.n;
    },

    /** Exact counts per value of the requested facets, and the total, in one statement. */
    async facets(q: CompiledQuery, f: SearchFilters, walls: Walls, names: FacetName[]): Promise<FacetRow[]> {
      const column: Record<FacetName, Prisma.Sql> = {
        type: Prisma.sql`e.object_type`,
        planUnit: Prisma.sql`e.plan_unit_id::text`,
        status: Prisma.sql`e.status::text`,
        year: Prisma.sql`extract(year FROM e.object_date)::int::text`,
      };
      const sets = Prisma.join([...names.map((n) => Prisma.sql`(${Prisma.raw(`"${n}"`)})`), Prisma.sql`()`], ', ');
      const cols = Prisma.join(
        (['type', 'planUnit', 'status', 'year'] as const).map((n) => Prisma.sql`${column[n]} AS ${Prisma.raw(`"${n}"`)}`),
        ', ',
      );
      const which = Prisma.join(names.map((n) => Prisma.sql`WHEN GROUPING(${Prisma.raw(`"${n}"`)}) = 0 THEN ${n}`), ' ');
      const value = Prisma.join(names.map((n) => Prisma.sql`WHEN GROUPING(${Prisma.raw(`"${n}"`)}) = 0 THEN ${Prisma.raw(`"${n}"`)}`), ' ');
      return tx.$queryRaw<FacetRow[]>`
        WITH g AS (
          SELECT CASE ${which} ELSE 'total' END AS facet, CASE ${value} END AS value, count(*) AS count
          FROM (SELECT ${cols} FROM search_entry e WHERE ${where(q, f, walls)}) m
          GROUP BY GROUPING SETS (${sets}))
        SELECT g.facet, g.value, g.count, u.code, u.title FROM g
        LEFT JOIN file_plan_unit u ON g.facet = 'planUnit' AND u.tenant_id = ${tenantId}::uuid AND u.id::text = g.value
        ORDER BY g.facet, g.count DESC, g.value`;
    },

    /**
     * Counts the matches up to `cap`; when there are no more than that, ranks every one of them
     * and returns the page after `after` (score, id) with its hits, all in one statement. With
     * more matches no row is ranked (`hits` is empty): the caller goes to date order.
     */
    async rankedHits(q: CompiledQuery, f: SearchFilters, walls: Walls, after: { score: number; id: string } | null, limit: number, cap: number) {
      const keyset = after ? Prisma.sql`WHERE (x.score, x.id) < (${after.score}::real, ${after.id}::uuid)` : Prisma.empty;
      const rows = await tx.$queryRaw<(Hit & { n: number })[]>`
        WITH m AS MATERIALIZED (SELECT e.id FROM search_entry e WHERE ${where(q, f, walls)} LIMIT ${cap + 1}),
             n AS (SELECT count(*)::int AS n FROM m),
             top AS (SELECT x.id, x.score FROM (
                       SELECT e.id, ${rank(q)} AS score FROM n, search_entry e
                       WHERE n.n <= ${cap} AND e.tenant_id = ${tenantId}::uuid AND e.id IN (SELECT id FROM m)) x
                     ${keyset} ORDER BY x.score DESC, x.id DESC LIMIT ${limit})
        SELECT n.n, h.* FROM n LEFT JOIN (SELECT ${hit(q.tsquery)}, top.score FROM top ${HIT_JOINS}) h ON true
        ORDER BY h.score DESC, h.id DESC`;
      const n = rows[0]?.n ?? 0;
      return { n, hits: rows.filter((r) => r.id !== null).map(({ n: _n, ...h }) => h as Hit) };
    },

    /**
     * A page in date order with its hits. `walk`: read the tenant's entries along the date index
     * and test each (the query matched many, so the page fills after a short walk); otherwise
     * the matches come from the text index and are sorted (the query matched few).
     */
    async datedHits(
      q: CompiledQuery,
      f: SearchFilters,
      walls: Walls,
      order: 'newest' | 'oldest',
      after: { date: string; id: string } | null,
      limit: number,
      walk: boolean,
    ): Promise<Hit[]> {
      const desc = order === 'newest';
      const keyset = after
        ? desc
          ? Prisma.sql`AND (e.object_date, e.id) < (${after.date}::date, ${after.id}::uuid)`
          : Prisma.sql`AND (e.object_date, e.id) > (${after.date}::date, ${after.id}::uuid)`
        : Prisma.empty;
      const dir = Prisma.raw(desc ? 'DESC' : 'ASC');
      // The planner cannot know how many rows match a tsquery; the count can, and picks the plan:
      // a walk (an unindexable match, so the date index it is), or the text index behind a fence.
      const source = walk
        ? Prisma.sql`SELECT e.id, e.object_date FROM search_entry e WHERE ${where(q, f, walls, true)} ${keyset}
                     ORDER BY e.object_date ${dir}, e.id ${dir} LIMIT ${limit}`
        : Prisma.sql`SELECT s.id, s.object_date FROM (SELECT e.id, e.object_date FROM search_entry e WHERE ${where(q, f, walls)} ${keyset} OFFSET 0) s
                     ORDER BY s.object_date ${dir}, s.id ${dir} LIMIT ${limit}`;
      return tx.$queryRaw<Hit[]>`
        WITH top AS (${source})
        SELECT ${hit(q.tsquery)}, NULL::real AS score FROM top ${HIT_JOINS}
        ORDER BY e.object_date ${dir}, e.id ${dir}`;
    },

    // ---- keeping the index current ---------------------------------------------------------

    /** Marks objects for (re)indexing; a mark that is already there stays (idempotent). */
    /** Removes the entries of destroyed files with everything in them. */
    async removeFiles(fileIds: string[]): Promise<void> {
      await tx.$executeRaw`DELETE FROM search_entry WHERE tenant_id = ${tenantId}::uuid AND (file_id = ANY(${fileIds}::uuid[]) OR id = ANY(${fileIds}::uuid[]))`;
    },

    async markPending(objects: { id: string; type: ObjectType }[]): Promise<void> {
      if (objects.length === 0) return;
      await tx.$executeRaw`
        INSERT INTO search_pending (object_id, tenant_id, object_type)
        SELECT o.id, ${tenantId}::uuid, o.type FROM unnest(${objects.map((o) => o.id)}::uuid[], ${objects.map((o) => o.type)}::text[]) AS o(id, type)
        ON CONFLICT (object_id) DO NOTHING`;
    },

    /** Every file, case and document of the tenant, marked for indexing (npm run reindex). */
    async markAll(): Promise<number> {
      return tx.$executeRaw`
        INSERT INTO search_pending (object_id, tenant_id, object_type)
        SELECT id, tenant_id, 'file' FROM record_file WHERE tenant_id = ${tenantId}::uuid
        UNION ALL SELECT id, tenant_id, 'case' FROM record_case WHERE tenant_id = ${tenantId}::uuid
        UNION ALL SELECT id, tenant_id, 'document' FROM record_document WHERE tenant_id = ${tenantId}::uuid
        ON CONFLICT (object_id) DO NOTHING`;
    },

    hasPending: async (): Promise<boolean> =>
      (await tx.$queryRaw<{ x: number }[]>`SELECT 1 AS x FROM search_pending WHERE tenant_id = ${tenantId}::uuid LIMIT 1`).length > 0,

    /** Serialises indexing within the tenant: every batch reads the state after the one before it. */
    async lockIndex(): Promise<void> {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('search:' || ${tenantId}, 0))`;
    },

    /** Takes up to `limit` marks (removed at commit); marks taken by another batch are skipped. */
    async claimPending(limit: number): Promise<{ id: string; type: ObjectType }[]> {
      const marks = await tx.$queryRaw<{ id: string; type: ObjectType }[]>`
        SELECT object_id AS id, object_type AS type FROM search_pending WHERE tenant_id = ${tenantId}::uuid
        ORDER BY queued_at, object_id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (marks.length) {
        await tx.$executeRaw`DELETE FROM search_pending WHERE tenant_id = ${tenantId}::uuid AND object_id = ANY(${marks.map((m) => m.id)}::uuid[])`;
      }
      return marks;
    },

    /** Rebuilds the entries of these files, and the file-level columns of their cases and documents. */
    async indexFiles(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await tx.$executeRaw`
        INSERT INTO search_entry AS s (id, tenant_id, object_type, file_id, case_id, plan_unit_id, reference, title, description, confidentiality,
                                       status, kind, object_date, closed_on, version_id, fuzzy, tsv, indexed_at)
        SELECT f.id, f.tenant_id, 'file', f.id, NULL, f.plan_unit_id, f.reference, f.title, f.description, f.confidentiality,
               f.status, NULL, (f.created_at AT TIME ZONE ${BERLIN})::date, f.closed_on, NULL, f.reference,
               setweight(to_tsvector(${CONFIG}, f.reference || ' ' || f.title), 'A') ||
               setweight(to_tsvector(${CONFIG}, concat_ws(' ', f.description, f.lead_org_unit)), 'B') ||
               setweight(jsonb_to_tsvector(${CONFIG}, f.metadata, '["string", "numeric"]'), 'B'),
               now()
        FROM record_file f WHERE f.tenant_id = ${tenantId}::uuid AND f.id = ANY(${ids}::uuid[])
        ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, confidentiality = EXCLUDED.confidentiality,
          status = EXCLUDED.status, closed_on = EXCLUDED.closed_on, plan_unit_id = EXCLUDED.plan_unit_id, fuzzy = EXCLUDED.fuzzy,
          tsv = EXCLUDED.tsv, indexed_at = EXCLUDED.indexed_at`;
      await tx.$executeRaw`
        UPDATE search_entry e SET confidentiality = f.confidentiality, closed_on = f.closed_on, plan_unit_id = f.plan_unit_id, indexed_at = now()
        FROM record_file f
        WHERE e.tenant_id = ${tenantId}::uuid AND f.tenant_id = ${tenantId}::uuid AND f.id = ANY(${ids}::uuid[]) AND e.file_id = f.id
          AND e.object_type <> 'file'
          AND (e.confidentiality, e.closed_on, e.plan_unit_id) IS DISTINCT FROM (f.confidentiality, f.closed_on, f.plan_unit_id)`;
    },

    /** Rebuilds the entries of these cases, and the status of their documents. */
    async indexCases(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await tx.$executeRaw`
        INSERT INTO search_entry AS s (id, tenant_id, object_type, file_id, case_id, plan_unit_id, reference, title, description, confidentiality,
                                       status, kind, object_date, closed_on, version_id, fuzzy, tsv, indexed_at)
        SELECT c.id, c.tenant_id, 'case', f.id, c.id, f.plan_unit_id, c.reference, c.title, c.description, f.confidentiality,
               c.status, NULL, (c.created_at AT TIME ZONE ${BERLIN})::date, f.closed_on, NULL, c.reference,
               setweight(to_tsvector(${CONFIG}, c.reference || ' ' || c.title), 'A') ||
               setweight(to_tsvector(${CONFIG}, coalesce(c.description, '')), 'B') ||
               setweight(jsonb_to_tsvector(${CONFIG}, c.metadata, '["string", "numeric"]'), 'B'),
               now()
        FROM record_case c JOIN record_file f ON f.id = c.file_id
        WHERE c.tenant_id = ${tenantId}::uuid AND c.id = ANY(${ids}::uuid[])
        ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, confidentiality = EXCLUDED.confidentiality,
          status = EXCLUDED.status, closed_on = EXCLUDED.closed_on, plan_unit_id = EXCLUDED.plan_unit_id, fuzzy = EXCLUDED.fuzzy,
          tsv = EXCLUDED.tsv, indexed_at = EXCLUDED.indexed_at`;
      await tx.$executeRaw`
        UPDATE search_entry e SET status = c.status, indexed_at = now()
        FROM record_case c
        WHERE e.tenant_id = ${tenantId}::uuid AND c.tenant_id = ${tenantId}::uuid AND c.id = ANY(${ids}::uuid[]) AND e.case_id = c.id
          AND e.object_type = 'document' AND e.status <> c.status`;
    },

    /** Rebuilds the entries of these documents: metadata, names and the latest version's text. */
    async indexDocuments(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await tx.$executeRaw`
        INSERT INTO search_entry AS s (id, tenant_id, object_type, file_id, case_id, plan_unit_id, reference, title, description, confidentiality,
                                       status, kind, object_date, closed_on, version_id, fuzzy, tsv, indexed_at)
        SELECT d.id, d.tenant_id, 'document', f.id, c.id, f.plan_unit_id, c.reference, d.title, NULL, f.confidentiality,
               c.status, d.kind, coalesce(d.received_on, d.sent_on, (d.created_at AT TIME ZONE ${BERLIN})::date), f.closed_on, v.id,
               concat_ws(' ', d.sender, d.addressee),
               setweight(to_tsvector(${CONFIG}, d.title), 'A') ||
               setweight(to_tsvector(${CONFIG}, concat_ws(' ', d.sender, d.addressee)), 'B') ||
               setweight(jsonb_to_tsvector(${CONFIG}, d.metadata, '["string", "numeric"]'), 'B') ||
               setweight(to_tsvector(${CONFIG}, coalesce(vt.content, '')), 'C') ||
               setweight(to_tsvector(${CONFIG}, c.reference), 'D'),
               now()
        FROM record_document d JOIN record_case c ON c.id = d.case_id JOIN record_file f ON f.id = c.file_id
        LEFT JOIN LATERAL (SELECT dv.id FROM document_version dv WHERE dv.tenant_id = ${tenantId}::uuid AND dv.document_id = d.id
                           ORDER BY dv.number DESC LIMIT 1) v ON true
        LEFT JOIN version_text vt ON vt.version_id = v.id AND vt.state = 'extracted'
        WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ANY(${ids}::uuid[])
        ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, confidentiality = EXCLUDED.confidentiality, status = EXCLUDED.status,
          kind = EXCLUDED.kind, object_date = EXCLUDED.object_date, closed_on = EXCLUDED.closed_on, plan_unit_id = EXCLUDED.plan_unit_id,
          version_id = EXCLUDED.version_id, fuzzy = EXCLUDED.fuzzy, tsv = EXCLUDED.tsv, indexed_at = EXCLUDED.indexed_at`;
    },

    // ---- text of versions ------------------------------------------------------------------

    /** Records that a version's text is wanted (idempotent). */
    async expectText(versions: { versionId: string; documentId: string }[]): Promise<void> {
      if (versions.length === 0) return;
      await tx.$executeRaw`
        INSERT INTO version_text (version_id, tenant_id, document_id)
        SELECT v.id, ${tenantId}::uuid, v.doc FROM unnest(${versions.map((v) => v.versionId)}::uuid[], ${versions.map((v) => v.documentId)}::uuid[]) AS v(id, doc)
        ON CONFLICT (version_id) DO NOTHING`;
    },

    /** A version waiting for its text, with what extraction needs; counts the attempt. */
    async startExtraction(versionId: string) {
      const rows = await tx.$queryRaw<{ documentId: string; storageKey: string; size: bigint; mediaType: string; filename: string; attempts: number }[]>`
        UPDATE version_text t SET attempts = t.attempts + 1
        FROM document_version v
        WHERE t.tenant_id = ${tenantId}::uuid AND t.version_id = ${versionId}::uuid AND t.state = 'pending' AND v.id = t.version_id
        RETURNING t.document_id AS "documentId", v.storage_key AS "storageKey", v.size, v.media_type AS "mediaType", v.filename, t.attempts`;
      return rows[0] ?? null;
    },

    async finishExtraction(
      versionId: string,
      r: { state: Exclude<TextState, 'pending'>; reason?: string | null; content?: string | null; chars?: number | null; truncated?: boolean; extractor?: string | null },
    ): Promise<void> {
      await tx.$executeRaw`
        UPDATE version_text SET state = ${r.state}::"VersionTextState", reason = ${r.reason ?? null}, content = ${r.content ?? null},
          chars = ${r.chars ?? null}, truncated = ${r.truncated ?? false}, extractor = ${r.extractor ?? null}, extracted_at = now()
        WHERE tenant_id = ${tenantId}::uuid AND version_id = ${versionId}::uuid`;
    },

    /** Versions of the tenant whose text is still wanted (catch-up after downtime). */
    pendingTexts: (limit: number, afterId?: string) =>
      tx.$queryRaw<{ versionId: string }[]>`
        SELECT version_id AS "versionId" FROM version_text WHERE tenant_id = ${tenantId}::uuid AND state = 'pending'
          ${afterId ? Prisma.sql`AND version_id > ${afterId}::uuid` : Prisma.empty} ORDER BY version_id LIMIT ${limit}`,

    /** Versions without a text record (written before search existed), recorded as wanted. */
    async expectMissingTexts(): Promise<number> {
      return tx.$executeRaw`
        INSERT INTO version_text (version_id, tenant_id, document_id)
        SELECT v.id, v.tenant_id, v.document_id FROM document_version v
        WHERE v.tenant_id = ${tenantId}::uuid AND NOT EXISTS (SELECT 1 FROM version_text t WHERE t.version_id = v.id)
        ON CONFLICT (version_id) DO NOTHING`;
    },

  };
};

export type SearchRepo = ReturnType<typeof searchRepo>;
