import { describe, expect, it } from 'vitest';
import { addWorkingDays, isWorkingDay } from '../../src/lib/working-days.js';

describe('addWorkingDays (Monday to Friday)', () => {
  // 2026-11-23 is a Monday
  it.each([
    ['2026-11-23', 0, '2026-11-23'],
    ['2026-11-23', 1, '2026-11-24'],
    ['2026-11-23', 4, '2026-11-27'],
    ['2026-11-23', 5, '2026-11-30'],
    ['2026-11-27', 1, '2026-11-30'], // Friday + 1 → Monday
    ['2026-11-28', 1, '2026-11-30'], // Saturday + 1 → Monday
    ['2026-11-29', 1, '2026-11-30'], // Sunday + 1 → Monday
    ['2026-11-28', 5, '2026-12-04'],
    ['2026-11-23', 10, '2026-12-07'],
    ['2026-11-23', 14, '2026-12-11'],
    ['2026-12-24', 14, '2027-01-13'], // across the year end (holidays are not known: only weekends skipped)
    ['2028-02-25', 3, '2028-03-01'], // leap year: Fri 25 Feb → Tue 29 Feb is the 2nd, Wed 1 Mar the 3rd
  ])('%s + %i working days = %s', (from, days, expected) => {
    expect(addWorkingDays(from, days)).toBe(expected);
    expect(isWorkingDay(expected) || days === 0).toBe(true);
  });

  it('n working days always span n weekdays, whatever the start', () => {
    for (let start = 0; start < 14; start++) {
      const from = addDays('2026-11-23', start);
      for (const n of [1, 2, 5, 14, 30]) {
        const to = addWorkingDays(from, n);
        let weekdays = 0;
        for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (isWorkingDay(d)) weekdays++;
        expect(weekdays).toBe(n);
        expect(isWorkingDay(to)).toBe(true);
      }
    }
  });

  it('refuses impossible dates and negative or fractional counts', () => {
    expect(() => addWorkingDays('2026-02-30', 1)).toThrow(RangeError);
    expect(() => addWorkingDays('26-11-23', 1)).toThrow(RangeError);
    expect(() => addWorkingDays('2026-11-23', -1)).toThrow(RangeError);
    expect(() => addWorkingDays('2026-11-23', 1.5)).toThrow(RangeError);
  });

  it('knows weekends', () => {
    expect(isWorkingDay('2026-11-27')).toBe(true);
    expect(isWorkingDay('2026-11-28')).toBe(false);
    expect(isWorkingDay('2026-11-29')).toBe(false);
  });
});

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
