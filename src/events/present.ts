import { formatDatePl } from '../lib/dates.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { isDecided, OUTCOME_LABELS } from '../workflow/workflow.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import type { Outcome } from '../db/schema/workflow.js';
import { recordedNote } from '../positions/basis.js';

type EventLike = { type: string; before: unknown; after: unknown; note: string };
type Bag = Record<string, unknown>;

const status = (v: unknown) => STATUS_LABELS[v as ProposalStatus] ?? String(v);
const outcome = (v: unknown) => OUTCOME_LABELS[v as Outcome] ?? String(v);
const date = (v: unknown) => (typeof v === 'string' && v ? formatDatePl(v) : '');

/** One Polish sentence describing an event (its note, if any, is shown separately). */
export function describeEvent(e: EventLike): string {
  const before = (e.before ?? {}) as Bag;
  const after = (e.after ?? {}) as Bag;
  switch (e.type) {
    case 'status.changed':
      return `Zmiana statusu: ${status(before.status)} → ${status(after.status)}`;
    case 'assignment.added':
      return `Przekazano do: ${after.unitName} (termin stanowiska: ${date(after.dueDate)}${after.lead ? ', jednostka wiodąca' : ''})`;
    case 'assignment.removed':
      return `Usunięto przekazanie do: ${before.unitName}`;
    case 'assignment.changed': {
      const parts: string[] = [];
      if (before.dueDate !== after.dueDate) parts.push(`termin ${date(before.dueDate)} → ${date(after.dueDate)}`);
      if (before.lead !== after.lead) parts.push(after.lead ? 'teraz jednostka wiodąca' : 'już nie jednostka wiodąca');
      return `Zmiana przekazania do: ${after.unitName} (${parts.join('; ')})`;
    }
    case 'position.submitted':
    case 'position.revised': {
      const revised = e.type === 'position.revised' ? ` (wersja ${after.number})` : '';
      const recorded = recordedNote(after);
      if (recorded) {
        const what = revised ? `Poprawione stanowisko${revised}` : 'Stanowisko';
        return `${what} jednostki ${after.unitName} ${recorded}: ${outcome(after.outcome)}`;
      }
      return revised
        ? `Poprawione stanowisko${revised} złożyła jednostka ${after.unitName}: ${outcome(after.outcome)}`
        : `Stanowisko złożyła jednostka ${after.unitName}: ${outcome(after.outcome)}`;
    }
    case 'position.published': {
      const recorded = recordedNote(after);
      return `Opublikowano stanowisko jednostki ${after.unitName}${recorded ? ` (${recorded})` : ''}: ${outcome(after.outcome)}`;
    }
    case 'decision.published':
      return `Opublikowano decyzję: propozycja ${outcome(after.outcome)}`;
    case 'metadata.corrected':
      return `Poprawiono ${after.field === 'lp' ? 'numer LP' : 'temat stolika'}: „${before.value || 'nieczytelny'}” → „${after.value}”`;
    case 'duplicate.marked':
      return `Oznaczono jako duplikat propozycji LP ${after.duplicateOfLp}`;
    case 'duplicate.unmarked':
      return `Cofnięto oznaczenie jako duplikat propozycji LP ${before.duplicateOfLp}`;
    case 'note.added':
      return 'Notatka wewnętrzna';
    default:
      return e.type;
  }
}

/** The public text an event carries (justification or "sposób wykorzystania"). */
export function eventBody(e: EventLike): string {
  const after = (e.after ?? {}) as Bag;
  if (e.type === 'decision.published') return String(after.text ?? '');
  if (e.type === 'position.published') return String(after.justification ?? '');
  return '';
}

/* ------------------------------------------------------------------------------------------------
 * The public history, written for people: one entry per thing that happened. A change writes all its
 * events at one instant (changeProposal), so events with the same time are one happening: the
 * assignments and the status they cause, the decision with the positions it cites, a duplicate and
 * its status. The decision's text is on the page once (in "Sposób wykorzystania"), not repeated here.
 * ---------------------------------------------------------------------------------------------- */

export type HistoryEvent = EventLike & { id: number; createdAt: string };
/** A public event of another proposal that concerns this one (it was merged into this one, or taken out). */
export type RelatedEvent = HistoryEvent & { proposalId: number; proposalLp: number };

