/**
 * Retention (Aufbewahrungsfrist): it runs from the zdA date to the end of the calendar year in
 * which closing date + retention years falls. Adding years never changes the calendar year of a
 * date by more than the years (29 Feb + 1 year is 28 Feb or 1 Mar, the same year), so the end is
 * 31 Dec of (zdA year + years); "unlimited" (null years) never ends.
 */
export function retentionEnd(closedOn: Date, years: number | null): Date | null {
  if (years === null) return null;
  return new Date(Date.UTC(closedOn.getUTCFullYear() + years, 11, 31));
}

/** A retention has ended once its last day is over: from the 1 January after `endsOn`. */
export const retentionEnded = (endsOn: Date | null, today: Date): boolean => endsOn !== null && endsOn < today;

/**
 * Until when content objects stay locked (WORM): the first instant after the retention's last day
 * (in UTC, later than midnight in Germany); unlimited retention locks for the longest period a
 * plan unit can give (200 years), which an archive's takeover or an override can end with a bypass.
 */
export function lockUntil(closedOn: Date, endsOn: Date | null): Date {
  const year = endsOn ? endsOn.getUTCFullYear() : closedOn.getUTCFullYear() + 200;
  return new Date(Date.UTC(year + 1, 0, 1));
}
