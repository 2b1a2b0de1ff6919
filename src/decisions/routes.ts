import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { requireAdmin } from '../auth/guards.js';
import { asArray, fieldErrors, singleError } from '../lib/forms.js';
import { parseOr } from '../lib/http.js';
import { idParamSchema } from '../proposals/schema.js';
import { FORMS } from '../staff/forms.js';
import { loadStaffProposal, renderStaffProposal, runProposalForm } from '../staff/page.js';
import { ConflictError, RuleError } from '../workflow/errors.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import { previewDecision } from './preview.js';
import { decisionSchema } from './schema.js';
import { DECISION_NOT_READY, publishDecision } from './service.js';

/** The decision form's body: the cited positions always as an array (one checkbox arrives as a string). */
function decisionBody(request: FastifyRequest) {
  const raw = (request.body ?? {}) as Record<string, unknown>;
  return { ...raw, citedPositionIds: asArray(raw.citedPositionIds) };
}

/** The form's values to show again (never the CSRF token). */
function typedValues(body: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf'));
}

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.post('/proposals/:id/decision', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.decision,
      schema: decisionSchema,
      body: decisionBody(request),
      ok: 'decyzja',
      precondition: (p) => (p.status === 'stanowiska-zebrane' ? null : DECISION_NOT_READY),
      run: (input) => publishDecision(db, id, input, request.user!.id),
    });
  });

  // "Sprawdź przed publikacją": the same checks as publishing, the public page's markup, nothing saved.
  app.post('/proposals/:id/decision/preview', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const body = decisionBody(request);
    const values = typedValues(body);
    const { proposal } = loadStaffProposal(app, request, id);
    const refuse = (errors: ReturnType<typeof singleError>, status: number) =>
      renderStaffProposal(app, request, reply, id, { form: FORMS.decision, errors, values }, status);
    if (proposal.status !== 'stanowiska-zebrane') return refuse(singleError('form', DECISION_NOT_READY), 422);
    const parsed = decisionSchema.safeParse(body);
    if (!parsed.success) return refuse(fieldErrors(parsed.error), 422);
    let preview: ReturnType<typeof previewDecision>;
    try {
      preview = previewDecision(db, proposal, parsed.data);
    } catch (err) {
      if (err instanceof ConflictError) return refuse(singleError('form', err.message), 409);
      if (err instanceof RuleError) return refuse(singleError(err.field, err.message), 422);
      throw err;
    }
    const page = {
      ...(await app.pageContext(request, reply)),
      nav: 'staff',
      proposal,
      preview,
      input: parsed.data,
      outcomeLabels: OUTCOME_LABELS,
    };
    return reply.type('text/html; charset=utf-8').send(await app.view('staff/decision-preview.njk', page));
  });

  // "Wróć do edycji" from the preview: the staff page with the decision form holding the values sent back.
  app.post('/proposals/:id/decision/edit', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const values = typedValues(decisionBody(request));
    return renderStaffProposal(app, request, reply, id, {
      form: FORMS.decision,
      errors: { summary: [], byField: {} },
      values,
    });
  });
};

export default routes;
