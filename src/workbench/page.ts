import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { canAddNote, canManage } from '../auth/policy.js';
import { KEPT_MESSAGES, takeKeptForm } from '../auth/kept-forms.js';
import { OUTCOMES } from '../db/schema/workflow.js';
import { todayInWarsaw } from '../lib/dates.js';
import type { FieldErrors } from '../lib/forms.js';
import { BASIS_OPTIONS } from '../positions/basis.js';
import { duplicateOriginal, listUnits, unitsForProposals } from '../proposals/queries.js';
import { pointBlocks } from '../proposals/text.js';
import { decisionRefusal, manualTargets, openRefusal, OUTCOME_LABELS } from '../workflow/workflow.js';
import { loadStaffProposal } from './access.js';
import { FORMS, SECTIONS, successFor } from './ids.js';
import { assignFormModel } from './sections/assign.js';
import { decisionSection } from './sections/decision.js';
import { eventsSection } from './sections/events.js';
import { positionRows } from './sections/positions.js';

/** The confirmation code a successful form redirects with (?ok=…); anything else is ignored. */
const okQuerySchema = z
  .object({
    ok: z
      .string()
      .regex(/^[a-z-]{1,40}$/)
      .optional(),
  })
  .catch({ ok: undefined });

/**
 * A form's outcome to show on the page again: its id, errors and the values typed; `restored` when the
 * values are those of a form sent after the session ended, given back after a new login (no errors).
 */
export type FormState = {
  form: string;
  errors: FieldErrors;
  values: Record<string, unknown>;
  restored?: { message: string; field: string | null };
};

/** Renders the staff page of a proposal, optionally with one form's errors (and the given status). */
export async function renderStaffProposal(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  id: number,
  state?: FormState,
  statusCode = 200,
) {
  const { db } = app.database;
  const access = loadStaffProposal(db, request.user, id);
  const { proposal, assigned } = access;
  const actor = request.user!;
  state ??= restoredState(app, request, reply, id);
  const today = todayInWarsaw();
  const allUnits = listUnits(db);
  const page = {
    ...(await app.pageContext(request, reply)),
    nav: 'staff',
    proposal,
    blocks: pointBlocks(proposal.points),
    sourceUnits: unitsForProposals(db, [id]).get(id) ?? [],
    assignments: positionRows(db, actor, id, assigned, today),
    concreteUnits: allUnits.filter((u) => u.kind !== 'grupa'),
    groups: allUnits.filter((u) => u.kind === 'grupa'),
    assignForm: canManage(actor)
      ? assignFormModel(db, id, {
          values: state?.form === FORMS.assign ? state.values : null,
          dueWorkingDays: app.triageDueWorkingDays,
          today,
        })
      : null,
    ...decisionSection(db, id),
    ...eventsSection(db, actor, id, access),
    duplicateOf: duplicateOriginal(db, proposal.duplicateOfId),
    outcomes: OUTCOMES.map((value) => ({ value, label: OUTCOME_LABELS[value] })),
    outcomeLabels: OUTCOME_LABELS,
    basisOptions: BASIS_OPTIONS,
    today,
    // what the page offers, by the same rules the forms check and the services assert
    can: {
      manage: canManage(actor),
      open: openRefusal(proposal.status) === null,
      decide: canManage(actor) && decisionRefusal(proposal.status) === null,
      note: canAddNote(actor, assigned),
      manualTargets: canManage(actor) ? manualTargets(proposal.status) : [],
    },
    state: state ?? null,
    success: state ? null : successFor(okQuerySchema.parse(request.query ?? {}).ok),
    forms: FORMS,
    sections: SECTIONS,
  };
  return reply
    .code(statusCode)
    .type('text/html; charset=utf-8')
    .send(await app.view('staff/proposal.njk', page));
}

/** The form this browser sent after its session ended, put back once (src/auth/kept-forms.ts). */
function restoredState(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, id: number) {
  if (request.method !== 'GET') return undefined;
  const kept = takeKeptForm(app.database.db, request, reply, id);
  if (!kept) return undefined;
  const restored = { message: KEPT_MESSAGES.restored, field: kept.field };
  return { form: kept.formId, errors: { summary: [], byField: {} }, values: kept.values, restored };
}
