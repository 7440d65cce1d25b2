import { Type, type Static } from 'typebox';
import { CONFIDENTIALITY_LEVELS, CONFIDENTIALITY_NAMES } from '../../core/index.js';
import { Cursor, Int64, IsoDate, Slug, Uuid } from '../../schemas/common.js';
import { MAX_QUERY_CHARS, MAX_QUERY_WORDS } from './query.js';

const Confidentiality = Type.Union(
  CONFIDENTIALITY_LEVELS.map((c) => Type.Literal(c)),
  { description: `XDOMEA Vertraulichkeitsstufe, least restricted first: ${CONFIDENTIALITY_LEVELS.map((c) => `${c} ${CONFIDENTIALITY_NAMES[c]}`).join(', ')}` },
);
/** Longest snippet, in characters of the text before it is HTML-escaped and marked. */
export const SNIPPET_MAX_CHARS = 600;
/** Longest highlighted text: every character escaped (at most 6) plus marks. */
const HIGHLIGHT_MAX = 8000;
const ObjectType = Type.Union([Type.Literal('file'), Type.Literal('case'), Type.Literal('document')], {
  description: 'file (Akte), case (Vorgang) or document',
});
const Status = Type.Union([Type.Literal('open'), Type.Literal('closed')], {
  description: 'open or closed (zdA); a document has the status of its case',
});

export const FACETS = ['type', 'planUnit', 'status', 'year'] as const;

export const SearchParams = Type.Object({ tenant: Slug }, { additionalProperties: false });

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: MAX_QUERY_CHARS,
      description:
        `What to look for (at most ${MAX_QUERY_CHARS} characters, ${MAX_QUERY_WORDS} words): words (German stemming, case and accent folding: ` +
        '`Anträge` finds Antrag, `Strasse` finds Straße), `"quoted phrases"`, `-exclusion`, `prefix*`, `a OR b`. ' +
        'When nothing matches exactly, words of 4 letters or more match references and names with a typo (`32.10.05-0042/2062`, `Schmitt`; `approximate` says so).',
      examples: ['Bauantrag "Flurstück 17" -Widerspruch'],
    }),
    type: Type.Optional(ObjectType),
    fileId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only this file, its cases and documents (what a support grant for one file covers)' })),
    planUnitId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Only objects filed under this file-plan unit or a unit below it' })),
    status: Type.Optional(Status),
    confidentiality: Type.Optional(Confidentiality),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Document kind (letter, scan, note…); only documents have one' })),
    dateFrom: Type.Optional({ ...IsoDate, description: "The object's date is on or after this day (files, cases: created; documents: received, else sent, else created)" }),
    dateTo: Type.Optional({ ...IsoDate, description: "The object's date is on or before this day" }),
    closedFrom: Type.Optional({ ...IsoDate, description: 'The file was closed (zdA) on or after this day' }),
    closedTo: Type.Optional({ ...IsoDate, description: 'The file was closed (zdA) on or before this day' }),
    retention: Type.Optional(
      Type.Union([Type.Literal('open'), Type.Literal('running'), Type.Literal('expired'), Type.Literal('permanent')], {
        description:
          "Retention state of the object's file: open (not closed, retention has not started), running (closed, retention period not over), " +
          'expired (the period ended: due for disposal), permanent (closed under a unit kept forever)',
      }),
    ),
    sort: Type.Optional(
      Type.Union([Type.Literal('relevance'), Type.Literal('newest'), Type.Literal('oldest')], {
        default: 'relevance',
        description:
          'relevance (default): best matches first, ranked by where the words occur (reference and title, then names, description and metadata, then the text). ' +
          'A query matching more objects than the rank limit (SEARCH_RANK_LIMIT, 1000) is answered newest first instead (`order` says so): refine it to rank. ' +
          "newest / oldest: by the object's date.",
      }),
    ),
    facets: Type.Optional(
      Type.String({
        pattern: `^(${FACETS.join('|')})(,(${FACETS.join('|')}))*$`,
        maxLength: 100,
        description: 'Comma-separated facets to count over all matches: type, planUnit, status, year. Counting is exact and costs a pass over every match.',
        examples: ['type,year'],
      }),
    ),
    limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 100, default: 20, description: 'Hits per page (1-100)' }),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

