import type { ProposalStatus } from '../db/schema/proposals.js';
import { OUTCOMES, type Outcome } from '../db/schema/workflow.js';
import {
  inReviewStage,
  isConsidered,
  isDecided,
  isInProgress,
  isOverdue,
  OUTCOME_LABELS,
  type ReviewStage,
} from '../workflow/workflow.js';

/**
 * The RDPP's view of a consultation ("Postęp konsultacji"), as pure rules: what counts as decided,
 * waiting or overdue, the per-unit and per-table figures, medians, percentages and sorting.
 */

export type ProgressProposal = {
  id: number;
  lp: number;
  title: string;
  status: ProposalStatus;
  tableNumber: number | null;
  /** the outcome of the current (not retracted) decision */
  outcome: Outcome | null;
  /** for a duplicate, the status of the proposal it repeats */
  originalStatus: ProposalStatus | null;
};

export type ProgressAssignment = {
  proposalId: number;
  status: ProposalStatus;
  unitId: number;
  unitName: string;
  unitSlug: string;
  lead: boolean;
  /** YYYY-MM-DD */
  dueDate: string;
  /** ISO instant the unit was asked */
  assignedAt: string;
  /** ISO instant of the latest submission, null while none */
  submittedAt: string | null;
  /** ISO instant of the first submitted version (days to answer count to it) */
  firstSubmittedAt: string | null;
};

/** The stages the list filter `stage` names (REVIEW_STAGES in src/workflow/workflow.ts), in words. */
export const STAGE_LABELS: Record<ReviewStage, string> = {
  rozstrzygniete: 'rozstrzygnięte',
  'w-toku': 'w toku (przekazane, czekają na stanowiska lub decyzję)',
};

/** The state of one unit's position, as the list filter `position` names them. */
export const POSITION_STATES = ['zlozone', 'czeka', 'po-terminie'] as const;
export type PositionState = (typeof POSITION_STATES)[number];
export const POSITION_STATE_LABELS: Record<PositionState, string> = {
  zlozone: 'stanowisko złożone',
  czeka: 'czeka na stanowisko',
  'po-terminie': 'stanowisko po terminie',
};

/** A unit still owes its position while the proposal is open for positions and it has submitted none. */
export function isAwaiting(a: Pick<ProgressAssignment, 'status' | 'submittedAt'>): boolean {
  return a.submittedAt === null && isInProgress(a.status);
}

export function positionState(a: ProgressAssignment, state: PositionState, today: string): boolean {
  if (state === 'zlozone') return a.submittedAt !== null;
  if (!isAwaiting(a)) return false;
  return state === 'czeka' || isOverdue(a.dueDate, false, today);
}

/** Whole calendar days from one YYYY-MM-DD to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A share in percent, one decimal (null for an empty whole). */
export function percent(n: number, total: number): number | null {
  return total > 0 ? Math.round((n / total) * 1000) / 10 : null;
}

const percentFormat = new Intl.NumberFormat('pl-PL', { maximumFractionDigits: 1 });
const numberFormat = new Intl.NumberFormat('pl-PL', { maximumFractionDigits: 1 });

/** "16,9 %" (Polish decimal comma, non-breaking space); "–" when there is nothing to divide. */
export function formatPercent(value: number | null): string {
  return value === null ? '–' : `${percentFormat.format(value)}\u00a0%`;
}

export function formatNumber(value: number | null): string {
  return value === null ? '–' : numberFormat.format(value);
}

// ---- how far the consultation is -----------------------------------------------------------------

export type OutcomeRow = {
  key: string;
  label: string;
  n: number;
  percent: number | null;
  /** the list filter behind the count */
  filter: ListFilter;
  kind: 'outcome' | 'subtotal' | 'stage' | 'total';
};

export type ListFilter = {
  table?: number;
  unit?: string;
  status?: ProposalStatus;
  stage?: ReviewStage;
  outcome?: Outcome;
  position?: PositionState;
};

/**
 * Rows of "how many are decided, by outcome": each outcome, decided in total, then the ones not decided
 * by status (new, waiting for positions, waiting for the decision), duplicates, and the total.
 */
export function outcomeRows(proposals: ProgressProposal[]): OutcomeRow[] {
  const total = proposals.length;
  const row = (key: string, label: string, n: number, filter: ListFilter, kind: OutcomeRow['kind']): OutcomeRow => ({
    key,
    label,
    n,
    percent: percent(n, total),
    filter,
    kind,
  });
  const decided = proposals.filter((p) => isDecided(p.status));
  const byStatus = (status: ProposalStatus) => proposals.filter((p) => p.status === status).length;
  return [
    ...OUTCOMES.map((outcome) =>
      row(
        outcome,
        OUTCOME_LABELS[outcome],
        decided.filter((p) => p.outcome === outcome).length,
        { outcome },
        'outcome',
      ),
    ),
    row('rozstrzygniete', 'Rozstrzygnięte razem', decided.length, { stage: 'rozstrzygniete' }, 'subtotal'),
    row('nowa', 'nowe, jeszcze nieprzekazane', byStatus('nowa'), { status: 'nowa' }, 'stage'),
    row('przekazana', 'przekazane, czekają na stanowiska', byStatus('przekazana'), { status: 'przekazana' }, 'stage'),
    row(
      'stanowiska-zebrane',
      'stanowiska zebrane, czekają na decyzję',
      byStatus('stanowiska-zebrane'),
      { status: 'stanowiska-zebrane' },
      'stage',
    ),
    row('duplikat', 'połączone z inną propozycją (duplikaty)', byStatus('duplikat'), { status: 'duplikat' }, 'stage'),
    row('razem', 'Wszystkie propozycje', total, {}, 'total'),
  ];
}

