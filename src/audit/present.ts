import { presentAudit } from '../admin/audit.js';
import type { Db } from '../db/client.js';
import { describeEvent } from '../events/present.js';
import { actionLabel, leadAction } from './actions.js';
import { auditRows, type LogEntry, type LogEvent, logEvents } from './queries.js';

/** One line of the audit log, whichever kind of change it records: the page and the CSV show these. */
export type LogItem = {
  at: string;
  /** the acting account's e-mail; null: the command line or the system */
  actor: string | null;
  action: string;
  actionLabel: string;
  subject: { label: string; title: string; href: string | null };
  details: string[];
};

/** A change to a proposal: named by its weightiest action, each of its events in a sentence. */
function proposalItem(entry: LogEntry, list: LogEvent[], actor: string | null): LogItem {
  const first = list[0]!;
  const action = leadAction(list.map((e) => e.action));
  return {
    at: entry.createdAt,
    actor,
    action,
    actionLabel: actionLabel(action),
    subject: { label: `LP ${first.lp}`, title: first.title, href: `/staff/proposals/${first.proposalId}` },
    details: list.map((e) => (e.note ? `${describeEvent(e)} – „${e.note}”` : describeEvent(e))),
  };
}

/**
 * The log's entries as lines: the events of the changes to proposals (in the sentences of src/events) and the
 * account audit's rows (as src/admin/audit.ts words them), read in two queries whatever their number.
 */
export function presentLog(db: Db, entries: LogEntry[], people: Map<number, string>): LogItem[] {
  const eventsById = logEvents(
    db,
    entries.flatMap((e) => e.eventIds ?? []),
  );
  const audits = auditRows(
    db,
    entries.filter((e) => e.source === 'account').map((e) => e.id),
  );
  const actorOf = (id: number | null) => (id === null ? null : (people.get(id) ?? `konto nr ${id}`));
  return entries.flatMap((entry): LogItem[] => {
    if (entry.source === 'proposal') {
      const list = (entry.eventIds ?? []).map((id) => eventsById.get(id)).filter((e) => e !== undefined);
      return list.length ? [proposalItem(entry, list, actorOf(entry.actorId))] : [];
    }
    const row = audits.get(entry.id);
    if (!row) return [];
    const shown = presentAudit({ ...row, actorEmail: row.actorId === null ? null : (people.get(row.actorId) ?? null) });
    return [
      {
        at: row.createdAt,
        actor: shown.actor,
        action: row.action,
        actionLabel: shown.actionLabel,
        subject: { label: shown.subjectLabel, title: '', href: shown.subjectLink },
        details: shown.details,
      },
    ];
  });
}
