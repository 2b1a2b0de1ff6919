import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { canAddNote, canManage, canViewProposalAsStaff, positionAuthorship } from '../auth/policy.js';
import { lastDecision } from '../decisions/preview.js';
import { currentDecision, submittedPositions } from '../decisions/service.js';
import { OUTCOMES } from '../db/schema/workflow.js';
import { describeEvent, eventBody } from '../events/present.js';
import { listEvents } from '../events/queries.js';
import { todayInWarsaw } from '../lib/dates.js';
import { fieldErrors, singleError, type FieldErrors } from '../lib/forms.js';
import { HttpError } from '../lib/http.js';
import { getProposal, listUnits, unitsForProposals } from '../proposals/queries.js';
import { pointBlocks } from '../proposals/text.js';
import { ConflictError, ForbiddenError, NotFoundError, RuleError } from '../workflow/errors.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { isOpen, isOverdue, manualTargets, OUTCOME_LABELS } from '../workflow/workflow.js';
import { FORMS, SECTIONS, type SuccessCode, successFor, successUrl } from './forms.js';
import { assignedUnitIds, assignmentsWithPositions, duplicateOriginal } from './queries.js';
import { KEPT_MESSAGES, takeKeptForm } from '../auth/kept-forms.js';
import { assignFormModel } from './assign-form.js';
import { BASIS_OPTIONS } from '../positions/basis.js';
import { draftSavedAt, officeUnitId } from '../positions/service.js';

export const EVENTS_ID = 'zdarzenia';

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

export function loadStaffProposal(app: FastifyInstance, request: FastifyRequest, id: number) {
  const { db } = app.database;
  const proposal = getProposal(db, id);
  if (!proposal) throw new HttpError(404, 'Nie ma propozycji o takim numerze.');
  const assigned = assignedUnitIds(db, id);
  if (!canViewProposalAsStaff(request.user, assigned))
    throw new HttpError(403, 'Ta propozycja nie została przekazana do Twojej jednostki.');
  return { proposal, assigned };
}

export function staffEvents(app: FastifyInstance, proposalId: number) {
  return listEvents(app.database.db, proposalId, { publicOnly: false }).map((e) => ({
    ...e,
    text: describeEvent(e),
    body: eventBody(e),
  }));
}

