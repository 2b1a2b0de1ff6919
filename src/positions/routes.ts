import type { FastifyPluginAsync } from 'fastify';
import { requireStaff } from '../auth/guards.js';
import { HttpError, parseOr } from '../lib/http.js';
import { idParamSchema } from '../proposals/schema.js';
import { FORMS } from '../staff/forms.js';
import { runProposalForm } from '../staff/page.js';
import { positionSchema } from './schema.js';
import { POSITIONS_CLOSED, savePosition } from './service.js';
import { isOpen } from '../workflow/workflow.js';

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.post('/proposals/:id/positions', { preHandler: requireStaff }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    if (request.user!.role !== 'unit')
      throw new HttpError(403, 'Stanowiska piszą pracownicy jednostek, do których przekazano propozycję.');
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const unitId = Number(raw.unitId);
    return runProposalForm(app, request, reply, {
      id,
      form: FORMS.position(Number.isInteger(unitId) ? unitId : 'x'),
      schema: positionSchema,
      ok: 'stanowisko',
      precondition: (p) => (isOpen(p.status) ? null : POSITIONS_CLOSED),
      run: (input) => (savePosition(db, id, input, request.user!).submitted ? 'stanowisko' : 'szkic'),
    });
  });
};

export default routes;
