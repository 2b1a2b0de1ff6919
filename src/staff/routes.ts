import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { requireStaff, requireAdmin } from '../auth/guards.js';
import { todayInWarsaw } from '../lib/dates.js';
import { asArray } from '../lib/forms.js';
import { HttpError, parseOr, wantsFragment } from '../lib/http.js';
import { listUnits } from '../proposals/queries.js';
import { idParamSchema } from '../proposals/schema.js';
import { compareForUnit, isOverdue } from '../workflow/workflow.js';
import { renderUnitPicker } from './assign-form.js';
import { EVENTS_ID, eventsFragment, loadStaffProposal, renderStaffProposal } from './page.js';
import progressRoutes, { renderProgress } from './progress-routes.js';
import confirmationRoutes from './confirmation-routes.js';
import { proposalsForUnits } from './queries.js';
import rdppRoutes from '../rdpp/routes.js';

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;
  // registered here rather than in app.ts: the progress page, its lists and exports, and the RDPP's opinion
  await app.register(progressRoutes);
  await app.register(rdppRoutes);
  await app.register(confirmationRoutes);

  // Staff home: "Postęp konsultacji" for the office and the RDPP, "our proposals" for unit staff.
  app.get('/staff', { preHandler: requireStaff }, async (request, reply) => {
    const user = request.user!;
    const today = todayInWarsaw();
    const ctx = await app.pageContext(request, reply);
    if (user.role === 'unit') {
      const rows = proposalsForUnits(db, user.unitIds)
        .map((r) => {
          const awaiting = !r.submittedAt && ['przekazana', 'stanowiska-zebrane'].includes(r.status);
          return { ...r, awaiting, overdue: awaiting && isOverdue(r.dueDate, false, today) };
        })
        .sort(compareForUnit);
      const myUnits = listUnits(db).filter((u) => user.unitIds.includes(u.id));
      return reply
        .type('text/html; charset=utf-8')
        .send(await app.view('staff/unit-home.njk', { ...ctx, nav: 'staff', rows, myUnits }));
    }
    return renderProgress(app, request, reply);
  });

  app.get('/staff/proposals/:id', { preHandler: requireStaff }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    reply.header('Vary', 'HX-Request, HX-Target');
    if (wantsFragment(request, EVENTS_ID)) {
      return reply
        .type('text/html; charset=utf-8')
        .send(await app.view('staff/_events.njk', await eventsFragment(app, request, reply, id)));
    }
    return renderStaffProposal(app, request, reply, id);
  });

  // Resolving unit groups into the member units the admin means.
  const pickQuery = z.object({
    unitIds: z.array(z.coerce.number().int().min(1)).max(50).default([]),
    dueDate: z.string().max(10).default(''),
    leadUnitId: z.string().max(12).default(''),
    version: z.coerce.number().int().min(1),
  });
  app.get('/staff/proposals/:id/assignments/new', { preHandler: requireAdmin }, async (request, reply) => {
    const { id } = parseOr(idParamSchema, request.params, 404);
    const raw = request.query as Record<string, unknown>;
    const query = parseOr(pickQuery, { ...raw, unitIds: asArray(raw.unitIds) });
    loadStaffProposal(app, request, id);
    const known = new Set(listUnits(db).map((u) => u.id));
    if (query.unitIds.some((u) => !known.has(u)))
      throw new HttpError(400, 'Wybrano jednostkę, której nie ma w katalogu.');
    return renderUnitPicker(app, request, reply, id, {
      unitIds: query.unitIds,
      version: String(query.version),
      dueDate: query.dueDate,
      leadUnitId: query.leadUnitId,
    });
  });
};

export default routes;
