import type { FastifyPluginAsync } from 'fastify';
import { HttpError, parseOr } from '../lib/http.js';
import { findConsultation, findUnitBySlug, groupsOfUnit, listUnits, membersOfGroup, proposalCountsByUnit } from '../proposals/queries.js';
import { listQuerySchema, slugParamSchema } from '../proposals/schema.js';
import { proposalList } from '../proposals/service.js';
import { withNotFound } from '../proposals/routes.js';
import { UNIT_KINDS } from '../db/schema/units.js';

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/units', async (request, reply) =>
    app.cachedResponse(request, reply, 'text/html; charset=utf-8', async () => {
      const consultation = findConsultation(db);
      const counts = consultation ? proposalCountsByUnit(db, consultation.id) : new Map<number, number>();
      const all = listUnits(db).map((u) => ({ ...u, count: counts.get(u.id) ?? 0 }));
      const byKind = UNIT_KINDS.map((kind) => ({ kind, units: all.filter((u) => u.kind === kind) })).filter((g) => g.units.length);
      return app.view('units/index.njk', { ...(await app.pageContext(request, reply)), byKind, consultation });
    }));

  app.get('/units/:slug', async (request, reply) => {
    const { slug } = parseOr(slugParamSchema, request.params, 404);
    const query = parseOr(listQuerySchema.pick({ consultation: true, page: true }), request.query);
    return app.cachedResponse(request, reply, 'text/html; charset=utf-8', async () => {
      const unit = findUnitBySlug(db, slug);
      if (!unit) throw new HttpError(404, 'Nie ma takiej jednostki w katalogu.');
      const model = withNotFound(() => proposalList(db, { ...query, unit: slug }));
      return app.view('units/show.njk', {
        ...(await app.pageContext(request, reply)),
        ...model,
        unit,
        memberOf: groupsOfUnit(db, unit.id),
        members: unit.kind === 'grupa' ? membersOfGroup(db, unit.id) : [],
        pageUrl: (n: number) => `/units/${slug}${n > 1 ? `?page=${n}` : ''}`,
      });
    });
  });
};

export default routes;
