const MONTHS_GENITIVE = [
  'stycznia',
  'lutego',
  'marca',
  'kwietnia',
  'maja',
  'czerwca',
  'lipca',
  'sierpnia',
  'września',
  'października',
  'listopada',
  'grudnia',
];

const TIME_ZONE = 'Europe/Warsaw';

// built once: making an Intl formatter costs far more than using it (lists and mails format many dates)
const WARSAW = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function warsawParts(date: Date): { day: number; month: number; year: number; hour: string; minute: string } {
  const parts = WARSAW.formatToParts(date);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    day: Number(get('day')),
    month: Number(get('month')),
    year: Number(get('year')),
    hour: get('hour'),
    minute: get('minute'),
  };
}

function toDate(value: string | Date): Date {
  // a bare YYYY-MM-DD is a calendar date, not an instant: read it at noon UTC so no zone shifts its day
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(`${value}T12:00:00Z`);
  return typeof value === 'string' ? new Date(value) : value;
}

/** "26 listopada 2026" (Warsaw calendar day). */
export function formatDatePl(value: string | Date): string {
  const p = warsawParts(toDate(value));
  return `${p.day} ${MONTHS_GENITIVE[p.month - 1]} ${p.year}`;
}

/** "26 listopada 2026, 14:05" (Warsaw time). */
export function formatDateTimePl(value: string | Date): string {
  const p = warsawParts(toDate(value));
  return `${p.day} ${MONTHS_GENITIVE[p.month - 1]} ${p.year}, ${p.hour}:${p.minute}`;
}

/** Today's calendar date in Warsaw as YYYY-MM-DD. */
export function todayInWarsaw(now: Date = new Date()): string {
  const p = warsawParts(now);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The next 07:00 in Warsaw strictly after `from` (when the daily digest goes out), as an ISO instant. */
export function nextDigestTime(from: Date): string {
  for (let days = 0; days <= 2; days++) {
    const day = todayInWarsaw(new Date(from.getTime() + days * 86_400_000));
    // 07:00 Warsaw is 05:00 or 06:00 UTC depending on summer time: take the one that reads 07 in Warsaw
    for (const utcHour of ['05', '06']) {
      const candidate = new Date(`${day}T${utcHour}:00:00Z`);
      if (warsawParts(candidate).hour === '07' && candidate > from) return candidate.toISOString();
    }
  }
  throw new Error('unreachable: a 07:00 exists within two days');
}

/** The calendar day after a YYYY-MM-DD, as YYYY-MM-DD. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The instant a Warsaw calendar day (YYYY-MM-DD) begins, as an ISO instant: 22:00 or 23:00 UTC the day before. */
export function startOfWarsawDay(day: string): string {
  const before = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  for (const utcHour of ['22', '23']) {
    const candidate = new Date(`${before}T${utcHour}:00:00Z`);
    if (todayInWarsaw(candidate) === day && warsawParts(candidate).hour === '00') return candidate.toISOString();
  }
  throw new Error(`no Warsaw midnight found for ${day}`);
}
