import type { FastifyPluginAsync } from 'fastify';
import { requireProgressReader, requireStaff } from '../auth/guards.js';
import { canManage } from '../auth/policy.js';
import { todayInWarsaw } from '../lib/dates.js';
import { plural } from '../lib/errors.js';
import { asArray } from '../lib/forms.js';
import { HttpError, parseOr, queryString } from '../lib/http.js';
import { renderProgress } from '../progress/staff-page.js';
import { findUnitBySlug, listUnits, unitsForProposals } from '../proposals/queries.js';
import { compareForUnit, isInProgress, isOverdue } from '../workflow/workflow.js';
import { proposalsForUnits, queue } from './queries.js';
import { queueQuerySchema } from './schema.js';

/** The staff home ("Postęp konsultacji" for the office and the RDPP, "our proposals" for unit staff) and the queue. */
const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/staff', { preHandler: requireStaff }, async (request, reply) => {
    const user = request.user!;
    const today = todayInWarsaw();
    const ctx = await app.pageContext(request, reply);
    if (user.role === 'unit') {
      const rows = proposalsForUnits(db, user.unitIds)
        .map((r) => {
          const awaiting = !r.submittedAt && isInProgress(r.status);
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

  // the office's and the RDPP's to-do queue (the staff home before "Postęp konsultacji"); for the office, the new
  // proposals are a form: tick some (or all of a filter) and review them for assignment in bulk
  app.get('/staff/queue', { preHandler: requireProgressReader }, async (request, reply) => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const query = parseOr(queueQuerySchema, { ...raw, proposalIds: asArray(raw.proposalIds) });
    const today = todayInWarsaw();
    const q = queue(db, today);
    const manage = canManage(request.user);
    const source = unitsForProposals(
      db,
      q.newOnes.map((p) => p.id),
    );
    const unit = query.unit ? findUnitBySlug(db, query.unit) : undefined;
    if (query.unit && !unit) throw new HttpError(404, 'Nie ma takiej jednostki w katalogu.');
    const withUnits = q.newOnes.map((p) => ({ ...p, sourceUnits: source.get(p.id) ?? [] }));
    const shown = withUnits.filter(
      (p) =>
        (query.table === undefined || p.tableNumber === query.table) &&
        (!unit || p.sourceUnits.some((u) => u.id === unit.id)),
    );
    const selected = new Set(query.zaznacz === 'wszystkie' ? shown.map((p) => p.id) : query.proposalIds);
    const filterUnits = new Map(withUnits.flatMap((p) => p.sourceUnits).map((u) => [u.id, u]));
    const filter = { table: query.table, unit: query.unit };
    const page = {
      ...(await app.pageContext(request, reply)),
      nav: 'queue',
      q: { ...q, newOnes: shown },
      newTotal: q.newOnes.length,
      canManage: manage,
      today,
      filter,
      filtered: query.table !== undefined || unit !== undefined,
      filterTables: [...new Set(withUnits.map((p) => p.tableNumber).filter((n) => n !== null))].sort((a, b) => a - b),
      filterUnits: [...filterUnits.values()].sort((a, b) => a.name.localeCompare(b.name, 'pl')),
      selected: [...selected],
      selectedCount: shown.filter((p) => selected.has(p.id)).length,
      selectAllUrl: `/staff/queue${queryString({ ...filter, zaznacz: 'wszystkie' })}#nowe`,
      selectNoneUrl: `/staff/queue${queryString(filter)}#nowe`,
      assigned: query.przekazano
        ? `Przekazano ${query.przekazano} ${plural(query.przekazano, 'propozycję', 'propozycje', 'propozycji')} do jednostek.`
        : null,
      nothingSelected: query.blad === 'nic-nie-zaznaczono',
    };
    return reply.type('text/html; charset=utf-8').send(await app.view('staff/queue.njk', page));
  });
};

export default routes;
