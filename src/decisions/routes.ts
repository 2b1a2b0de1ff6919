import type { FastifyPluginAsync } from 'fastify';
import { requireAdmin } from '../auth/guards.js';
import { asArray } from '../lib/forms.js';
import { parseOr } from '../lib/http.js';
import { idParamSchema } from '../proposals/schema.js';
import { FORMS } from '../staff/forms.js';
import { runProposalForm } from '../staff/page.js';
import { decisionSchema } from './schema.js';
import { DECISION_NOT_READY, publishDecision } from './service.js';

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.post('/proposals/:id/decision', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const raw = (request.body ?? {}) as Record<string, unknown>;
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.decision,
      schema: decisionSchema,
      body: { ...raw, citedPositionIds: asArray(raw.citedPositionIds) },
      ok: 'decyzja',
      precondition: (p) => (p.status === 'stanowiska-zebrane' ? null : DECISION_NOT_READY),
      run: (input) => publishDecision(db, id, input, request.user!.id),
    });
  });
};

export default routes;
