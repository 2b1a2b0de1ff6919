import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTx } from '../../db/client.js';
import { todayInWarsaw } from '../../lib/dates.js';
import { asArray, type FieldErrors } from '../../lib/forms.js';
import { addWorkingDays } from '../../lib/working-days.js';
import { officeUnitId } from '../../positions/service.js';
import { listUnits, membersOfGroup, unitsForProposals } from '../../proposals/queries.js';
import { assignmentsWithPositions, unitIdsWithActiveAccount } from '../../triage/queries.js';
import { loadStaffProposal } from '../access.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** TRIAGE_DUE_WORKING_DAYS: the due date an assignment form proposes, in working days after today (src/app.ts) */
    triageDueWorkingDays: number;
  }
}

/** Said next to a unit nobody can answer for, before saving and again after (the office writes its position). */
export const NO_ACCOUNT_WARNING = 'nikt z tej jednostki nie ma konta: stanowisko wpisze Biuro';

type Unit = { id: number; name: string; kind: string };
/** One unit offered in a form: ticked or not, and whether anyone could answer for it. */
export type UnitChoice = { id: number; name: string; checked: boolean; noAccount: boolean };

/** What both assignment forms need to know about the directory and this proposal's assignments. */
function context(db: DbOrTx, proposalId: number) {
  const all = listUnits(db);
  const assignedRows = assignmentsWithPositions(db, proposalId);
  const assignedIds = new Set(assignedRows.map((a) => a.unitId));
  const withAccount = unitIdsWithActiveAccount(db);
  const office = officeUnitId(db);
  // the office writes its own position: a missing account is no news there
  const noAccount = (unitId: number) => unitId !== office && !withAccount.has(unitId);
  const assigned = assignedRows.map((a) => ({
    id: a.unitId,
    name: a.unitName,
    lead: a.lead,
    noAccount: noAccount(a.unitId),
  }));
  return {
    all,
    concrete: all.filter((u) => u.kind !== 'grupa'),
    assigned,
    assignedIds,
    currentLead: assigned.find((a) => a.lead) ?? null,
    noAccount,
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const idsOf = (v: unknown) => new Set(asArray(v).map(String));

/**
 * The "Przekaż do jednostek" form of the staff page: the units the workshop named (and its groups) pre-ticked,
 * the rest of the directory below, units already assigned listed instead of offered, the proposed due date.
 * `values`: what was sent, when the form comes back with errors (then nothing is ticked by default).
 */
export function assignFormModel(
  db: DbOrTx,
  proposalId: number,
  opts: { values: Record<string, unknown> | null; dueWorkingDays: number; today?: string },
) {
  const { concrete, all, assigned, assignedIds, currentLead, noAccount } = context(db, proposalId);
  const source = unitsForProposals(db, [proposalId]).get(proposalId) ?? [];
  const sourceIds = new Set(source.map((u) => u.id));
  const ticked = opts.values ? idsOf(opts.values.unitIds) : sourceIds.size ? new Set([...sourceIds].map(String)) : null;
  const choice = (u: Unit): UnitChoice => ({
    id: u.id,
    name: u.name,
    checked: ticked?.has(String(u.id)) ?? false,
    noAccount: u.kind !== 'grupa' && noAccount(u.id),
  });
  const open = (u: Unit) => !assignedIds.has(u.id);
  const today = opts.today ?? todayInWarsaw();
  const proposedDue = addWorkingDays(today, opts.dueWorkingDays);
  const named = source.filter((u) => u.kind !== 'grupa' && open(u)).map(choice);
  const others = concrete.filter((u) => !sourceIds.has(u.id) && open(u)).map(choice);
  return {
    named,
    namedGroups: source.filter((u) => u.kind === 'grupa').map(choice),
    /** the source named only units already assigned */
    namedAllAssigned: source.some((u) => u.kind !== 'grupa') && !named.length,
    others,
    otherGroups: all.filter((u) => u.kind === 'grupa' && !sourceIds.has(u.id)).map(choice),
    assigned,
    currentLead,
    lead: opts.values ? str(opts.values.leadUnitId) : '',
    dueDate: opts.values ? str(opts.values.dueDate) : proposedDue,
    proposedDue,
    dueWorkingDays: opts.dueWorkingDays,
    /** assigned units nobody can answer for, repeated in the success message after saving */
    assignedWithoutAccount: assigned.filter((a) => a.noAccount),
    withoutAccountIds: assigned.filter((a) => a.noAccount).map((a) => a.id),
    noAccountWarning: NO_ACCOUNT_WARNING,
  };
}

/** Whether any of these units has nobody to answer for it (the success message then repeats the warning). */
export function anyWithoutAccount(db: DbOrTx, unitIds: number[]): boolean {
  const withAccount = unitIdsWithActiveAccount(db);
  const office = officeUnitId(db);
  return unitIds.some((id) => id !== office && !withAccount.has(id));
}

/** The picker's state: what the main form sent (GET), or what the picker itself sent back with errors (POST). */
export type PickerState = {
  /** units chosen on the staff page: groups to resolve and single units */
  unitIds: number[];
  /** the groups being resolved, when the picker's own form comes back */
  groupIds?: number[];
  version: string;
  dueDate: string;
  leadUnitId: string;
  /** the picker's own form came back: tick exactly what it sent */
  sent?: Record<string, unknown>;
  errors?: FieldErrors;
};

/**
 * "Które jednostki z grupy?": each chosen group with its members proposed (ticked), the single units chosen with
 * it, the rest of the directory, the lead chosen explicitly and the due date; units already assigned listed.
 */
export async function renderUnitPicker(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  proposalId: number,
  state: PickerState,
  statusCode = 200,
) {
  const { db } = app.database;
  const { proposal } = loadStaffProposal(db, request.user, proposalId);
  const { all, concrete, assigned, assignedIds, currentLead, noAccount } = context(db, proposalId);
  const byId = new Map(all.map((u) => [u.id, u]));
  const groupIds = state.groupIds ?? state.unitIds.filter((id) => byId.get(id)?.kind === 'grupa');
  const ticked = state.sent
    ? idsOf(state.sent.unitIds)
    : new Set(
        [
          ...state.unitIds.filter((id) => byId.get(id)?.kind !== 'grupa'),
          ...groupIds.flatMap((g) => membersOfGroup(db, g).map((m) => m.id)),
        ].map(String),
      );
  const choice = (u: Unit): UnitChoice => ({
    id: u.id,
    name: u.name,
    checked: ticked.has(String(u.id)),
    noAccount: noAccount(u.id),
  });
  // each unit is offered once: in the first group that has it, else among the units chosen with the groups
  const seen = new Set<number>(assignedIds);
  const take = (units: Unit[]) => units.filter((u) => u.kind !== 'grupa' && !seen.has(u.id) && seen.add(u.id));
  const groups = groupIds
    .map((id) => byId.get(id))
    .filter((g): g is NonNullable<typeof g> => g?.kind === 'grupa')
    .map((g) => {
      const members = membersOfGroup(db, g.id);
      return {
        id: g.id,
        name: g.name,
        hasMembers: members.length > 0,
        alreadyAssigned: members.filter((m) => assignedIds.has(m.id)).map((m) => m.name),
        members: take(members).map(choice),
      };
    });
  const chosenUnits = state.sent
    ? []
    : take(state.unitIds.map((id) => byId.get(id)).filter((u): u is NonNullable<typeof u> => !!u)).map(choice);
  const offered = [...groups.flatMap((g) => g.members), ...chosenUnits];
  const others = take(concrete).map(choice);
  const proposedDue = addWorkingDays(todayInWarsaw(), app.triageDueWorkingDays);
  return reply
    .code(statusCode)
    .type('text/html; charset=utf-8')
    .send(
      await app.view('staff/pick-units.njk', {
        ...(await app.pageContext(request, reply)),
        nav: 'staff',
        proposal,
        groups,
        chosenUnits,
        offered,
        others,
        assigned,
        currentLead,
        groupIds,
        version: state.version,
        dueDate: state.sent ? state.dueDate : state.dueDate || proposedDue,
        proposedDue,
        dueWorkingDays: app.triageDueWorkingDays,
        leadUnitId: state.leadUnitId,
        noAccountWarning: NO_ACCOUNT_WARNING,
        errors: state.errors?.summary.length ? state.errors : null,
      }),
    );
}
