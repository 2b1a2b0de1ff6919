import { formatDatePl } from '../lib/dates.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import type { Outcome } from '../db/schema/workflow.js';

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
      return `Stanowisko złożyła jednostka ${after.unitName}: ${outcome(after.outcome)}`;
    case 'position.revised':
      return `Poprawione stanowisko (wersja ${after.number}) złożyła jednostka ${after.unitName}: ${outcome(after.outcome)}`;
    case 'position.published':
      return `Opublikowano stanowisko jednostki ${after.unitName}: ${outcome(after.outcome)}`;
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
