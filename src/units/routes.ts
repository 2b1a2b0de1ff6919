import type { FastifyPluginAsync } from 'fastify';
import { HttpError, parseOr, queryString } from '../lib/http.js';
import { cacheKey } from '../plugins/page-cache.js';
import {
  assignedCountForUnit,
  findConsultation,
  findUnitBySlug,
  groupsOfUnit,
  listUnits,
  membersOfGroup,
  proposalCountsByUnit,
} from '../proposals/queries.js';
import { listQuerySchema, slugParamSchema } from '../proposals/schema.js';
import { proposalList } from '../proposals/service.js';
import { redirectRenamedUnit, searchOf, withNotFound } from '../proposals/routes.js';
import { UNIT_KINDS } from '../db/schema/units.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';

const HTML = 'text/html; charset=utf-8';

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/units', async (request, reply) => {
    const query = parseOr(listQuerySchema.pick({ consultation: true }), request.query);
    const render = async () => {
      const consultation = findConsultation(db, query.consultation);
      if (query.consultation && !consultation) {
        throw new HttpError(404, `Nie ma konsultacji „${query.consultation}”.`);
      }
      const counts = consultation ? proposalCountsByUnit(db, consultation.id) : new Map<number, number>();
      const all = listUnits(db).map((u) => ({ ...u, count: counts.get(u.id) ?? 0 }));
      const byKind = UNIT_KINDS.map((kind) => ({ kind, units: all.filter((u) => u.kind === kind) })).filter(
        (g) => g.units.length,
      );
      return app.view('units/index.njk', { ...(await app.pageContext(request, reply)), byKind, consultation });
    };
    return app.cachedResponse(request, reply, { key: cacheKey('units', query), contentType: HTML, render });
  });

  app.get('/units/:slug', async (request, reply) => {
    const { slug } = parseOr(slugParamSchema, request.params, 404);
    const query = parseOr(listQuerySchema.pick({ consultation: true, page: true }), request.query);
    const moved = redirectRenamedUnit(db, reply, slug, (current) => `/units/${current}${searchOf(request.url)}`);
    if (moved) return moved;
    const render = async () => {
      const unit = findUnitBySlug(db, slug);
      if (!unit) throw new HttpError(404, 'Nie ma takiej jednostki w katalogu.');
      const model = withNotFound(() => proposalList(db, { ...query, unit: slug }));
      return app.view('units/show.njk', {
        ...(await app.pageContext(request, reply)),
        ...model,
        unit,
        memberOf: groupsOfUnit(db, unit.id),
        members: unit.kind === 'grupa' ? membersOfGroup(db, unit.id) : [],
        assignedCount: assignedCountForUnit(db, model.consultation.id, unit.id),
        outcomeLabels: OUTCOME_LABELS,
        backQuery: queryString({ unit: slug, consultation: query.consultation }),
        pageUrl: (n: number) =>
          `/units/${slug}${queryString({ consultation: query.consultation, page: n > 1 ? n : undefined })}`,
      });
    };
    return app.cachedResponse(request, reply, { key: cacheKey('unit', { ...query, slug }), contentType: HTML, render });
  });
};

export default routes;
