import type { FastifyPluginAsync } from 'fastify';
import { requireAdmin, requireStaff } from '../auth/guards.js';
import { canAddNote } from '../auth/policy.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { decisionSchema } from '../decisions/schema.js';
import { DECISION_NOT_READY, previewDecision, publishDecision } from '../decisions/service.js';
import { asArray, fieldErrors, singleError } from '../lib/forms.js';
import { HttpError, parseOr, wantsFragment } from '../lib/http.js';
import { positionSchema } from '../positions/schema.js';
import { POSITIONS_CLOSED, savePosition } from '../positions/service.js';
import { listUnits } from '../proposals/queries.js';
import { idParamSchema } from '../proposals/schema.js';
import { ConflictError, ForbiddenError, NotFoundError, RuleError } from '../workflow/errors.js';
import { isOpen, manualTargets } from '../workflow/workflow.js';
import { loadStaffProposal } from './access.js';
import { EVENTS_ID, FORMS, successUrl } from './ids.js';
import { renderStaffProposal } from './page.js';
import { runProposalForm } from './run-form.js';
import { anyWithoutAccount, renderUnitPicker } from './sections/assign.js';
import { decisionBody, sendPreview } from './sections/decision.js';
import { sendEventsFragment } from './sections/events.js';
import { sendDraftState, unitIdOf } from './sections/positions.js';
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

/** Every form of the staff page of one proposal: each POST /proposals/:id/* it sends. */