/** How many are "rozpatrzone" (isConsidered): the report's count, beside the decided ones of outcomeRows. */
export function consideredCount(proposals: ProgressProposal[]): number {
  return proposals.filter((p) => isConsidered(p.status, p.originalStatus)).length;
}

// ---- per unit ------------------------------------------------------------------------------------

export type UnitStats = {
  unitId: number;
  name: string;
  slug: string;
  assigned: number;
  submitted: number;
  awaiting: number;
  overdue: number;
  /** days since the due date of the unit's longest overdue position */
  oldestOverdueDays: number | null;
  /** median calendar days from the assignment to the first submitted version */
  medianDays: number | null;
};

/** Warsaw calendar date of an instant, as YYYY-MM-DD. */
export type ToDay = (instant: string) => string;

export function unitStats(assignments: ProgressAssignment[], today: string, toDay: ToDay): UnitStats[] {
  const byUnit = new Map<number, ProgressAssignment[]>();
  for (const a of assignments) byUnit.set(a.unitId, [...(byUnit.get(a.unitId) ?? []), a]);
  return [...byUnit.values()].map((list) => {
    const first = list[0]!;
    const overdue = list.filter((a) => positionState(a, 'po-terminie', today));
    const answered = list.filter((a) => a.submittedAt !== null);
    const days = answered.map((a) => daysBetween(toDay(a.assignedAt), toDay(a.firstSubmittedAt ?? a.submittedAt!)));
    return {
      unitId: first.unitId,
      name: first.unitName,
      slug: first.unitSlug,
      assigned: list.length,
      submitted: answered.length,
      awaiting: list.filter(isAwaiting).length,
      overdue: overdue.length,
      oldestOverdueDays: overdue.length ? Math.max(...overdue.map((a) => daysBetween(a.dueDate, today))) : null,
      medianDays: median(days.map((d) => Math.max(0, d))),
    };
  });
}

// ---- per workshop table --------------------------------------------------------------------------

export type TableStats = {
  number: number;
  theme: string;
  themeLegible: boolean;
  total: number;
  decided: number;
  inProgress: number;
  fresh: number;
  duplicates: number;
  percentDecided: number | null;
};

export function tableStats(
  proposals: ProgressProposal[],
  tables: { number: number; theme: string; themeLegible: boolean }[],
): TableStats[] {
  return tables.map((t) => {
    const mine = proposals.filter((p) => p.tableNumber === t.number);
    const decided = mine.filter((p) => isDecided(p.status)).length;
    return {
      number: t.number,
      theme: t.theme,
      themeLegible: t.themeLegible,
      total: mine.length,
      decided,
      inProgress: mine.filter((p) => isInProgress(p.status)).length,
      fresh: mine.filter((p) => p.status === 'nowa').length,
      duplicates: mine.filter((p) => p.status === 'duplikat').length,
      percentDecided: percent(decided, mine.length),
    };
  });
}

// ---- sorting -------------------------------------------------------------------------------------

export const UNIT_SORT_KEYS = [
  'name',
  'assigned',
  'submitted',
  'awaiting',
  'overdue',
  'oldestOverdueDays',
  'medianDays',
] as const;
export type UnitSortKey = (typeof UNIT_SORT_KEYS)[number];

export const TABLE_SORT_KEYS = [
  'number',
  'total',
  'decided',
  'inProgress',
  'fresh',
  'duplicates',
  'percentDecided',
] as const;
export type TableSortKey = (typeof TABLE_SORT_KEYS)[number];

export type SortDir = 'asc' | 'desc';

/** Names and table numbers read best ascending; counts worst (largest) first. */
export function defaultDir(key: string): SortDir {
  return key === 'name' || key === 'number' ? 'asc' : 'desc';
}

/**
 * Sorts by one column; empty values (no overdue, no answer yet) go last in either direction, ties keep
 * the order of `tieBreak`.
 */
export function sortRows<T extends Record<K, unknown>, K extends string>(
  rows: T[],
  key: K,
  dir: SortDir,
  tieBreak: (a: T, b: T) => number,
): T[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null || y === null) {
      if (x === y) return tieBreak(a, b);
      return x === null ? 1 : -1;
    }
    const c = typeof x === 'string' ? x.localeCompare(y as string, 'pl') : (x as number) - (y as number);
    return c !== 0 ? sign * c : tieBreak(a, b);
  });
}

// ---- the list behind a count ---------------------------------------------------------------------

/** The proposals a filter selects, with the assignments that matched (the unit's, or all). */
export function filterProposals(
  proposals: ProgressProposal[],
  assignments: ProgressAssignment[],
  filter: ListFilter,
  today: string,
) {
  const byProposal = new Map<number, ProgressAssignment[]>();
  for (const a of assignments) byProposal.set(a.proposalId, [...(byProposal.get(a.proposalId) ?? []), a]);
  return proposals
    .filter((p) => filter.table === undefined || p.tableNumber === filter.table)
    .filter((p) => !filter.status || p.status === filter.status)
    .filter((p) => !filter.stage || inReviewStage(p.status, filter.stage))
    .filter((p) => !filter.outcome || (isDecided(p.status) && p.outcome === filter.outcome))
    .map((p) => {
      const all = byProposal.get(p.id) ?? [];
      const relevant = filter.unit ? all.filter((a) => a.unitSlug === filter.unit) : all;
      const matching = filter.position ? relevant.filter((a) => positionState(a, filter.position!, today)) : relevant;
      return { ...p, assignments: all, matching };
    })
    .filter((p) => (!filter.unit && !filter.position) || p.matching.length > 0);
}
