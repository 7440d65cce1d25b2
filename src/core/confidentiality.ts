import type { RequestContext } from './context.js';

/**
 * XDOMEA Vertraulichkeitsstufe, from the least to the most restricted: 003 offen, 002 VS-NfD
 * (nur für den Dienstgebrauch), 005 vertraulich (VS-Vertraulich), 001 geheim, 004 streng geheim.
 * Every caller has a clearance, the highest level it may see: a file above it, with its cases,
 * documents and versions, answers 404 like an unknown id and appears in no list, count or search
 * result. Without an explicit clearance (token claim `clearance`, a machine client's
 * `maxConfidentiality`), a caller sees `003 offen` only.
 */
export const CONFIDENTIALITY_LEVELS = ['003', '002', '005', '001', '004'] as const;
export type Confidentiality = (typeof CONFIDENTIALITY_LEVELS)[number];

export const DEFAULT_CLEARANCE: Confidentiality = '003';

export const CONFIDENTIALITY_NAMES: Record<Confidentiality, string> = {
  '003': 'offen',
  '002': 'VS-NfD',
  '005': 'vertraulich',
  '001': 'geheim',
  '004': 'streng geheim',
};

export const isConfidentiality = (v: unknown): v is Confidentiality => CONFIDENTIALITY_LEVELS.includes(v as Confidentiality);

const rank = (c: Confidentiality) => CONFIDENTIALITY_LEVELS.indexOf(c);

/** Is `level` at or below `clearance`? */
export const within = (level: Confidentiality, clearance: Confidentiality) => rank(level) <= rank(clearance);

/** The levels a request may see: its caller's clearance and everything below it. Jobs see all. */
export function visibleConfidentiality(ctx: RequestContext): Confidentiality[] {
  const clearance = ctx.caller.clearance ?? DEFAULT_CLEARANCE;
  return CONFIDENTIALITY_LEVELS.filter((c) => within(c, clearance));
}
