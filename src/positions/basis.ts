import { formatDatePl } from '../lib/dates.js';
import { BASIS_KINDS, type BasisKind } from '../db/schema/workflow.js';

/**
 * A position the dialogue office records on a unit's behalf (from a letter, an e-mail or a meeting note the unit
 * sent) is marked as such wherever it is shown: the staff page, the public page, the history, the export, the
 * report. This module words that mark once.
 */

/** The office's own unit: an admin writes its position as the office's own, with no basis. */
export const OFFICE_UNIT_SLUG = 'biuro-dialogu-i-innowacji-miejskich';

/** The basis kinds as the admin's select offers them. */
export const BASIS_LABELS: Record<BasisKind, string> = {
  pismo: 'pismo',
  'e-mail': 'wiadomość e-mail',
  notatka: 'notatka ze spotkania',
};

/** "na podstawie … z dnia": the kind in the genitive. */
const BASIS_GENITIVE: Record<BasisKind, string> = {
  pismo: 'pisma',
  'e-mail': 'wiadomości e-mail',
  notatka: 'notatki ze spotkania',
};

export const BASIS_OPTIONS = BASIS_KINDS.map((value) => ({ value, label: BASIS_LABELS[value] }));

export type RecordedBasis = { onBehalf?: unknown; basisKind?: unknown; basisDate?: unknown };

function isBasisKind(v: unknown): v is BasisKind {
  return typeof v === 'string' && (BASIS_KINDS as readonly string[]).includes(v);
}

/**
 * "wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026" for a position recorded on a unit's
 * behalf; '' for one the unit (or the office, as its own) submitted. Accepts a version row, a cited position or
 * an event's `after`.
 */
export function recordedNote(p: RecordedBasis | null | undefined): string {
  if (p?.onBehalf !== true) return '';
  const kind = isBasisKind(p.basisKind) ? BASIS_GENITIVE[p.basisKind] : 'pisma';
  const date = typeof p.basisDate === 'string' && p.basisDate ? ` z dnia ${formatDatePl(p.basisDate)}` : '';
  return `wpisane przez Biuro Dialogu na podstawie ${kind}${date}`;
}

/** The same mark as a sentence: "Stanowisko wpisane przez Biuro Dialogu na podstawie pisma z dnia …". */
export function recordedSentence(p: RecordedBasis | null | undefined): string {
  const note = recordedNote(p);
  return note ? `Stanowisko ${note}` : '';
}
