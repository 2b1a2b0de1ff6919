import { describe, expect, it } from 'vitest';
import { formatDateTimePl, nextDay, startOfWarsawDay, todayInWarsaw } from '../../src/lib/dates.js';

describe('Warsaw days as instants (the audit log filters by them)', () => {
  it('starts a day at Warsaw midnight, in winter (UTC+1) and in summer (UTC+2)', () => {
    expect(startOfWarsawDay('2026-11-26')).toBe('2026-11-25T23:00:00.000Z');
    expect(startOfWarsawDay('2026-07-01')).toBe('2026-06-30T22:00:00.000Z');
    expect(formatDateTimePl(startOfWarsawDay('2026-11-26'))).toBe('26 listopada 2026, 00:00');
  });

  it('holds on the days the clocks change and across a year', () => {
    // 29 March 2026: 02:00 → 03:00; 25 October 2026: 03:00 → 02:00; midnight itself is never skipped
    expect(startOfWarsawDay('2026-03-29')).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfWarsawDay('2026-03-30')).toBe('2026-03-29T22:00:00.000Z');
    expect(startOfWarsawDay('2026-10-25')).toBe('2026-10-24T22:00:00.000Z');
    expect(startOfWarsawDay('2026-10-26')).toBe('2026-10-25T23:00:00.000Z');
    expect(startOfWarsawDay('2027-01-01')).toBe('2026-12-31T23:00:00.000Z');
    for (let d = '2026-01-01'; d < '2027-01-01'; d = nextDay(d)) {
      const start = new Date(startOfWarsawDay(d));
      expect(todayInWarsaw(start), d).toBe(d);
      expect(todayInWarsaw(new Date(start.getTime() - 1)), d).not.toBe(d);
    }
  });

  it('counts the next day across months and leap years', () => {
    expect(nextDay('2026-11-30')).toBe('2026-12-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });
});
