import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lockUntil, retentionEnd, retentionEnded } from '../../src/modules/records/retention.js';

const d = (s: string) => new Date(`${s}T00:00:00.000Z`);
const iso = (x: Date | null) => x && x.toISOString().slice(0, 10);

describe('retention end (Aufbewahrungsende)', () => {
  it('is 31 Dec of the year in which closing date + retention years falls', () => {
    expect(iso(retentionEnd(d('2026-06-15'), 10))).toBe('2036-12-31');
    // Closed on 31 Dec: that year still counts as the zdA year.
    expect(iso(retentionEnd(d('2026-12-31'), 10))).toBe('2036-12-31');
    // Closed on 1 Jan: the whole year runs, the end is the same as for 31 Dec of that year.
    expect(iso(retentionEnd(d('2027-01-01'), 10))).toBe('2037-12-31');
    expect(iso(retentionEnd(d('2026-01-01'), 0))).toBe('2026-12-31');
  });

  it('handles leap days: 29 Feb + 1, 4 or 3 years stays in the right year', () => {
    expect(iso(retentionEnd(d('2024-02-29'), 1))).toBe('2025-12-31');
    expect(iso(retentionEnd(d('2024-02-29'), 4))).toBe('2028-12-31');
    expect(iso(retentionEnd(d('2024-02-29'), 3))).toBe('2027-12-31');
    expect(iso(retentionEnd(d('2000-02-29'), 100))).toBe('2100-12-31');
  });

  it('never ends for unlimited retention', () => {
    expect(retentionEnd(d('2026-06-15'), null)).toBeNull();
    expect(retentionEnded(null, d('9999-01-01'))).toBe(false);
  });

  it('has ended from 1 January after the end, not on the last day', () => {
    const end = retentionEnd(d('2015-03-01'), 5);
    expect(retentionEnded(end, d('2020-12-31'))).toBe(false);
    expect(retentionEnded(end, d('2021-01-01'))).toBe(true);
  });

  it('agrees with calendar arithmetic for any date and period (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: d('1950-01-01'), max: d('2100-12-31'), noInvalidDate: true }), fc.integer({ min: 0, max: 200 }), (date, years) => {
        const plus = new Date(date);
        plus.setUTCFullYear(plus.getUTCFullYear() + years);
        expect(iso(retentionEnd(date, years))).toBe(`${plus.getUTCFullYear()}-12-31`);
      }),
    );
  });

  it('locks content until the first instant after the end; unlimited for 200 years', () => {
    expect(lockUntil(d('2026-05-05'), d('2036-12-31')).toISOString()).toBe('2037-01-01T00:00:00.000Z');
    expect(lockUntil(d('2026-05-05'), null).toISOString()).toBe('2227-01-01T00:00:00.000Z');
  });
});
