import { createHash } from 'node:crypto';
import { authorize, jobContext, visibleConfidentiality, type JobOptions, type Scope, type TenantRef, type UnitOfWork } from '../../core/index.js';
import { sqlState } from '../../db/tenant-tx.js';
import { errors } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { formatDate, formatOptionalDate } from '../../lib/dates.js';
import type { EventConsumer } from '../events/index.js';
import type { BlobStore } from '../../storage/index.js';
import { detectKind, type Extractor } from '../../extract/index.js';
import { clausesOf, combine, parseQuery } from './query.js';
import { MARK_END, MARK_START, searchRepo, type CompiledQuery, type FacetName, type Hit, type ObjectType, type SearchFilters, type Walls } from './repo.js';
import { FACETS, SNIPPET_MAX_CHARS, type SearchHit, type SearchQuery, type SearchResult } from './schemas.js';

/** Queues of the search context (created by src/jobs/registry.ts). */
export const SEARCH_INDEX_QUEUE = 'search.index';
export const SEARCH_EXTRACT_QUEUE = 'search.extract';

export interface IndexJob {
  tenantId: string;
  tenantSlug: string;
}
export interface ExtractJob extends IndexJob {
  versionId: string;
}

export interface SearchSettings {
  statementTimeoutMs: number;
  /** Matches up to this many are ranked by relevance; beyond, the newest come first. */
  rankLimit: number;
  /** Stored (and indexed) characters of a version's text. */
  textMaxChars: number;
  extractMaxBytes: number;
  extractTimeoutSeconds: number;
  extractMemoryMb: number;
}

/** Trigram word similarity (pg_trgm) from which a word matches a reference or a name. */
const SIMILARITY = 0.5;
/** Jobs that may start the extraction of one version before it is recorded as failed. */
const MAX_ATTEMPTS = 5;
/** Marks taken per indexing unit of work. */
const INDEX_BATCH = 500;

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** ts_headline's private-use marks → <mark>, everything else HTML-escaped (safe to render). */
const highlighted = (s: string) => escapeHtml(s).replaceAll(MARK_START, '<mark>').replaceAll(MARK_END, '</mark>');
/**
 * A fragment cut to `max` characters before it is escaped (a "word" of the text may be a long
 * token), with a mark it cut open closed again: what SearchHit's maxLength promises.
 */
function cutFragment(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = `${Array.from(s).slice(0, max).join('')}…`;
  return cut.split(MARK_START).length > cut.split(MARK_END).length ? cut + MARK_END : cut;
}

const PATHS: Record<ObjectType, string> = { file: 'files', case: 'cases', document: 'documents' };

/** f: the search it belongs to; o: its order; a: approximate (similar references and names). */
type Cursor = { f: string; a?: boolean; o: 'relevance'; s: number; id: string } | { f: string; a?: boolean; o: 'newest' | 'oldest'; d: string; id: string };
const isCursor = (v: unknown): v is Cursor => {
  const c = v as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || typeof c.f !== 'string' || typeof c.id !== 'string' || !/^[0-9a-f-]{36}$/.test(c.id)) return false;
  if (c.o === 'relevance') return typeof c.s === 'number' && Number.isFinite(c.s);
  return (c.o === 'newest' || c.o === 'oldest') && typeof c.d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(c.d);
};

