import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAdmin, requireStaff } from '../auth/guards.js';
import { canAddNote, canManage, canWritePosition } from '../auth/policy.js';
import type { DbOrTx } from '../db/client.js';
import { decisionSchema } from '../decisions/schema.js';
import { previewDecision, publishDecision } from '../decisions/service.js';
import { asArray } from '../lib/forms.js';
import { HttpError } from '../lib/http.js';
import { positionSchema } from '../positions/schema.js';
import { notYourPosition, savePosition } from '../positions/service.js';
import { listUnits } from '../proposals/queries.js';
import {
  assignmentParamsSchema,
  assignSchema,
  changeAssignmentSchema,
  correctionSchema,
  duplicateSchema,
  noteSchema,
  removeAssignmentSchema,
  statusSchema,
  unduplicateSchema,
} from '../triage/schema.js';
import {
  addNote,
  assignUnits,
  changeAssignment,
  changeStatusManually,
  correctMetadata,
  markDuplicate,
  removeAssignment,
  unmarkDuplicate,
} from '../triage/service.js';
import { decisionRefusal, manualStatusRefusal, openRefusal } from '../workflow/workflow.js';
import { EVENTS_ID, FORMS } from './ids.js';
import { renderStaffProposal } from './page.js';
import { type AnyProposalForm, type Guard, proposalForm } from './form.js';
import { registerForm } from './run-form.js';
import { anyWithoutAccount, renderUnitPicker } from './sections/assign.js';
import { decisionBody, sendPreview } from './sections/decision.js';
import { sendEventsFragment } from './sections/events.js';
import { sendDraftState, unitIdOf } from './sections/positions.js';

/**
 * Every form of the staff page of one proposal: each POST /proposals/:id/* it sends, declared once (who may
 * send it, its id on the page, its schema, when it applies, what it runs, where it lands) and run by the one
 * runner (src/workbench/run-form.ts). Each is kept after a session ends unless it says `kept: false`.
 */

/** Triage, corrections, decisions, status: the office only. */
const OFFICE: Guard = {
  preHandler: requireAdmin,
  may: (actor) => canManage(actor),
  refusal: () => 'Ta czynność jest dostępna tylko dla Biura Dialogu i Innowacji Miejskich.',
};

/** Internal notes: the office, and staff of the units the proposal is assigned to. */
const NOTE_WRITER: Guard = {
  preHandler: requireStaff,
  may: (actor, assigned) => canAddNote(actor, assigned),
  refusal: () => 'Nie możesz dodawać notatek do tej propozycji.',
};

/** A unit's position: its own staff, or the office (its own position, or recorded on the unit's behalf). */
const POSITION_WRITER: Guard = {
  async preHandler(request: FastifyRequest, reply: FastifyReply) {
    await requireStaff(request, reply);
    if (reply.sent) return;
    if (request.user!.role === 'reviewer')
      throw new HttpError(403, 'Stanowiska piszą jednostki, do których przekazano propozycję, i Biuro Dialogu.');
  },
  may: (actor, assigned, values) => {
    const unitId = unitIdOf(values);
    return unitId !== 'x' && canWritePosition(actor, unitId, assigned);
  },
  refusal: notYourPosition,
};

const withUnitArray = (raw: Record<string, unknown>) => ({ ...raw, unitIds: asArray(raw.unitIds) });
const str = (v: unknown) => (typeof v === 'string' ? v : '');
/** The unit groups of the directory (a group stands for units the admin must name). */
const groupIdsOf = (db: DbOrTx) =>
  new Set(
    listUnits(db)
      .filter((u) => u.kind === 'grupa')
      .map((u) => u.id),
  );

