import type { FastifyPluginAsync } from 'fastify';
import { requireAdmin, requireStaff } from '../auth/guards.js';
import { canAddNote } from '../auth/policy.js';
import { asArray, fieldErrors } from '../lib/forms.js';
import { HttpError, parseOr, wantsFragment } from '../lib/http.js';
import { idParamSchema } from '../proposals/schema.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { isOpen, manualTargets } from '../workflow/workflow.js';
import { listUnits } from '../proposals/queries.js';
import { FORMS, successUrl } from '../staff/forms.js';
import { anyWithoutAccount, renderUnitPicker } from '../staff/assign-form.js';
import { EVENTS_ID, eventsFragment, loadStaffProposal, renderStaffProposal, runProposalForm } from '../staff/page.js';
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
} from './schema.js';
import {
  addNote,
  assignUnits,
  changeAssignment,
  changeStatusManually,
  correctMetadata,
  markDuplicate,
  removeAssignment,
  unmarkDuplicate,
} from './service.js';

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
      loadStaffProposal(app, request, id);
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
    const { assigned } = loadStaffProposal(app, request, id);
    if (!canAddNote(request.user, assigned)) throw new HttpError(403, 'Nie możesz dodawać notatek do tej propozycji.');
    const parsed = noteSchema.safeParse(body(request.body));
    const fragment = wantsFragment(request, EVENTS_ID);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      if (fragment) {
        const model = await eventsFragment(app, request, reply, id);
        return reply
          .code(422)
          .type('text/html; charset=utf-8')
          .send(
            await app.view('staff/_events.njk', {
              ...model,
              noteFormError: errors.byField.text,
              noteValue: body(request.body).text,
            }),
          );
      }
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
    if (fragment)
      return reply
        .type('text/html; charset=utf-8')
        .send(await app.view('staff/_events.njk', await eventsFragment(app, request, reply, id)));
    return reply.redirect(successUrl(id, 'notatka'), 303);
  });
};

export default routes;
