import type { ProposalStatus } from '../db/schema/proposals.js';
import type { Outcome } from '../db/schema/workflow.js';
import { RuleError } from './errors.js';

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

/** A decision is in force. */
export const DECIDED: readonly ProposalStatus[] = ['rozstrzygnieta', 'w-realizacji', 'zrealizowana'];
/** Assigned and not yet decided: the positions are being collected, or the decision awaited. */
export const IN_PROGRESS: readonly ProposalStatus[] = ['przekazana', 'stanowiska-zebrane'];

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

export function isInProgress(status: ProposalStatus): boolean {
  return IN_PROGRESS.includes(status);
}

/** Assignments and positions may change only while the proposal is open (not decided, not a duplicate). */
export function isOpen(status: ProposalStatus): boolean {
  return !isDecided(status) && status !== 'duplikat';
}

/**
 * Why assignments, positions and the duplicate mark cannot change in this status (null: they can), in the
 * words of the cause. The services assert it, the forms check it first, the page shows their forms only when
 * it is null.
 */
export function openRefusal(status: ProposalStatus): string | null {
  if (isDecided(status)) return 'Decyzja w tej sprawie została już opublikowana: tej zmiany nie można już wprowadzić.';
  if (status === 'duplikat')
    return 'Propozycja jest oznaczona jako duplikat: tej zmiany nie można wprowadzić, dopóki oznaczenie nie zostanie cofnięte.';
  return null;
}

export const DECISION_NOT_READY =
  'Decyzję można opublikować, gdy wszystkie przypisane jednostki złożą stanowiska (status „stanowiska zebrane”).';

/** Why a decision cannot be published in this status (null: it can, once every assigned unit's position is in). */
export function decisionRefusal(status: ProposalStatus): string | null {
  return status === 'stanowiska-zebrane' ? null : DECISION_NOT_READY;
}

/** A service's assertion of a rule above: its refusal is the form's error. */
export function assertAllowed(refusal: string | null): void {
  if (refusal) throw new RuleError('form', refusal);
}

/** The public stages of progress; every status falls into exactly one. */
export const PUBLIC_STAGES = ['decided', 'inProgress', 'waiting', 'merged'] as const;
export type PublicStage = (typeof PUBLIC_STAGES)[number];

/** The statuses behind each public stage (the list's `status` filter values, for links from the counts). */
export const PUBLIC_STAGE_STATUSES: Record<PublicStage, readonly ProposalStatus[]> = {
  decided: DECIDED,
  inProgress: IN_PROGRESS,
  waiting: ['nowa'],
  merged: ['duplikat'],
};

export function stageOf(status: ProposalStatus): PublicStage {
  return PUBLIC_STAGES.find((s) => PUBLIC_STAGE_STATUSES[s].includes(status))!;
}

/** The stages the RDPP's and the office's lists filter by (`stage`): decided, or still being answered. */
export const REVIEW_STAGES = ['rozstrzygniete', 'w-toku'] as const;
export type ReviewStage = (typeof REVIEW_STAGES)[number];

export function inReviewStage(status: ProposalStatus, stage: ReviewStage): boolean {
  return stage === 'rozstrzygniete' ? isDecided(status) : isInProgress(status);
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

/** Why the admin cannot move the status by hand now (null: some manual move is allowed). */
export function manualStatusRefusal(status: ProposalStatus): string | null {
  return manualTargets(status).length
    ? null
    : 'Status tej propozycji zmienia się sam wraz z przekazaniem, stanowiskami i decyzją; ręcznie można go ' +
        'zmienić dopiero po publikacji decyzji.';
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

/**
 * "Rozpatrzona" (answered): its decision is in force, or it is a duplicate of a proposal whose decision is –
 * the answer given there is its answer. A duplicate of a proposal still open waits with it. The report (its
 * counts and whether it is final) and the progress pages count with this one rule.
 */
export function isConsidered(status: ProposalStatus, originalStatus: ProposalStatus | null): boolean {
  if (status === 'duplikat') return originalStatus !== null && isDecided(originalStatus);
  return isDecided(status);
}
