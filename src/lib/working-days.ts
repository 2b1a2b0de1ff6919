/**
 * Working days (Monday to Friday) on calendar dates written YYYY-MM-DD. Public holidays are not known to the
 * app: a due date that falls on one is moved by hand.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parse(date: string): Date {
  const m = ISO_DATE.exec(date);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) throw new RangeError(`not a date: ${date}`);
  return d;
}

export function isWorkingDay(date: string): boolean {
  const day = parse(date).getUTCDay();
  return day !== 0 && day !== 6;
}

/**
 * The date `days` working days after `from` (not counting `from` itself): from a Friday, 1 is the next Monday;
 * from a Saturday, 1 is Monday too. 0 gives `from` unchanged.
 */
export function addWorkingDays(from: string, days: number): string {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`days must be a whole number ≥ 0: ${days}`);
  const d = parse(from);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const day = d.getUTCDay();
    if (day !== 0 && day !== 6) left--;
  }
  return d.toISOString().slice(0, 10);
}