const FacetBucket = Type.Object(
  { value: Type.String({ maxLength: 10 }), count: Int64({ minimum: 1 }) },
  { additionalProperties: false },
);
const PlanUnitBucket = Type.Object(
  { value: Uuid, code: Type.String({ maxLength: 64 }), title: Type.String({ maxLength: 300 }), count: Int64({ minimum: 1 }) },
  { additionalProperties: false },
);

export const SearchHit = Type.Object(
  {
    type: ObjectType,
    id: Uuid,
    url: Type.String({ maxLength: 300, description: 'Path of the object in this API' }),
    reference: Type.String({ maxLength: 220, description: 'Aktenzeichen of the file or case (for a document: of its case)' }),
    title: Type.String({ maxLength: 500 }),
    titleHighlight: Type.String({ maxLength: HIGHLIGHT_MAX, description: 'The title, HTML-escaped, with the matched words in <mark>…</mark>' }),
    snippet: Type.Union([Type.String({ maxLength: HIGHLIGHT_MAX }), Type.Null()], {
      description: "Fragments of the document's text (files, cases: the description), HTML-escaped, with the matched words in <mark>…</mark>",
    }),
    fileId: Uuid,
    caseId: Type.Union([Uuid, Type.Null()]),
    planUnitId: Uuid,
    planCode: Type.String({ maxLength: 64 }),
    status: Status,
    confidentiality: Confidentiality,
    kind: Type.Union([Type.String({ maxLength: 40 }), Type.Null()], { description: 'Document kind; null for files and cases' }),
    date: { ...IsoDate, description: "The object's date (files, cases: created; documents: received, else sent, else created)" },
    closedOn: Type.Union([IsoDate, Type.Null()], { description: "The file's zdA date" }),
    score: Type.Union([Type.Number(), Type.Null()], { description: 'Relevance (higher is better); null in date order' }),
  },
  { additionalProperties: false },
);
export type SearchHit = Static<typeof SearchHit>;

export const SearchResult = Type.Object(
  {
    items: Type.Array(SearchHit, { maxItems: 100 }),
    next: Type.Union([Type.String({ maxLength: 512 }), Type.Null()], { description: 'Cursor of the next page (valid for the same query and filters); null on the last page' }),
    order: Type.Union([Type.Literal('relevance'), Type.Literal('newest'), Type.Literal('oldest')], { description: 'The order of the hits' }),
    approximate: Type.Boolean({
      description: 'true: nothing matched the words exactly, and these hits have a reference or name similar to them (a typo, pg_trgm)',
    }),
    total: Type.Object(
      {
        // Counts over a tenant's files, cases, documents and versions: PostgreSQL bigint.
        count: Int64(),
        exact: Type.Boolean({ description: 'false: at least `count` objects match (exact with facets)' }),
      },
      { additionalProperties: false },
    ),
    facets: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(Type.Array(FacetBucket, { maxItems: 3 })),
          planUnit: Type.Optional(Type.Array(PlanUnitBucket, { maxItems: 50, description: 'The units the matching files are filed under (at most 50, most hits first)' })),
          status: Type.Optional(Type.Array(FacetBucket, { maxItems: 2 })),
          year: Type.Optional(Type.Array(FacetBucket, { maxItems: 10_000, description: "Years of the objects' dates, newest first" })),
        },
        { additionalProperties: false, description: 'Counts over all matches, with the same walls as the hits; each facet adds up to total.count' },
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        items: [
          {
            type: 'document',
            id: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c21',
            url: '/v1/tenants/witten/documents/01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c21',
            reference: '63.01.02-0007/2026-001',
            title: 'Bauantrag Flurstück 17',
            titleHighlight: '<mark>Bauantrag</mark> Flurstück 17',
            snippet: 'wir stellen hiermit den <mark>Bauantrag</mark> für das Grundstück …',
            fileId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c11',
            caseId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c19',
            planUnitId: '01936f0e-4c1a-7cc2-9d7e-5b3f0a2e8c10',
            planCode: '63.01.02',
            status: 'open',
            confidentiality: '003',
            kind: 'letter',
            date: '2026-11-20',
            closedOn: null,
            score: 0.61,
          },
        ],
        next: null,
        order: 'relevance',
        approximate: false,
        total: { count: 1, exact: true },
        facets: { type: [{ value: 'document', count: 1 }], year: [{ value: '2026', count: 1 }] },
      },
    ],
  },
);
export type SearchResult = Static<typeof SearchResult>;