const assign = proposalForm({
  url: '/proposals/:id/assignments',
  guard: OFFICE,
  id: () => FORMS.assign,
  schema: assignSchema,
  body: withUnitArray,
  applies: openRefusal,
  // a unit group stands for units the admin must name: ask which (its members are proposed)
  detour: ({ app, params, values }) => {
    const groups = groupIdsOf(app.database.db);
    const unitIds = values.unitIds as unknown[];
    if (!unitIds.some((u) => groups.has(Number(u)))) return null;
    const q = new URLSearchParams();
    for (const u of unitIds) q.append('unitIds', String(u));
    for (const k of ['dueDate', 'leadUnitId', 'version'] as const)
      if (typeof values[k] === 'string') q.set(k, values[k]);
    return `/staff/proposals/${params.id}/assignments/new?${q}`;
  },
  run: (input, { app, params, actor }) => {
    assignUnits(app.database.db, params.id, input, actor.id);
    // the warning given before saving is repeated where the admin lands
    return anyWithoutAccount(app.database.db, input.unitIds);
  },
  done: (withoutAccount) => (withoutAccount ? 'przekazano-bez-konta' : 'przekazano'),
  // sent from the group picker: its errors show there again, with the groups being resolved
  failure: (ctx, state, statusCode) => {
    const groups = groupIdsOf(ctx.app.database.db);
    const picked = asArray(ctx.values.groupIds)
      .map(Number)
      .filter((g) => groups.has(g));
    if (!picked.length) return renderStaffProposal(ctx.app, ctx.request, ctx.reply, ctx.params.id, state, statusCode);
    const { values } = ctx;
    return renderUnitPicker(
      ctx.app,
      ctx.request,
      ctx.reply,
      ctx.params.id,
      {
        unitIds: [],
        groupIds: picked,
        version: str(values.version),
        dueDate: str(values.dueDate),
        leadUnitId: str(values.leadUnitId),
        sent: values,
        errors: state.errors,
      },
      statusCode,
    );
  },
});

const changeAssignmentForm = proposalForm({
  url: '/proposals/:id/assignments/:assignmentId',
  params: assignmentParamsSchema,
  guard: OFFICE,
  id: ({ assignmentId }) => FORMS.assignment(assignmentId),
  schema: changeAssignmentSchema,
  applies: openRefusal,
  run: (input, { app, params, actor }) =>
    changeAssignment(app.database.db, params.id, params.assignmentId, input, actor.id),
  done: 'zmieniono-przekazanie',
});

const removeAssignmentForm = proposalForm({
  url: '/proposals/:id/assignments/:assignmentId/removal',
  params: assignmentParamsSchema,
  guard: OFFICE,
  id: ({ assignmentId }) => FORMS.assignment(assignmentId),
  schema: removeAssignmentSchema,
  applies: openRefusal,
  run: (input, { app, params, actor }) =>
    removeAssignment(app.database.db, params.id, params.assignmentId, input.version, actor.id),
  done: 'usunieto-przekazanie',
  // "Tak, usuń przekazanie" on a confirmation: nothing typed to keep; after a new login the question is asked again
  kept: false,
});

const duplicate = proposalForm({
  url: '/proposals/:id/duplicate',
  guard: OFFICE,
  id: () => FORMS.duplicate,
  schema: duplicateSchema,
  applies: openRefusal,
  run: (input, { app, params, actor }) => markDuplicate(app.database.db, params.id, input, actor.id),
  done: 'duplikat',
});

const unduplicate = proposalForm({
  url: '/proposals/:id/duplicate/removal',
  guard: OFFICE,
  id: () => FORMS.duplicate,
  schema: unduplicateSchema,
  run: (input, { app, params, actor }) => unmarkDuplicate(app.database.db, params.id, input.version, actor.id),
  done: 'cofnieto-duplikat',
  // "Tak, cofnij oznaczenie" on a confirmation: nothing typed to keep
  kept: false,
});

const correction = proposalForm({
  url: '/proposals/:id/corrections',
  guard: OFFICE,
  id: () => FORMS.correction,
  schema: correctionSchema,
  run: (input, { app, params, actor }) => correctMetadata(app.database.db, params.id, input, actor.id),
  done: 'poprawiono',
});

const status = proposalForm({
  url: '/proposals/:id/status',
  guard: OFFICE,
  id: () => FORMS.status,
  schema: statusSchema,
  applies: manualStatusRefusal,
  run: (input, { app, params, actor }) => changeStatusManually(app.database.db, params.id, input, actor.id),
  done: 'zmieniono-status',
});