export type HistoryEntry = {
  at: string;
  text: string;
  /** further sentences (cited positions, what a reopen means) */
  details: string[];
  /** the public reason given, once */
  note: string;
  link: { href: string; label: string } | null;
};

/** A status recorded in an event (a string there) that had a decision in force. */
const wasDecided = (status: string) => isDecided(status as ProposalStatus);

/** "wiodący" agreeing with the unit's name: Biuro → wiodące, Agenda → wiodąca, Wydział → wiodący. */
export function leadWord(unitName: string): string {
  const first = unitName.trim().split(/\s+/)[0]!.toLowerCase();
  if (first.endsWith('o')) return 'wiodące';
  if (first.endsWith('a')) return 'wiodąca';
  return 'wiodący';
}

function groupByInstant(events: HistoryEvent[]): HistoryEvent[][] {
  const groups: HistoryEvent[][] = [];
  for (const e of events) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.createdAt === e.createdAt) last.push(e);
    else groups.push([e]);
  }
  return groups;
}

function assignedList(added: Bag[], leadName: string | null): string {
  const dates = new Set(added.map((a) => a.dueDate));
  // the lead first, the others in the order they were chosen
  const ordered = [...added].sort((a, b) => Number(b.unitName === leadName) - Number(a.unitName === leadName));
  const names = ordered.map((a) => {
    const extra: string[] = [];
    if (a.unitName === leadName) extra.push(leadWord(String(a.unitName)));
    if (dates.size > 1) extra.push(`termin ${date(a.dueDate)}`);
    return extra.length ? `${a.unitName} (${extra.join(', ')})` : String(a.unitName);
  });
  const common = dates.size === 1 ? ` – termin stanowisk ${date(added[0]!.dueDate)}` : '';
  return `Przekazano do: ${names.join(', ')}${common}`;
}

/** What a status reached without a decision or a duplicate means, in a sentence. */
function statusSentence(from: string, to: string, lastDecisionAt: string | null): string {
  if (wasDecided(from) && !wasDecided(to)) {
    const when = lastDecisionAt ? ` z ${date(lastDecisionAt)}` : '';
    return `Propozycję otwarto ponownie: decyzję${when} wycofano`;
  }
  switch (to) {
    case 'stanowiska-zebrane':
      return 'Wszystkie przypisane jednostki zajęły stanowisko; propozycja czeka na decyzję';
    case 'przekazana':
      return 'Propozycja czeka na stanowiska jednostek';
    case 'nowa':
      return 'Propozycja czeka na przekazanie do jednostek';
    case 'w-realizacji':
      return 'Rozpoczęto realizację propozycji';
    case 'zrealizowana':
      return 'Propozycja została zrealizowana';
    default:
      return `Status zmienił się na „${status(to)}”`;
  }
}

function reopenDetail(to: string): string {
  return to === 'stanowiska-zebrane'
    ? 'Stanowiska jednostek pozostają; urząd przygotuje nową decyzję.'
    : 'Propozycja wraca do zbierania stanowisk jednostek; po nich urząd opublikuje nową decyzję.';
}

/**
 * The proposal's public history as entries in order. `related` are public events of other proposals
 * marked as duplicates of this one (or no longer); `currentDecisionAt` is when the decision in force
 * was published (null: none), so a decision later withdrawn is said to be withdrawn.
 */
