/** Pure rules of delivery: which failures are worth retrying, and when. No I/O; unit-tested. */

/** The longest wait between two attempts, however many failed. */
export const MAX_BACKOFF_SECONDS = 6 * 3600;

export type FailureKind = 'temporary' | 'permanent';

/**
 * SMTP 5xx is permanent (the server refused this mail for good: unknown mailbox, policy); a 4xx, a refused or
 * dropped connection, a timeout or anything else unknown is temporary and retried.
 */
export function classifyFailure(err: unknown): FailureKind {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  if (typeof code === 'number' && code >= 500 && code < 600) return 'permanent';
  return 'temporary';
}

/** Seconds until the next attempt after `attempts` failed ones: base · 2^(attempts−1), capped. */
export function backoffSeconds(attempts: number, baseSeconds: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(baseSeconds * 2 ** exponent, MAX_BACKOFF_SECONDS);
}

/** A short, single-line description of a failure for "Poczta" (never a stack trace). */
export function describeFailure(err: unknown): string {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string } | null;
  const text = (e?.response ?? e?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  const prefix = e?.responseCode ? '' : e?.code ? `${e.code}: ` : '';
  return `${prefix}${text}`.slice(0, 500);
}

/** "a***@ngo.pl": enough for staff to recognise a mail, not to read the address. */
export function maskEmail(email: string): string {
  if (!email) return '';
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** The ISO week of a calendar date YYYY-MM-DD, e.g. "2026-W48" (weekly reminder dedup key). */
export function isoWeek(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(date.getTime() + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4, 12));
  const week1Monday = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000;
  const week = Math.floor((thursday.getTime() - week1Monday) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