// Internal notes: with htmx the timeline fragment comes back; without JS, the page.
const note = proposalForm({
  url: '/proposals/:id/notes',
  guard: NOTE_WRITER,
  id: () => FORMS.note,
  schema: noteSchema,
  run: (input, { app, params, actor }) => addNote(app.database.db, params.id, input.text, actor.id),
  done: 'notatka',
  fragment: {
    target: () => EVENTS_ID,
    success: ({ app, request, reply, access }) => sendEventsFragment(app, request, reply, access),
    failure: ({ app, request, reply, access, values }, errors, statusCode) =>
      sendEventsFragment(app, request, reply, access, { error: errors.byField.text, value: values.text }, statusCode),
  },
});

const position = proposalForm({
  url: '/proposals/:id/positions',
  guard: POSITION_WRITER,
  id: (_params, values) => {
    const unitId = unitIdOf(values);
    return unitId === 'x' ? null : FORMS.position(unitId);
  },
  schema: positionSchema,
  applies: openRefusal,
  run: (input, { app, params, actor }) => {
    const at = new Date();
    return { ...savePosition(app.database.db, params.id, input, actor, at), at: at.toISOString() };
  },
  done: (saved) => {
    if (!saved.submitted) return 'szkic';
    return saved.onBehalf ? 'stanowisko-wpisane' : 'stanowisko';
  },
  // the autosave of a draft (htmx, two seconds after the last change): saved like "Zapisz szkic", answered
  // with the card's draft-state line
  fragment: {
    target: (_params, values) => FORMS.positionDraftState(unitIdOf(values)),
    autosave: true,
    refuse: (values) => (values.action === 'draft' ? null : 'Automatycznie zapisuje się tylko szkic stanowiska.'),
    success: ({ app, reply, values }, saved) =>
      sendDraftState(app, reply, unitIdOf(values), 200, { savedAt: saved.at, version: saved.version }),
    failure: ({ app, reply, values }, errors) =>
      sendDraftState(app, reply, unitIdOf(values), 422, {
        error: errors.summary[0]?.message ?? 'Nieprawidłowe dane.',
      }),
  },
});

/** The decision form, as its three routes (publish, preview, back to editing) read it. */
const DECISION_FORM = { guard: OFFICE, id: () => FORMS.decision, schema: decisionSchema, body: decisionBody };

const decision = proposalForm({
  ...DECISION_FORM,
  url: '/proposals/:id/decision',
  applies: decisionRefusal,
  run: (input, { app, params, actor }) => publishDecision(app.database.db, params.id, input, actor.id),
  done: 'decyzja',
});

// "Sprawdź przed publikacją": the same checks as publishing, the public page's markup, nothing saved.
const decisionPreview = proposalForm({
  ...DECISION_FORM,
  url: '/proposals/:id/decision/preview',
  applies: decisionRefusal,
  run: (input, { app, access }) => ({ input, preview: previewDecision(app.database.db, access.proposal, input) }),
  done: ({ input, preview }, { app, request, reply, access }) =>
    sendPreview(app, request, reply, access.proposal, preview, input),
});

// "Wróć do edycji" from the preview: the staff page with the decision form holding the values sent back.
const decisionEdit = proposalForm({
  ...DECISION_FORM,
  url: '/proposals/:id/decision/edit',
  run: () => undefined,
  done: (_result, { app, request, reply, params, values }) =>
    renderStaffProposal(app, request, reply, params.id, {
      form: FORMS.decision,
      errors: { summary: [], byField: {} },
      values,
    }),
});

/** The forms of the page, in the page's order. */
export const PROPOSAL_FORMS: readonly AnyProposalForm[] = [
  assign,
  changeAssignmentForm,
  removeAssignmentForm,
  position,
  decisionPreview,
  decision,
  decisionEdit,
  status,
  duplicate,
  unduplicate,
  correction,
  note,
];

const forms: FastifyPluginAsync = async (app) => {
  for (const form of PROPOSAL_FORMS) registerForm(app, form);
};

export default forms;