export function publicHistory(
  own: HistoryEvent[],
  related: RelatedEvent[],
  currentDecisionAt: string | null,
): HistoryEntry[] {
  const out: { id: number; entry: HistoryEntry }[] = [];
  let lastDecisionAt: string | null = null;
  for (const group of groupByInstant(own)) {
    const at = group[0]!.createdAt;
    const of = (type: string) => group.filter((e) => e.type === type);
    const entry = (text: string, more: Partial<HistoryEntry> = {}) =>
      out.push({ id: group[0]!.id, entry: { at, text, details: [], note: '', link: null, ...more } });
    const statusChange = of('status.changed')[0];
    const from = String((statusChange?.before as Bag | null)?.status ?? '');
    const to = String((statusChange?.after as Bag | null)?.status ?? '');

    const decision = of('decision.published')[0];
    if (decision) {
      const after = (decision.after ?? {}) as Bag;
      const inForce = at === currentDecisionAt;
      const cited = of('position.published').map((p) => {
        const a = (p.after ?? {}) as Bag;
        const recorded = recordedNote(a);
        return `${a.unitName} (${outcome(a.outcome)}${recorded ? `; stanowisko ${recorded}` : ''})`;
      });
      const details = cited.length ? [`Na podstawie stanowisk: ${cited.join(', ')}.`] : [];
      if (!inForce) details.push(`Treść tej decyzji: ${String(after.text ?? '')}`);
      entry(`Rozstrzygnięto: propozycja ${outcome(after.outcome)}${inForce ? '' : ' (decyzję później wycofano)'}`, {
        details,
        link: inForce ? { href: '#decyzja-h', label: 'Uzasadnienie: „Sposób wykorzystania”' } : null,
      });
      lastDecisionAt = at;
      continue;
    }

    const marked = of('duplicate.marked')[0];
    if (marked) {
      const a = (marked.after ?? {}) as Bag;
      entry(`Uznano za powtórzenie propozycji LP ${a.duplicateOfLp}; jest rozpatrywana razem z nią`, {
        note: marked.note || statusChange?.note || '',
        link: { href: `/proposals/${a.duplicateOfId}`, label: `Przejdź do LP ${a.duplicateOfLp}` },
      });
      continue;
    }
    const unmarked = of('duplicate.unmarked')[0];
    if (unmarked) {
      const b = (unmarked.before ?? {}) as Bag;
      entry(`Cofnięto uznanie za powtórzenie propozycji LP ${b.duplicateOfLp}; jest znów rozpatrywana osobno`);
      continue;
    }

    const added = of('assignment.added').map((e) => (e.after ?? {}) as Bag);
    const changed = of('assignment.changed');
    const removed = of('assignment.removed').map((e) => (e.before ?? {}) as Bag);
    if (added.length || changed.length || removed.length) {
      const newLead = changed.map((e) => (e.after ?? {}) as Bag).find((a) => a.lead === true);
      const leadName = (added.find((a) => a.lead)?.unitName as string | undefined) ?? null;
      const sentences: string[] = [];
      if (removed.length) sentences.push(`Cofnięto przekazanie do: ${removed.map((r) => r.unitName).join(', ')}`);
      if (added.length) sentences.push(assignedList(added, leadName));
      for (const e of changed) {
        const b = (e.before ?? {}) as Bag;
        const a = (e.after ?? {}) as Bag;
        if (b.dueDate !== a.dueDate) {
          sentences.push(`Nowy termin stanowiska (${a.unitName}): ${date(a.dueDate)} (był ${date(b.dueDate)})`);
        }
      }
      if (newLead && newLead.unitName !== leadName) sentences.push(`Jednostka wiodąca: ${newLead.unitName}`);
      const details =
        statusChange && !(from === 'nowa' && to === 'przekazana') ? [`${statusSentence(from, to, null)}.`] : [];
      entry(sentences.join('. '), { details });
      continue;
    }

    if (statusChange) {
      const reopened = wasDecided(from) && !wasDecided(to);
      entry(statusSentence(from, to, lastDecisionAt), {
        note: statusChange.note,
        details: reopened ? [reopenDetail(to)] : [],
      });
      continue;
    }
    for (const e of group) entry(describeEvent(e), { note: e.note });
  }

  for (const e of related) {
    const at = e.createdAt;
    const href = `/proposals/${e.proposalId}`;
    const link = { href, label: `Przejdź do LP ${e.proposalLp}` };
    const text =
      e.type === 'duplicate.marked'
        ? `Dołączono propozycję LP ${e.proposalLp}, która ją powtarza; są rozpatrywane razem`
        : `Propozycja LP ${e.proposalLp} nie jest już traktowana jako jej powtórzenie`;
    out.push({ id: e.id, entry: { at, text, details: [], note: '', link } });
  }
  return out
    .sort((a, b) => (a.entry.at < b.entry.at ? -1 : a.entry.at > b.entry.at ? 1 : a.id - b.id))
    .map((x) => x.entry);
}
