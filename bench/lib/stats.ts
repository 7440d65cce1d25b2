/** Median, min and max of a series of repetitions (the machine is shared: never trust one sample). */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length };
}

/** Element-wise a[i] / b[i]: ratios of runs that were interleaved, so drift of the machine cancels out. */
export function pairedRatios(a: number[], b: number[]): number[] {
  if (a.length !== b.length) throw new Error(`pairedRatios: ${a.length} vs ${b.length} samples`);
  return a.map((x, i) => x / b[i]!);
}

/**
 * Ratio of two series measured at different times (no pairing possible): the ratio of the medians,
 * with the most pessimistic and most optimistic pairing as min and max.
 */
export function unpairedRatio(a: number[], b: number[]): Summary {
  const sa = summarize(a);
  const sb = summarize(b);
  return { median: sa.median / sb.median, min: sa.min / sb.max, max: sa.max / sb.min, n: Math.min(sa.n, sb.n) };
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export function roundSummary(s: Summary, digits = 2): Summary {
  return { median: round(s.median, digits), min: round(s.min, digits), max: round(s.max, digits), n: s.n };
}
