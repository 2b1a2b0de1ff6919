import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { todayInWarsaw } from '../lib/dates.js';
import { isoWeek } from './delivery.js';
import type { ReminderItem } from './render.js';

const MESSAGE_ID = sql.raw(`lower(hex(randomblob(12)))`);

/** Monday from 07:00 in Warsaw: when the weekly reminder goes out. */
export function isReminderTime(now: Date): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Warsaw',
    weekday: 'short',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const weekday = parts.find((p) => p.type === 'weekday')?.value;
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  return weekday === 'Mon' && hour >= 7;
}

const addDays = (day: string, n: number) =>
  new Date(new Date(`${day}T12:00:00Z`).getTime() + n * 86_400_000).toISOString().slice(0, 10);

/**
 * On Mondays from 07:00 (Warsaw): one mail per address (a unit's contact address, its active staff) listing that
 * address's units' positions due within 7 days or overdue; none when there is nothing. Deduplicated per ISO week
 * and address, so running it again (every tick, after a restart) adds nothing.
 */
export function enqueueWeeklyReminders(db: DbOrTx, now: Date): number {
  if (!isReminderTime(now)) return 0;
  const today = todayInWarsaw(now);
  const week = isoWeek(today);
  const due = db.all<ReminderItem & { unitId: number; unitEmail: string }>(sql`
    SELECT a.unit_id AS unitId, u.name AS unitName, u.email AS unitEmail, p.id AS proposalId, p.lp, p.title,
      a.due_date AS dueDate
    FROM assignments a
    JOIN proposals p ON p.id = a.proposal_id
    JOIN units u ON u.id = a.unit_id
    LEFT JOIN positions pos ON pos.proposal_id = a.proposal_id AND pos.unit_id = a.unit_id
    WHERE p.status IN ('przekazana', 'stanowiska-zebrane') AND pos.submitted_at IS NULL
      AND a.due_date <= ${addDays(today, 7)}
    ORDER BY a.due_date, p.lp`);
  if (!due.length) return 0;
  const unitIds = [...new Set(due.map((d) => d.unitId))];
  const staff = db.all<{ unitId: number; email: string }>(sql`
    SELECT uu.unit_id AS unitId, us.email FROM user_units uu JOIN users us ON us.id = uu.user_id
    WHERE us.active = 1 AND us.role = 'unit'
      AND uu.unit_id IN (${sql.join(
        unitIds.map((id) => sql`${id}`),
        sql`, `,
      )})`);
  const byAddress = new Map<string, ReminderItem[]>();
  const add = (email: string, item: ReminderItem) => {
    const key = email.trim().toLowerCase();
    if (!key) return;
    const list = byAddress.get(key) ?? [];
    if (!list.some((i) => i.proposalId === item.proposalId && i.unitName === item.unitName)) list.push(item);
    byAddress.set(key, list);
  };
  for (const d of due) {
    const item: ReminderItem = {
      unitName: d.unitName,
      proposalId: d.proposalId,
      lp: d.lp,
      title: d.title,
      dueDate: d.dueDate,
    };
    add(d.unitEmail, item);
    for (const s of staff.filter((x) => x.unitId === d.unitId)) add(s.email, item);
  }
  const at = now.toISOString();
  let added = 0;
  for (const [email, items] of byAddress) {
    const payload = JSON.stringify({ week, today, items });
    const res = db.run(sql`INSERT INTO outbox
        (dedup_key, kind, recipient, payload, available_at, message_id, created_at)
      VALUES (${`reminder:${week}:${email}`}, 'staff-reminder', ${email}, ${payload}, ${at}, ${MESSAGE_ID}, ${at})
      ON CONFLICT (dedup_key) DO NOTHING`);
    added += (res as unknown as { changes: number }).changes;
  }
  return added;
}
