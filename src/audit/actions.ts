import { type SQL, sql } from 'drizzle-orm';
import { AUDIT_ACTION_LABELS, type AuditAction } from '../admin/audit.js';
import { events } from '../db/schema/index.js';
import type { EventType } from '../db/schema/workflow.js';
import { DECIDED } from '../workflow/workflow.js';

/**
 * What the audit log calls the work on proposals: one action per event type (EVENT_TYPES), and a few read from
 * an event's content – a due date moved, a decision withdrawn by reopening, a position the office recorded on a
 * unit's behalf. Every change to a proposal is an event (changeProposal), so a new kind of work is in the log,
 * its action filter and its CSV once it is recorded as an event; tsc asks only for its label below.
 */
export const DERIVED_ACTIONS = ['status.reopened', 'assignment.due-changed', 'position.on-behalf'] as const;
type DerivedAction = (typeof DERIVED_ACTIONS)[number];
export type ProposalAction = EventType | DerivedAction;

/**
 * The labels, in order of weight: one change writes several events at one instant (an assignment moves the
 * status, a decision publishes the positions it cites), and the log names such an entry by the first of its
 * actions in this order. The status change and the positions published with a decision are consequences: last.
 */
export const PROPOSAL_ACTION_LABELS: Record<ProposalAction, string> = {
  'decision.published': 'publikacja decyzji',
  'status.reopened': 'ponowne otwarcie (wycofanie decyzji)',
  'duplicate.marked': 'oznaczenie jako duplikat',
  'duplicate.unmarked': 'cofnięcie oznaczenia jako duplikat',
  'metadata.corrected': 'korekta numeru LP lub tematu stolika',
  'position.on-behalf': 'stanowisko wpisane przez Biuro w imieniu jednostki',
  'position.submitted': 'złożenie stanowiska',
  'position.revised': 'poprawienie stanowiska',
  'assignment.added': 'przekazanie do jednostek',
  'assignment.removed': 'cofnięcie przekazania',
  'assignment.due-changed': 'zmiana terminu stanowiska',
  'assignment.changed': 'zmiana jednostki wiodącej',
  'note.added': 'notatka wewnętrzna',
  'status.changed': 'zmiana statusu',
  'position.published': 'upublicznienie stanowiska z decyzją',
};

export const PROPOSAL_ACTIONS = Object.keys(PROPOSAL_ACTION_LABELS) as ProposalAction[];
export const ACCOUNT_ACTIONS = Object.keys(AUDIT_ACTION_LABELS) as AuditAction[];
export type LogAction = ProposalAction | AuditAction;
export const LOG_ACTIONS = [...PROPOSAL_ACTIONS, ...ACCOUNT_ACTIONS] as [LogAction, ...LogAction[]];

export function isProposalAction(action: string): action is ProposalAction {
  return action in PROPOSAL_ACTION_LABELS;
}

export function actionLabel(action: string): string {
  if (isProposalAction(action)) return PROPOSAL_ACTION_LABELS[action];
  return AUDIT_ACTION_LABELS[action as AuditAction] ?? action;
}

/** The action of several recorded at one instant that names them: the weightiest (see PROPOSAL_ACTION_LABELS). */
export function leadAction(actions: string[]): string {
  const rank = (a: string) => (isProposalAction(a) ? PROPOSAL_ACTIONS.indexOf(a) : -1);
  return actions.reduce((best, a) => (rank(a) < rank(best) ? a : best));
}

/** The filter's options: the work on proposals, then the changes to accounts, units and consultations. */
export const ACTION_GROUPS = [
  { label: 'Praca nad propozycjami', options: PROPOSAL_ACTIONS.map((value) => ({ value, label: actionLabel(value) })) },
  {
    label: 'Konta, katalog jednostek, konsultacje',
    options: ACCOUNT_ACTIONS.map((value) => ({ value, label: actionLabel(value) })),
  },
];

const decided = sql.join(
  DECIDED.map((s) => sql`${s}`),
  sql`, `,
);
const status = (column: typeof events.before | typeof events.after) => sql`json_extract(${column}, '$.status')`;

/** When an event is one of the derived actions (checked in this order). */
const DERIVED: Record<DerivedAction, SQL> = {
  'status.reopened': sql`${events.type} = 'status.changed' AND ${status(events.before)} IN (${decided}) AND ${status(events.after)} NOT IN (${decided})`,
  'assignment.due-changed': sql`${events.type} = 'assignment.changed' AND json_extract(${events.before}, '$.dueDate') IS NOT json_extract(${events.after}, '$.dueDate')`,
  'position.on-behalf': sql`${events.type} IN ('position.submitted', 'position.revised') AND json_extract(${events.after}, '$.onBehalf') = 1`,
};

/** An event row's action, in SQL (the log filters and names entries by it). */
export const eventAction = sql<string>`CASE ${sql.join(
  DERIVED_ACTIONS.map((a) => sql`WHEN ${DERIVED[a]} THEN ${a}`),
  sql` `,
)} ELSE ${events.type} END`;
