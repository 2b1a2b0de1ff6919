import { describe, expect, it } from 'vitest';
import {
  backoffSeconds,
  classifyFailure,
  describeFailure,
  isoWeek,
  maskEmail,
  MAX_BACKOFF_SECONDS,
} from '../../src/notifications/delivery.js';
import { isReminderTime } from '../../src/notifications/reminders.js';
import { mailAddress, proposalRootId } from '../../src/notifications/render.js';

describe('delivery rules', () => {
  it('SMTP 5xx is permanent; 4xx, connection and timeout errors are temporary', () => {
    expect(classifyFailure({ responseCode: 550 })).toBe('permanent');
    expect(classifyFailure({ responseCode: 554 })).toBe('permanent');
    expect(classifyFailure({ responseCode: 451 })).toBe('temporary');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' });
    expect(classifyFailure(refused)).toBe('temporary');
    expect(classifyFailure(Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT' }))).toBe('temporary');
    expect(classifyFailure(null)).toBe('temporary');
  });

  it('backs off exponentially from the base, capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffSeconds(n, 60))).toEqual([60, 120, 240, 480]);
    expect(backoffSeconds(40, 60)).toBe(MAX_BACKOFF_SECONDS);
  });

  it('describes a failure on one line, with the SMTP answer or the error code', () => {
    expect(describeFailure({ responseCode: 550, response: '550 Mailbox\n unavailable' })).toBe(
      '550 Mailbox unavailable',
    );
    expect(describeFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET' }))).toBe(
      'ESOCKET: connect ECONNREFUSED 127.0.0.1:25',
    );
  });

  it('masks addresses, keeps the domain', () => {
    expect(maskEmail('anna@ngo.pl')).toBe('a***@ngo.pl');
    expect(maskEmail('')).toBe('');
  });

  it('ISO weeks, across a year boundary', () => {
    expect(isoWeek('2026-11-26')).toBe('2026-W48');
    expect(isoWeek('2027-01-01')).toBe('2026-W53');
    expect(isoWeek('2024-12-30')).toBe('2025-W01');
    expect(isoWeek('2026-01-05')).toBe('2026-W02');
  });

  it('reminders go out on Mondays from 07:00 Warsaw time', () => {
    expect(isReminderTime(new Date('2026-11-30T05:59:00Z'))).toBe(false); // Monday 06:59 CET
    expect(isReminderTime(new Date('2026-11-30T06:00:00Z'))).toBe(true); // Monday 07:00 CET
    expect(isReminderTime(new Date('2026-07-06T05:00:00Z'))).toBe(true); // Monday 07:00 CEST
    expect(isReminderTime(new Date('2026-12-01T08:00:00Z'))).toBe(false); // Tuesday
  });

  it("sender address, domain and the proposal's thread root", () => {
    expect(mailAddress('Konsultacje Toruń <konsultacje@torun.pl>')).toEqual({
      address: 'konsultacje@torun.pl',
      domain: 'torun.pl',
    });
    expect(mailAddress('bdim@torun.pl')).toEqual({ address: 'bdim@torun.pl', domain: 'torun.pl' });
    expect(proposalRootId(7, 'torun.pl')).toBe('<proposal-7@torun.pl>');
  });
});
