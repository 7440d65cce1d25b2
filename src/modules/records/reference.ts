/**
 * References (Aktenzeichen) are rendered from a per-tenant pattern, e.g. `{plan}-{seq:4}/{yyyy}`
 * → `32.10.05-0042/2026`. Tokens: {plan} the file-plan code, {seq} or {seq:N} the sequence
 * (zero-padded to N digits), {yyyy} and {yy} the year (Europe/Berlin). The sequence counts per
 * "scope": the pattern rendered with everything but the sequence, so each unit and year counts on
 * its own when the pattern contains {plan} and {yyyy}.
 */
export const DEFAULT_REFERENCE_PATTERN = '{plan}-{seq:4}/{yyyy}';

const TOKEN = /\{(plan|seq(?::([1-9]))?|yyyy|yy)\}/g;
const LITERAL = /^[A-Za-z0-9 ./_()-]*$/;

export interface ReferenceParts {
  plan: string;
  year: number;
}

/** Why a pattern is not usable, or null when it is. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length < 5 || pattern.length > 100) return 'must be 5-100 characters long';
  const seqCount = [...pattern.matchAll(/\{seq(?::[1-9])?\}/g)].length;
  if (seqCount !== 1) return 'must contain {seq} or {seq:N} exactly once';
  const literal = pattern.replace(TOKEN, '');
  if (/[{}]/.test(literal)) return 'contains an unknown token (allowed: {plan}, {seq}, {seq:N}, {yyyy}, {yy})';
  if (!LITERAL.test(literal)) return 'may contain only letters, digits, spaces and . / _ ( ) - besides its tokens';
  return null;
}

/** The counter a reference of this pattern counts in, and the one it must stay ahead of. */
export function referenceScope(pattern: string, parts: ReferenceParts): { scope: string; related: string } {
  const plan = /\{plan\}/.test(pattern) ? `plan=${parts.plan}` : 'plan=*';
  const yearly = `${plan};year=${parts.year}`;
  return /\{(yyyy|yy)\}/.test(pattern) ? { scope: yearly, related: plan } : { scope: plan, related: yearly };
}

export function renderReference(pattern: string, parts: ReferenceParts, seq: number): string {
  return pattern.replace(TOKEN, (_token, name: string, width?: string) => {
    if (name.startsWith('seq')) return String(seq).padStart(width ? Number(width) : 1, '0');
    if (name === 'plan') return parts.plan;
    if (name === 'yyyy') return String(parts.year);
    return String(parts.year % 100).padStart(2, '0');
  });
}

/** The calendar year in Germany (a file created on 31 Dec 23:30 UTC belongs to the next year there). */
export function germanYear(at: Date = new Date()): number {
  return Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Berlin', year: 'numeric' }).format(at));
}