/** After a reopen the decision form starts from the withdrawn decision (null: none, or one in force). */
function decisionDraft(db: FastifyInstance['database']['db'], id: number) {
  const last = lastDecision(db, id);
  if (!last?.retractedAt) return null;
  return {
    outcome: last.outcome,
    text: last.text,
    citedPositionIds: last.citedPositions.map((c) => String(c.positionId)),
    publishedAt: last.publishedAt,
    retractedAt: last.retractedAt,
  };
}

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
  const { proposal, assigned } = loadStaffProposal(app, request, id);
  const actor = request.user!;
  state ??= restoredState(app, request, reply, id);
  const today = todayInWarsaw();
  const office = officeUnitId(db);
  const assignmentRows = assignmentsWithPositions(db, id).map((a) => {
    const latest = a.versions[a.versions.length - 1] ?? null;
    // 'unit', 'office' (the office's own) or 'on-behalf' (the office records it from what the unit sent)
    const authorship = positionAuthorship(actor, a.unitId, assigned, office);
    return {
      ...a,
      latest,
      overdue: isOverdue(a.dueDate, latest !== null, today),
      mine: actor.unitIds.includes(a.unitId),
      canWrite: authorship !== null,
      authorship,
      /** writing its own answer (not the office's folded on-behalf form): the proposal's text is shown open */
      writesOwn: authorship === 'unit' || authorship === 'office',
      draftSavedAt: draftSavedAt(a),
    };
  });
  const allUnits = listUnits(db);
  const duplicateOf = duplicateOriginal(db, proposal.duplicateOfId);
  const page = {
    ...(await app.pageContext(request, reply)),
    nav: 'staff',
    proposal,
    blocks: pointBlocks(proposal.points),
    sourceUnits: unitsForProposals(db, [id]).get(id) ?? [],
    assignments: assignmentRows,
    concreteUnits: allUnits.filter((u) => u.kind !== 'grupa'),
    groups: allUnits.filter((u) => u.kind === 'grupa'),
    assignForm: canManage(actor)
      ? assignFormModel(db, id, {
          values: state?.form === FORMS.assign ? state.values : null,
          dueWorkingDays: app.triageDueWorkingDays,
          today,
        })
      : null,
    submitted: submittedPositions(db, id),
    decision: currentDecision(db, id),
    decisionDraft: decisionDraft(db, id),
    events: staffEvents(app, id),
    eventsId: EVENTS_ID,
    proposalId: id,
    canNote: canAddNote(actor, assigned),
    duplicateOf,
    outcomes: OUTCOMES.map((value) => ({ value, label: OUTCOME_LABELS[value] })),
    outcomeLabels: OUTCOME_LABELS,
    basisOptions: BASIS_OPTIONS,
    today,
    can: {
      manage: canManage(actor),
      open: isOpen(proposal.status),
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

/**
 * Runs one staff form: zod-validates the body, runs the change, and either redirects (303) to
 * the proposal page or shows the page again with the form's errors and nothing saved.
 */
export async function runProposalForm<S extends z.ZodType>(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  opts: {
    id: number;
    form: string;
    schema: S;
    body?: unknown;
    /** the change; may return another success code than `ok` */
    // biome-ignore lint/suspicious/noConfusingVoidType: most changes return nothing, some a success code
    run: (input: z.infer<S>) => void | SuccessCode;
    ok: SuccessCode;
    /** a refusal when the form does not apply to the proposal as it stands (checked before the fields) */
    precondition?: (proposal: { status: ProposalStatus }) => string | null;
    /** shows the form again with its errors, when it is not on the staff page (default: the staff page) */
    renderFailure?: (state: FormState, statusCode: number) => Promise<FastifyReply>;
  },
) {
  const raw = (opts.body ?? request.body ?? {}) as Record<string, unknown>;
  const values = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== '_csrf'));
  // the page must be visible to this user at all before anything else is said
  const { proposal } = loadStaffProposal(app, request, opts.id);
  const fail =
    opts.renderFailure ??
    ((state: FormState, code: number) => renderStaffProposal(app, request, reply, opts.id, state, code));
  const refusal = opts.precondition?.(proposal);
  if (refusal) return fail({ form: opts.form, errors: singleError('form', refusal), values }, 422);
  const parsed = opts.schema.safeParse(raw);
  if (!parsed.success) return fail({ form: opts.form, errors: fieldErrors(parsed.error), values }, 422);
  let ok = opts.ok;
  try {
    ok = opts.run(parsed.data) || ok;
  } catch (err) {
    if (err instanceof ConflictError)
      return fail({ form: opts.form, errors: singleError('form', err.message), values }, 409);
    if (err instanceof RuleError)
      return fail({ form: opts.form, errors: singleError(err.field, err.message), values }, 422);
    if (err instanceof NotFoundError) throw new HttpError(404, err.message);
    if (err instanceof ForbiddenError) throw new HttpError(403, err.message);
    throw err;
  }
  return reply.redirect(successUrl(opts.id, ok), 303);
}

/** The form this browser sent after its session ended, put back once (src/auth/kept-forms.ts). */
function restoredState(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, id: number) {
  if (request.method !== 'GET') return undefined;
  const kept = takeKeptForm(app.database.db, request, reply, id);
  if (!kept) return undefined;
  const restored = { message: KEPT_MESSAGES.restored, field: kept.field };
  return { form: kept.formId, errors: { summary: [], byField: {} }, values: kept.values, restored };
}

/** The timeline-and-note-form fragment (same access check as the page). */
export async function eventsFragment(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, id: number) {
  const { assigned } = loadStaffProposal(app, request, id);
  const { csrfToken } = await app.pageContext(request, reply);
  return {
    events: staffEvents(app, id),
    eventsId: EVENTS_ID,
    proposalId: id,
    canNote: canAddNote(request.user, assigned),
    csrfToken,
  };
}