const openOnly = (p: { status: ProposalStatus }) =>
  isOpen(p.status)
    ? null
    : 'Tę zmianę można wprowadzić tylko przed publikacją decyzji i gdy propozycja nie jest duplikatem.';

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;
  const body = (b: unknown) => (b ?? {}) as Record<string, unknown>;

  app.post('/proposals/:id/assignments', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const raw: Record<string, unknown> & { unitIds: unknown[] } = {
      ...body(request.body),
      unitIds: asArray(body(request.body).unitIds),
    };
    // a unit group stands for units the admin must name: ask which (its members are proposed)
    const groupIds = new Set(
      listUnits(db)
        .filter((u) => u.kind === 'grupa')
        .map((u) => u.id),
    );
    if (raw.unitIds.some((u) => groupIds.has(Number(u)))) {
      loadStaffProposal(db, request.user, id);
      const q = new URLSearchParams();
      for (const u of raw.unitIds) q.append('unitIds', String(u));
      for (const k of ['dueDate', 'leadUnitId', 'version'] as const)
        if (typeof raw[k] === 'string') q.set(k, raw[k] as string);
      return reply.redirect(`/staff/proposals/${id}/assignments/new?${q}`, 303);
    }
    // sent from the group picker: its errors show there again, with the groups being resolved
    const pickedGroupIds = asArray(body(request.body).groupIds)
      .map(Number)
      .filter((g) => groupIds.has(g));
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.assign,
      schema: assignSchema,
      body: raw,
      ok: 'przekazano',
      precondition: openOnly,
      renderFailure: pickedGroupIds.length
        ? (state, statusCode) =>
            renderUnitPicker(
              app,
              request,
              reply,
              id,
              {
                unitIds: [],
                groupIds: pickedGroupIds,
                version: typeof raw.version === 'string' ? raw.version : '',
                dueDate: typeof raw.dueDate === 'string' ? raw.dueDate : '',
                leadUnitId: typeof raw.leadUnitId === 'string' ? raw.leadUnitId : '',
                sent: raw,
                errors: state.errors,
              },
              statusCode,
            )
        : undefined,
      run: (input) => {
        assignUnits(db, id, input, request.user!.id);
        // the warning given before saving is repeated where the admin lands
        return anyWithoutAccount(db, input.unitIds) ? 'przekazano-bez-konta' : undefined;
      },
    });
  });

  app.post('/proposals/:id/assignments/:assignmentId', { preHandler: requireAdmin }, async (request, reply) => {
    const { id, assignmentId } = parseOr(assignmentParamsSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.assignment(assignmentId),
      schema: changeAssignmentSchema,
      ok: 'zmieniono-przekazanie',
      precondition: openOnly,
      run: (input) => changeAssignment(db, id, assignmentId, input, request.user!.id),
    });
  });

  app.post('/proposals/:id/assignments/:assignmentId/removal', { preHandler: requireAdmin }, async (request, reply) => {
    const { id, assignmentId } = parseOr(assignmentParamsSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.assignment(assignmentId),
      schema: removeAssignmentSchema,
      ok: 'usunieto-przekazanie',
      precondition: openOnly,
      run: (input) => removeAssignment(db, id, assignmentId, input.version, request.user!.id),
    });
  });

  app.post('/proposals/:id/duplicate', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.duplicate,
      schema: duplicateSchema,
      ok: 'duplikat',
      precondition: openOnly,
      run: (input) => markDuplicate(db, id, input, request.user!.id),
    });
  });

  app.post('/proposals/:id/duplicate/removal', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.duplicate,
      schema: unduplicateSchema,
      ok: 'cofnieto-duplikat',
      run: (input) => unmarkDuplicate(db, id, input.version, request.user!.id),
    });
  });

  app.post('/proposals/:id/corrections', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.correction,
      schema: correctionSchema,
      ok: 'poprawiono',
      run: (input) => correctMetadata(db, id, input, request.user!.id),
    });
  });

  app.post('/proposals/:id/status', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.status,
      schema: statusSchema,
      ok: 'zmieniono-status',
      precondition: (p) =>
        manualTargets(p.status).length
          ? null
          : 'Status tej propozycji zmienia się sam wraz z przekazaniem, stanowiskami i decyzją; ręcznie można go ' +
            'zmienić dopiero po publikacji decyzji.',
      run: (input) => changeStatusManually(db, id, input, request.user!.id),
    });
  });

  // Internal notes: with htmx the timeline fragment comes back; without JS, the page.
  app.post('/proposals/:id/notes', { preHandler: requireStaff }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const access = loadStaffProposal(db, request.user, id);
    if (!canAddNote(request.user, access.assigned))
      throw new HttpError(403, 'Nie możesz dodawać notatek do tej propozycji.');
    const parsed = noteSchema.safeParse(body(request.body));
    const fragment = wantsFragment(request, EVENTS_ID);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      if (fragment)
        return sendEventsFragment(
          app,
          request,
          reply,
          access,
          { error: errors.byField.text, value: body(request.body).text },
          422,
        );
      return renderStaffProposal(
        app,
        request,
        reply,
        id,
        { form: FORMS.note, errors, values: body(request.body) },
        422,
      );
    }
    addNote(db, id, parsed.data.text, request.user!.id);
    if (fragment) return sendEventsFragment(app, request, reply, access);
    return reply.redirect(successUrl(id, 'notatka'), 303);
  });

  app.post('/proposals/:id/positions', { preHandler: requireStaff }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    if (request.user!.role === 'reviewer')
      throw new HttpError(403, 'Stanowiska piszą jednostki, do których przekazano propozycję, i Biuro Dialogu.');
    const unitId = unitIdOf(body(request.body));
    reply.header('Vary', 'HX-Request, HX-Target');
    if (wantsFragment(request, FORMS.positionDraftState(unitId))) {
      // the autosave of a draft: saved like "Zapisz szkic", answered with the card's draft-state line
      const raw = body(request.body);
      const { proposal } = loadStaffProposal(db, request.user, id);
      if (raw.action !== 'draft') throw new HttpError(400, 'Automatycznie zapisuje się tylko szkic stanowiska.');
      if (!isOpen(proposal.status)) return sendDraftState(app, reply, unitId, 422, { error: POSITIONS_CLOSED });
      const parsed = positionSchema.safeParse(raw);
      if (!parsed.success)
        return sendDraftState(app, reply, unitId, 422, {
          error: parsed.error.issues[0]?.message ?? 'Nieprawidłowe dane.',
        });
      const now = new Date();
      try {
        const saved = savePosition(db, id, parsed.data, request.user!, now);
        return sendDraftState(app, reply, unitId, 200, { savedAt: now.toISOString(), version: saved.version });
      } catch (err) {
        if (err instanceof ConflictError || err instanceof RuleError)
          return sendDraftState(app, reply, unitId, 422, { error: err.message });
        if (err instanceof NotFoundError) throw new HttpError(404, err.message);
        if (err instanceof ForbiddenError) throw new HttpError(403, err.message);
        throw err;
      }
    }
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.position(unitId),
      schema: positionSchema,
      ok: 'stanowisko',
      precondition: (p) => (isOpen(p.status) ? null : POSITIONS_CLOSED),
      run: (input) => {
        const saved = savePosition(db, id, input, request.user!);
        if (!saved.submitted) return 'szkic';
        return saved.onBehalf ? 'stanowisko-wpisane' : 'stanowisko';
      },
    });
  });

  app.post('/proposals/:id/decision', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.decision,
      schema: decisionSchema,
      body: decisionBody(body(request.body)),
      ok: 'decyzja',
      precondition: (p) => (p.status === 'stanowiska-zebrane' ? null : DECISION_NOT_READY),
      run: (input) => publishDecision(db, id, input, request.user!.id),
    });
  });

  // "Sprawdź przed publikacją": the same checks as publishing, the public page's markup, nothing saved.
  app.post('/proposals/:id/decision/preview', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const raw = decisionBody(body(request.body));
    const values = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== '_csrf'));
    const { proposal } = loadStaffProposal(db, request.user, id);
    const refuse = (errors: ReturnType<typeof singleError>, status: number) =>
      renderStaffProposal(app, request, reply, id, { form: FORMS.decision, errors, values }, status);
    if (proposal.status !== 'stanowiska-zebrane') return refuse(singleError('form', DECISION_NOT_READY), 422);
    const parsed = decisionSchema.safeParse(raw);
    if (!parsed.success) return refuse(fieldErrors(parsed.error), 422);
    let preview: ReturnType<typeof previewDecision>;
    try {
      preview = previewDecision(db, proposal, parsed.data);
    } catch (err) {
      if (err instanceof ConflictError) return refuse(singleError('form', err.message), 409);
      if (err instanceof RuleError) return refuse(singleError(err.field, err.message), 422);
      throw err;
    }
    return sendPreview(app, request, reply, proposal, preview, parsed.data);
  });

  // "Wróć do edycji" from the preview: the staff page with the decision form holding the values sent back.
  app.post('/proposals/:id/decision/edit', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const raw = decisionBody(body(request.body));
    const values = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== '_csrf'));
    return renderStaffProposal(app, request, reply, id, {
      form: FORMS.decision,
      errors: { summary: [], byField: {} },
      values,
    });
  });
};

export default routes;
