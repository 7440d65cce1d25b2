import { errors } from '../../errors.js';

/**
 * The query language of `GET …/search?q=`: words (German stemming: "Anträge" finds "Antrag"),
 * "quoted phrases", -exclusions, prefixes (Gewerbe*) and OR between two alternatives. Everything
 * else is text: no character of the query reaches PostgreSQL's tsquery syntax unquoted, so there is
 * no query a user can type that makes the database fail.
 */

export type Clause =
  /** A word as typed (stemmed and folded by the text search configuration). */
  | { kind: 'term'; text: string }
  /** A word prefix: `Gewerbe*`. */
  | { kind: 'prefix'; text: string }
  /** Words in this order: `"Antrag auf Erteilung"`. */
  | { kind: 'phrase'; text: string };

export interface ParsedQuery {
  /** Every group must match; a group matches when one of its clauses does (`a OR b`). */
  all: Clause[][];
  /** No clause may match (`-Bescheid`, `-"zur Kenntnis"`). */
  none: Clause[];
}

/** Longest query in characters. */
export const MAX_QUERY_CHARS = 500;
/** Most words in a query (phrases count each word). */
export const MAX_QUERY_WORDS = 32;

// „…“ and “…” (German), «…» and »…« are quotes as well.
const QUOTES = /[„“”«»‟″]/g;
const WORD = /[\p{L}\p{N}]/u;

const invalid = (detail: string) => errors.validation(detail, [{ path: 'querystring/q', message: detail }]);

interface Token {
  text: string;
  quoted: boolean;
  negated: boolean;
}

function tokenize(q: string): Token[] {
  const s = q.replace(QUOTES, '"');
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let negated = false;
    if (s[i] === '-' && i + 1 < s.length && !/\s/.test(s[i + 1]!)) {
      negated = true;
      i++;
    }
    if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) throw invalid('The query has an opening quote without a closing one');
      tokens.push({ text: s.slice(i + 1, end), quoted: true, negated });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!) && s[j] !== '"') j++;
    tokens.push({ text: s.slice(i, j), quoted: false, negated });
    i = j;
  }
  return tokens;
}

const wordsIn = (text: string) => text.split(/\s+/).filter((w) => WORD.test(w)).length;

function clauseOf(t: Token): Clause | null {
  if (t.quoted) {
    const text = t.text.replace(/\s+/g, ' ').trim();
    if (!WORD.test(text)) return null;
    return wordsIn(text) > 1 ? { kind: 'phrase', text } : { kind: 'term', text };
  }
  const prefix = /\*+$/.test(t.text);
  const text = t.text.replace(/\*/g, '').replace(/^\+/, '');
  if (!WORD.test(text)) return null;
  return prefix ? { kind: 'prefix', text } : { kind: 'term', text };
}

/** Parses `q`; 400 validation-failed for empty, oversized or unbalanced queries. */
export function parseQuery(raw: string): ParsedQuery {
  if (raw.length > MAX_QUERY_CHARS) throw invalid(`The query is longer than ${MAX_QUERY_CHARS} characters`);
  const tokens = tokenize(raw);
  const words = tokens.reduce((n, t) => n + (t.quoted ? wordsIn(t.text) : WORD.test(t.text) ? 1 : 0), 0);
  if (words > MAX_QUERY_WORDS) throw invalid(`The query has ${words} words; at most ${MAX_QUERY_WORDS} are searched`);

  const all: Clause[][] = [];
  const none: Clause[] = [];
  let pendingOr = false;
  for (const t of tokens) {
    if (!t.quoted && !t.negated && /^or$/i.test(t.text)) {
      // OR joins the clause before it with the one after it; anywhere else it means nothing.
      pendingOr = all.length > 0;
      continue;
    }
    const clause = clauseOf(t);
    if (!clause) {
      pendingOr = false;
      continue;
    }
    if (t.negated) {
      none.push(clause);
      pendingOr = false;
    } else if (pendingOr) {
      all.at(-1)!.push(clause);
      pendingOr = false;
    } else {
      all.push([clause]);
    }
  }
  if (all.length === 0) {
    throw invalid(none.length ? 'The query only excludes; add a word to search for' : 'The query has no word to search for');
  }
  return { all, none };
}

/** Every clause of a query in one list (the order the database compiles them in). */
export const clausesOf = (q: ParsedQuery): Clause[] => [...q.all.flat(), ...q.none];

/**
 * Combines the compiled clauses (tsquery text per clause, '' for a clause of stop words only)
 * into the query's tsquery text, and picks the lone words that may also match by similarity
 * (typo-tolerant references and names). Throws 400 when only stop words are left.
 */
export function combine(q: ParsedQuery, compiled: string[]): { tsquery: string; rest: string; fuzzy: { tsquery: string; text: string }[] } {
  let i = 0;
  const groups = q.all.map((g) => g.map((c) => ({ clause: c, tsq: compiled[i++] ?? '' })).filter((x) => x.tsq !== ''));
  const excluded = q.none.map(() => compiled[i++] ?? '').filter((x) => x !== '');
  const positive = groups.filter((g) => g.length > 0);
  if (positive.length === 0) throw invalid('The query has only stop words (der, die, und…); add a word to search for');
  const group = (g: typeof positive[number]) => (g.length === 1 ? `( ${g[0]!.tsq} )` : `( ${g.map((x) => `( ${x.tsq} )`).join(' | ')} )`);
  const not = excluded.map((x) => `!( ${x} )`);
  const tsquery = [...positive.map(group), ...not].join(' & ');
  // A lone word of at least 4 letters may match the reference or a name by trigram similarity.
  const isFuzzy = (g: typeof positive[number]) => g.length === 1 && g[0]!.clause.kind === 'term' && g[0]!.clause.text.replace(/[^\p{L}\p{N}]/gu, '').length >= 4;
  const fuzzy = positive.filter(isFuzzy).map((g) => ({ tsquery: g[0]!.tsq, text: g[0]!.clause.text }));
  const rest = [...positive.filter((g) => !isFuzzy(g)).map(group), ...not].join(' & ');
  return { tsquery, rest, fuzzy };
}
