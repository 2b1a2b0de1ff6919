/**
 * Working days on calendar dates written YYYY-MM-DD: Monday to Friday, except the public holidays of the
 * Polish act on days off work (ustawa z dnia 18 stycznia 1951 r. o dniach wolnych od pracy), Wigilia
 * included from 2025. A due date proposed this many working days ahead never lands on a holiday.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parse(date: string): Date {
  const m = ISO_DATE.exec(date);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) throw new RangeError(`not a date: ${date}`);
  return d;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** Easter Sunday of a Gregorian year (the anonymous algorithm: Meeus, Jones, Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(new Date(Date.UTC(year, month - 1, day)));
}

const holidaysByYear = new Map<number, Set<string>>();

/** The public holidays of a year in Poland, as dates. */
export function publicHolidays(year: number): Set<string> {
  let days = holidaysByYear.get(year);
  if (!days) {
    const easter = parse(easterSunday(year));
    const afterEaster = (n: number) => iso(new Date(easter.getTime() + n * 86_400_000));
    const fixed = ['01-01', '01-06', '05-01', '05-03', '08-15', '11-01', '11-11', '12-25', '12-26'];
    if (year >= 2025) fixed.push('12-24');
    days = new Set([
      ...fixed.map((md) => `${year}-${md}`),
      afterEaster(0), // Wielkanoc
      afterEaster(1), // Poniedziałek Wielkanocny
      afterEaster(49), // Zielone Świątki (a Sunday)
      afterEaster(60), // Boże Ciało
    ]);
    holidaysByYear.set(year, days);
  }
  return days;
}

export function isWorkingDay(date: string): boolean {
  const d = parse(date);
  const day = d.getUTCDay();
  return day !== 0 && day !== 6 && !publicHolidays(d.getUTCFullYear()).has(date);
}

/**
 * The date `days` working days after `from` (not counting `from` itself): from a Friday, 1 is the next Monday
 * (or the next working day after it); from a Saturday, 1 is Monday too. 0 gives `from` unchanged.
 */
export function addWorkingDays(from: string, days: number): string {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`days must be a whole number ≥ 0: ${days}`);
  const d = parse(from);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (isWorkingDay(iso(d))) left--;
  }
  return iso(d);
}
