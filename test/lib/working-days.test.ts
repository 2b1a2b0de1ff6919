import { describe, expect, it } from 'vitest';
import { addWorkingDays, easterSunday, isWorkingDay, publicHolidays } from '../../src/lib/working-days.js';

describe('addWorkingDays (Monday to Friday, Polish public holidays skipped)', () => {
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
    // across the year end: 25 Dec, 1 Jan and 6 Jan skipped besides the weekends (weekends alone: 13 Jan)
    ['2026-12-24', 14, '2027-01-18'],
    ['2026-12-23', 1, '2026-12-28'], // Wigilia, both Christmas days and the weekend
    ['2026-04-03', 1, '2026-04-07'], // Good Friday is a working day; Easter Monday is not
    ['2026-06-03', 1, '2026-06-05'], // Boże Ciało
    ['2026-11-10', 1, '2026-11-12'], // 11 listopada
    ['2028-02-25', 3, '2028-03-01'], // leap year: Fri 25 Feb → Tue 29 Feb is the 2nd, Wed 1 Mar the 3rd
  ])('%s + %i working days = %s', (from, days, expected) => {
    expect(addWorkingDays(from, days)).toBe(expected);
    expect(isWorkingDay(expected) || days === 0).toBe(true);
  });

  it('n working days always span n working days and end on one, whatever the start (Christmas and Easter too)', () => {
    for (const [first, span] of [
      ['2026-11-23', 14],
      ['2026-12-18', 24],
      ['2027-03-22', 14],
    ] as const)
      for (let start = 0; start < span; start++) {
        const from = addDays(first, start);
        for (const n of [1, 2, 5, 14, 30]) {
          const to = addWorkingDays(from, n);
          let weekdays = 0;
          for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (isWorkingDay(d)) weekdays++;
          expect(weekdays).toBe(n);
          expect(isWorkingDay(to)).toBe(true);
        }
      }
  });

  it('knows the holidays of the act on days off work, Easter and the days that follow it included', () => {
    expect([2024, 2025, 2026, 2027, 2038].map(easterSunday)).toEqual([
      '2024-03-31',
      '2025-04-20',
      '2026-04-05',
      '2027-03-28',
      '2038-04-25',
    ]);
    expect([...publicHolidays(2027)].sort()).toEqual([
      '2027-01-01',
      '2027-01-06',
      '2027-03-28',
      '2027-03-29',
      '2027-05-01',
      '2027-05-03',
      '2027-05-16',
      '2027-05-27',
      '2027-08-15',
      '2027-11-01',
      '2027-11-11',
      '2027-12-24',
      '2027-12-25',
      '2027-12-26',
    ]);
    // Wigilia is a day off from 2025 on
    expect(publicHolidays(2024).has('2024-12-24')).toBe(false);
    expect(isWorkingDay('2024-12-24')).toBe(true);
    expect(isWorkingDay('2025-12-24')).toBe(false);
    expect(isWorkingDay('2026-11-11')).toBe(false);
    expect(isWorkingDay('2026-11-12')).toBe(true);
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