/** The query and filters a cursor belongs to: a cursor of one search is refused by another (page size and facets may change). */
function fingerprint(input: SearchQuery): string {
  const { cursor: _c, limit: _l, facets: _f, ...rest } = input;
  const canonical = JSON.stringify(Object.entries(rest).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

function parseFacets(value: string | undefined): FacetName[] {
  if (!value) return [];
  const names = [...new Set(value.split(','))];
  const unknown = names.filter((n) => !(FACETS as readonly string[]).includes(n));
  if (unknown.length) {
    const detail = `Unknown facet ${unknown.join(', ')}; facets are ${FACETS.join(', ')}`;
    throw errors.validation(detail, [{ path: 'querystring/facets', message: detail }]);
  }
  return names as FacetName[];
}

function checkRanges(input: SearchQuery) {
  for (const [from, to] of [['dateFrom', 'dateTo'], ['closedFrom', 'closedTo']] as const) {
    const a = input[from];
    const b = input[to];
    if (a && b && a > b) {
      const detail = `${from} lies after ${to}`;
      throw errors.validation(detail, [{ path: `querystring/${from}`, message: `must not be after ${to}` }]);
    }
  }
}

/** Statement timeouts (57014 query_canceled) become a clear 503, never a hang or a 500. */
async function bounded<T>(settings: SearchSettings, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (sqlState(err) === '57014') throw errors.searchTimeout(settings.statementTimeoutMs);
    throw err;
  }
}

export function createSearch(deps: { scope: Scope; storage: BlobStore; extract: Extractor; settings: SearchSettings }) {
  const { scope, storage, settings } = deps;

  /**
   * Searches the tenant's files, cases and documents. Every wall applies to hits and facet counts
   * alike: row-level security (the unit's tenant), the caller's clearance, and a support grant's
   * one file. The top page never ranks more than `rankLimit` matches: a broader query is answered
   * newest first, walking the date index until the page is full.
   */
  async function search(uow: UnitOfWork, input: SearchQuery): Promise<SearchResult> {
    authorize(uow.ctx, 'records:read');
    const parsed = parseQuery(input.q);
    const facetNames = parseFacets(input.facets);
    checkRanges(input);
    const fp = fingerprint(input);
    const cursor = input.cursor ? decodeCursor(input.cursor, isCursor) : null;
    if (cursor && cursor.f !== fp) throw errors.badRequest('The cursor belongs to another search; use it with the same q and filters');
    const walls: Walls = { levels: visibleConfidentiality(uow.ctx), fileId: uow.ctx.grant?.fileId ?? null };
    const filters: SearchFilters = {
      type: input.type,
      fileId: input.fileId,
      planUnitId: input.planUnitId,
      status: input.status,
      confidentiality: input.confidentiality,
      kind: input.kind,
      dateFrom: input.dateFrom,
      dateTo: input.dateTo,
      closedFrom: input.closedFrom,
      closedTo: input.closedTo,
      retention: input.retention,
    };
    const repo = uow.repo(searchRepo);
    return bounded(settings, async () => {
      const combined = combine(parsed, await repo.compile(clausesOf(parsed), settings.statementTimeoutMs, SIMILARITY));
      // Exact words first; only when nothing matches them, words may match references and names
      // by similarity (a typo). The exact query is one tsquery: one GIN scan of tenant and words.
      const exact: CompiledQuery = { tsquery: combined.tsquery, rest: combined.tsquery, fuzzy: [] };
      const similar: CompiledQuery | null = combined.fuzzy.length ? combined : null;
      const cap = settings.rankLimit;
      const requested = input.sort ?? 'relevance';
      // A cursor keeps the order its first page had, so pages never mix two orders: a ranked
      // search stays ranked, however many match by now.
      const ranking = cursor ? cursor.o === 'relevance' : requested === 'relevance';
      const rankCap = cursor ? 1_000_000_000 : cap;
      const afterScore = cursor?.o === 'relevance' ? { score: cursor.s, id: cursor.id } : null;

      const attempt = async (q: CompiledQuery) => {
        let total: SearchResult['total'] | undefined;
        let facets: SearchResult['facets'];
        if (facetNames.length) {
          const rows = await repo.facets(q, filters, walls, facetNames);
          facets = {};
          for (const name of facetNames) {
            const of = rows.filter((r) => r.facet === name && r.value !== null);
            if (name === 'planUnit') facets.planUnit = of.slice(0, 50).map((r) => ({ value: r.value!, code: r.code ?? '', title: r.title ?? '', count: Number(r.count) }));
            else if (name === 'year') facets.year = of.sort((a, b) => Number(b.value) - Number(a.value)).map((r) => ({ value: r.value!, count: Number(r.count) }));
            else facets[name] = of.map((r) => ({ value: r.value!, count: Number(r.count) }));
          }
          total = { count: Number(rows.find((r) => r.facet === 'total')?.count ?? 0n), exact: true };
        }
        let ranked: Hit[] | null = null;
        if (ranking) {
          const r = await repo.rankedHits(q, filters, walls, afterScore, input.limit + 1, rankCap);
          total ??= r.n > cap ? { count: cap, exact: false } : { count: r.n, exact: true };
          if (r.n <= rankCap) ranked = r.hits;
        } else if (!total) {
          const n = await repo.countUpTo(q, filters, walls, cap + 1);
          total = n > cap ? { count: cap, exact: false } : { count: n, exact: true };
        }
        return { total, facets, ranked };
      };

      let approximate = cursor ? cursor.a === true && similar !== null : false;
      let q = approximate ? similar! : exact;
      let found = await attempt(q);
      if (!cursor && found.total.count === 0 && similar) {
        approximate = true;
        q = similar;
        found = await attempt(q);
      }
      const { total, facets } = found;

      let order: SearchResult['order'];
      let hits: Hit[];
      let next: string | null = null;
      if (found.ranked) {
        order = 'relevance';
        hits = found.ranked.slice(0, input.limit);
        if (found.ranked.length > input.limit) next = encodeCursor({ f: fp, a: approximate, o: 'relevance', s: hits.at(-1)!.score, id: hits.at(-1)!.id } satisfies Cursor);
      } else {
        // Too many matches to rank them all (or a date order asked for): newest first.
        order = cursor && cursor.o !== 'relevance' ? cursor.o : requested === 'relevance' ? 'newest' : requested;
        const after = cursor && cursor.o !== 'relevance' ? { date: cursor.d, id: cursor.id } : null;
        const broad = !total.exact || total.count > cap;
        const rows = await repo.datedHits(q, filters, walls, order as 'newest' | 'oldest', after, input.limit + 1, broad);
        hits = rows.slice(0, input.limit);
        if (rows.length > input.limit) next = encodeCursor({ f: fp, a: approximate, o: order as 'newest' | 'oldest', d: formatDate(hits.at(-1)!.date), id: hits.at(-1)!.id } satisfies Cursor);
      }
      const base = `/v1/tenants/${uow.tenant.slug}`;
      const items: SearchHit[] = hits.map((h) => ({
        type: h.type,
        id: h.id,
        url: `${base}/${PATHS[h.type]}/${h.id}`,
        reference: h.reference,
        title: h.title,
        titleHighlight: highlighted(h.titleHighlight),
        snippet: h.snippet === null ? null : highlighted(cutFragment(h.snippet, SNIPPET_MAX_CHARS)),
        fileId: h.fileId,
        caseId: h.caseId,
        planUnitId: h.planUnitId,
        planCode: h.planCode,
        status: h.status,
        confidentiality: h.confidentiality as SearchHit['confidentiality'],
        kind: h.kind,
        date: formatDate(h.date),
        closedOn: formatOptionalDate(h.closedOn),
        score: order === 'relevance' ? Math.round(h.score * 1e4) / 1e4 : null,
      }));
      return { items, next, order, approximate, total, ...(facets ? { facets } : {}) };
    });
  }

  const indexJob = (tenant: TenantRef) => ({ data: { tenantId: tenant.id, tenantSlug: tenant.slug } satisfies IndexJob, options: { singletonKey: tenant.id } });
  // One queued extraction per version (stately queue, keyed by version): catch-ups add no duplicates.
  const extractJob = (tenant: TenantRef, versionId: string): { data: ExtractJob; options: JobOptions } => ({
    data: { tenantId: tenant.id, tenantSlug: tenant.slug, versionId },
    options: { singletonKey: versionId, retryLimit: 2, retryDelay: 30, retryBackoff: true, expireInSeconds: settings.extractTimeoutSeconds * 2 + 120 },
  });

  /**
   * The outbox consumer: marks what changed for indexing and asks for the text of new versions.
   * Idempotent (marks and text records are written once) and cheap: the work runs in jobs.
   */
  const consumer: EventConsumer = {
    name: 'search',
    async accept(uow, events) {
      const marks = new Map<string, ObjectType>();
      const texts: { versionId: string; documentId: string }[] = [];
      const destroyed: string[] = [];
      for (const e of events) {
        if (e.type === 'file.destroyed') destroyed.push(e.subject.id);
        else if (e.type === 'file.created' || e.type === 'file.updated' || e.type === 'file.closed' || e.type === 'file.reopened') marks.set(e.subject.id, 'file');
        else if (e.type.startsWith('case.')) marks.set(e.subject.id, 'case');
        else if (e.type === 'document.created' || e.type === 'document.updated') marks.set(e.subject.id, 'document');
        else if (e.type === 'version.created' && e.parents.documentId) texts.push({ versionId: e.subject.id, documentId: e.parents.documentId });
      }
      const repo = uow.repo(searchRepo);
      // A destroyed file leaves no trace in the index: its entries and those of its cases and documents go.
      for (const id of destroyed) marks.delete(id);
      if (destroyed.length) await repo.removeFiles(destroyed);
      if (marks.size) {
        await repo.markPending([...marks].map(([id, type]) => ({ id, type })));
        const job = indexJob(uow.tenant);
        await uow.jobs.send(SEARCH_INDEX_QUEUE, job.data, job.options);
      }
      if (texts.length) {
        await repo.expectText(texts);
        await uow.jobs.sendMany(
          SEARCH_EXTRACT_QUEUE,
          texts.map((t) => extractJob(uow.tenant, t.versionId)),
        );
      }
    },
  };

  /** Indexes what is marked in a tenant, batch by batch (each batch one unit, serialised per tenant). */
  async function indexPending(tenant: TenantRef): Promise<number> {
    const ctx = jobContext(tenant, 'search-index');
    let indexed = 0;
    for (;;) {
      const n = await scope(ctx, async (uow) => {
        const repo = uow.repo(searchRepo);
        await repo.lockIndex();
        const marks = await repo.claimPending(INDEX_BATCH);
        const of = (t: ObjectType) => marks.filter((m) => m.type === t).map((m) => m.id);
        // Files first: their cases and documents take confidentiality and the zdA date from them.
        await repo.indexFiles(of('file'));
        await repo.indexCases(of('case'));
        await repo.indexDocuments(of('document'));
        return marks.length;
      });
      indexed += n;
      if (n < INDEX_BATCH) return indexed;
    }
  }

  /**
   * Extracts the text of one version: off the request path, in a child process with time and
   * memory limits. Failures and unsupported formats are recorded with their reason; the version
   * is never touched. Afterwards its document is marked for indexing.
   */
  async function extractVersion(job: ExtractJob): Promise<{ state: string; reason?: string } | null> {
    const tenant = { id: job.tenantId, slug: job.tenantSlug };
    const ctx = jobContext(tenant, 'search-extract');
    const v = await scope(ctx, (uow) => uow.repo(searchRepo).startExtraction(job.versionId));
    if (!v) return null; // done already (a duplicate job), or unknown
    const size = Number(v.size);
    let result: Parameters<ReturnType<typeof searchRepo>['finishExtraction']>[1];
    if (v.attempts > MAX_ATTEMPTS) {
      result = { state: 'failed', reason: `gave up after ${MAX_ATTEMPTS} attempts (storage or database unavailable each time)` };
    } else if (size > settings.extractMaxBytes) {
      result = { state: 'unsupported', reason: `the content has ${size} bytes; text is extracted up to ${settings.extractMaxBytes} bytes` };
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of await storage.get(tenant.slug, v.storageKey)) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      const kind = detectKind(v.mediaType, v.filename, bytes.subarray(0, 8));
      if (!kind) {
        result = { state: 'unsupported', reason: `no text extractor for ${v.mediaType} (${v.filename})` };
      } else {
        const r = await deps.extract(bytes, kind, {
          timeoutMs: settings.extractTimeoutSeconds * 1000,
          memoryMb: settings.extractMemoryMb,
          maxChars: settings.textMaxChars,
        });
        // PostgreSQL text holds no NUL characters; the highlight marks are ours alone.
        result = r.state === 'extracted' ? { ...r, content: r.text.replaceAll('\u0000', '').replaceAll(MARK_START, '').replaceAll(MARK_END, ''), reason: null } : { state: r.state, reason: r.reason.slice(0, 500) };
      }
    }
    await scope(ctx, async (uow) => {
      const repo = uow.repo(searchRepo);
      await repo.finishExtraction(job.versionId, result);
      await repo.markPending([{ id: v.documentId, type: 'document' }]);
      const next = indexJob(tenant);
      await uow.jobs.send(SEARCH_INDEX_QUEUE, next.data, next.options);
    });
    return { state: result.state, ...(result.reason ? { reason: result.reason } : {}) };
  }

  /**
   * Catch-up after downtime: queues indexing where marks wait, and extraction where texts wait
   * (the first 1000; `all`: every one). Events that never reached the consumer are dispatched by
   * the outbox catch-up first.
   */
  async function catchUp(tenant: TenantRef, opts: { all?: boolean } = {}): Promise<{ index: boolean; extract: number }> {
    const ctx = jobContext(tenant, 'search-catch-up');
    const index = await scope(ctx, async (uow) => {
      const pending = await uow.repo(searchRepo).hasPending();
      if (pending) {
        const job = indexJob(tenant);
        await uow.jobs.send(SEARCH_INDEX_QUEUE, job.data, job.options);
      }
      return pending;
    });
    let extract = 0;
    let after: string | undefined;
    for (;;) {
      const texts = await scope(ctx, async (uow) => {
        const rows = await uow.repo(searchRepo).pendingTexts(1000, after);
        await uow.jobs.sendMany(SEARCH_EXTRACT_QUEUE, rows.map((t) => extractJob(tenant, t.versionId)));
        return rows;
      });
      extract += texts.length;
      after = texts.at(-1)?.versionId;
      if (!opts.all || texts.length < 1000) return { index, extract };
    }
  }

  /** npm run reindex: every object of the tenant marked, versions without text recorded; then indexed here. */
  async function reindexTenant(tenant: TenantRef): Promise<{ marked: number; textsWanted: number; indexed: number }> {
    const { marked, textsWanted } = await scope(jobContext(tenant, 'search-reindex'), async (uow) => ({
      marked: await uow.repo(searchRepo).markAll(),
      textsWanted: await uow.repo(searchRepo).expectMissingTexts(),
    }));
    const indexed = await indexPending(tenant);
    return { marked, textsWanted, indexed };
  }

  return {
    search,
    consumer,
    indexPending,
    extractVersion,
    catchUp,
    reindexTenant,
  };
}

export type Search = ReturnType<typeof createSearch>;
