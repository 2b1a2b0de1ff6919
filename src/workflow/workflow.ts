import type { ProposalStatus } from '../db/schema/proposals.js';
import type { Outcome } from '../db/schema/workflow.js';

/**
 * The proposal status workflow, as pure rules (no I/O):
 * nowa → przekazana → stanowiska-zebrane → rozstrzygnieta → w-realizacji → zrealizowana, plus duplikat.
 */
export const TRANSITIONS: Record<ProposalStatus, readonly ProposalStatus[]> = {
  nowa: ['przekazana', 'duplikat'],
  przekazana: ['nowa', 'stanowiska-zebrane', 'duplikat'],
  'stanowiska-zebrane': ['przekazana', 'rozstrzygnieta', 'duplikat'],
  // back to collecting positions only by reopening, with a reason
  rozstrzygnieta: ['w-realizacji', 'przekazana', 'stanowiska-zebrane'],
  'w-realizacji': ['zrealizowana', 'przekazana', 'stanowiska-zebrane'],
  zrealizowana: ['przekazana', 'stanowiska-zebrane'],
  // undoing a duplicate returns to where the positions stand
  duplikat: ['nowa', 'przekazana', 'stanowiska-zebrane'],
};

export const DECIDED: readonly ProposalStatus[] = ['rozstrzygnieta', 'w-realizacji', 'zrealizowana'];

export class WorkflowError extends Error {}

export const OUTCOME_LABELS: Record<Outcome, string> = {
  uwzgledniona: 'uwzględniona',
  'czesciowo-uwzgledniona': 'częściowo uwzględniona',
  nieuwzgledniona: 'nieuwzględniona',
  'juz-realizowana': 'już realizowana',
  'do-dalszej-analizy': 'do dalszej analizy',
  'poza-zakresem': 'poza zakresem programu',
};

/** Outcomes whose justification may not be empty. */
export function justificationRequired(outcome: Outcome): boolean {
  return outcome === 'nieuwzgledniona';
}

export function canTransition(from: ProposalStatus, to: ProposalStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isDecided(status: ProposalStatus): boolean {
  return DECIDED.includes(status);
}

/** Assignments and positions may change only while the proposal is open (not decided, not a duplicate). */
export function isOpen(status: ProposalStatus): boolean {
  return !isDecided(status) && status !== 'duplikat';
}

/** Where a proposal stands from its assignments alone: the state while positions are collected. */
export function collectingStatus(assigned: number, submitted: number): ProposalStatus {
  if (assigned === 0) return 'nowa';
  return submitted >= assigned ? 'stanowiska-zebrane' : 'przekazana';
}

/** A plain-language refusal for a transition the workflow does not allow. */
export function assertTransition(
  from: ProposalStatus,
  to: ProposalStatus,
  labels: Record<ProposalStatus, string>,
): void {
  if (from === to) throw new WorkflowError(`Propozycja ma już status „${labels[to]}”.`);
  if (!canTransition(from, to))
    throw new WorkflowError(`Nie można zmienić statusu z „${labels[from]}” na „${labels[to]}”.`);
}

/** The admin's manual moves from a status (the rest follow from assignments, positions and decisions). */
export function manualTargets(status: ProposalStatus): ('w-realizacji' | 'zrealizowana' | 'reopen')[] {
  switch (status) {
    case 'rozstrzygnieta':
      return ['w-realizacji', 'reopen'];
    case 'w-realizacji':
      return ['zrealizowana', 'reopen'];
    case 'zrealizowana':
      return ['reopen'];
    default:
      return [];
  }
}

/** A position is overdue when its due date has passed and the unit has not submitted it. */
export function isOverdue(dueDate: string, submitted: boolean, today: string): boolean {
  return !submitted && dueDate < today;
}

/** Unit staff's list order: awaiting our position first, overdue on top, then by due date. */
export function compareForUnit(
  a: { awaiting: boolean; overdue: boolean; dueDate: string; lp: number },
  b: { awaiting: boolean; overdue: boolean; dueDate: string; lp: number },
): number {
  if (a.awaiting !== b.awaiting) return a.awaiting ? -1 : 1;
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  if (a.dueDate !== b.dueDate) return a.dueDate < b.dueDate ? -1 : 1;
  return a.lp - b.lp;
}
