import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireProgressReader } from '../auth/guards.js';
import { todayInWarsaw } from '../lib/dates.js';
import { plural } from '../lib/errors.js';
import { parseFilterForm } from '../lib/forms.js';
import { HttpError, parseOr, queryString } from '../lib/http.js';
import { findConsultation, findUnitBySlug, listUnits, listWorkshopTables } from '../proposals/queries.js';
import { proposalIdsForExport } from '../proposals/service.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { isDecided, isInProgress, OUTCOME_LABELS } from '../workflow/workflow.js';
import { filterProposals, POSITION_STATE_LABELS, positionState, STAGE_LABELS } from './figures.js';
import { outcomesSheet, progressWorkbook, sheetCsv, tablesSheet, unitsSheet } from './export.js';
import { progressAssignments, progressProposals } from './queries.js';
import { consultationOr404, progressData, renderProgress } from './staff-page.js';
import { type ProgressListQuery, progressListQuerySchema, progressQuerySchema } from './staff-schema.js';

/** The RDPP's and the office's progress: the page, the list behind each of its counts, and its exports. */
const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/staff/progress', { preHandler: requireProgressReader }, (request, reply) =>
    renderProgress(app, request, reply),
  );

  app.get('/staff/proposals', { preHandler: requireProgressReader }, async (request, reply) => {
    const form = parseFilterForm(progressListQuerySchema, request.query);
    const page = form.data ? list(form.data) : { criteria: [], rows: null, status: 400 };
    return reply
      .code(page.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(
        await app.view('staff/progress-list.njk', {
          ...(await app.pageContext(request, reply)),
          ...page,
          ...filterOptions(form.data?.consultation),
          nav: 'staff-proposals',
          form: form.data ?? form.sent,
          errors: form.errors,
        }),
      );
  });

  /** What the list's filter form offers: the consultation's workshop tables, the units, statuses, stages. */
  function filterOptions(slug: string | undefined) {
    const consultation = findConsultation(db, slug);
    return {
      filterTables: consultation ? listWorkshopTables(db, consultation.id) : [],
      filterUnits: listUnits(db)
        .filter((u) => u.kind !== 'grupa')
        .sort((a, b) => a.name.localeCompare(b.name, 'pl')),
      statusLabels: STATUS_LABELS,
      stageLabels: STAGE_LABELS,
      positionLabels: POSITION_STATE_LABELS,
      outcomeLabels: OUTCOME_LABELS,
    };
  }

  function list(query: ProgressListQuery) {
    const today = todayInWarsaw();
    const consultation = consultationOr404(db, query.consultation);
    const unit = query.unit ? findUnitBySlug(db, query.unit) : undefined;
    if (query.unit && !unit) throw new HttpError(404, 'Nie ma takiej jednostki w katalogu.');
    const { consultation: _slug, q, ...filter } = query;
    // the public list's search, as it finds and orders (partial matches best first); the filters apply on top
    const search = q ? proposalIdsForExport(db, { q, consultation: consultation.slug }) : null;
    const rank = search && new Map(search.ids.map((id, i) => [id, i]));
    let proposals = progressProposals(db, consultation.id);
    if (rank) {
      proposals = proposals.filter((p) => rank.has(p.id));
      if (search.match === 'partial') proposals.sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
    }
    const rows = filterProposals(proposals, progressAssignments(db, consultation.id), filter, today).map((p) => ({
      ...p,
      overdue: p.matching.filter((a) => positionState(a, 'po-terminie', today)),
      // the template shows due dates while the positions are awaited, the outcome once decided
      inProgress: isInProgress(p.status),
      decided: isDecided(p.status),
    }));
    const criteria = [
      q ? `„${q}”` : null,
      query.table !== undefined ? `stolik ${query.table}` : null,
      unit ? `przekazane do: ${unit.name}` : null,
      query.position ? POSITION_STATE_LABELS[query.position] : null,
      query.stage ? STAGE_LABELS[query.stage] : null,
      query.status ? `status: ${STATUS_LABELS[query.status]}` : null,
      query.outcome ? `rozstrzygnięcie: ${OUTCOME_LABELS[query.outcome]}` : null,
    ].filter((c): c is string => c !== null);
    return {
      consultation,
      rows,
      criteria,
      search: search && rows.length ? { partial: search.match === 'partial', shownAs: search.shownAs } : null,
      countText: `${rows.length} ${plural(rows.length, 'propozycja', 'propozycje', 'propozycji')}`,
      progressUrl: `/staff/progress${queryString({ consultation: query.consultation })}`,
      clearUrl: `/staff/proposals${queryString({ consultation: query.consultation })}`,
      today,
      status: 200,
    };
  }

  // ---- exports -----------------------------------------------------------------------------------

  const sheetsFor = (request: FastifyRequest) => {
    const query = parseOr(progressQuerySchema, request.query);
    const data = progressData(db, query, todayInWarsaw());
    return {
      data,
      outcomes: outcomesSheet(data.outcomes),
      units: unitsSheet(data.units),
      tables: tablesSheet(data.tables),
    };
  };
  const csv =
    (part: 'outcomes' | 'units' | 'tables', file: string) => async (req: FastifyRequest, reply: FastifyReply) => {
      const sheets = sheetsFor(req);
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${sheets.data.consultation.slug}-${file}.csv"`)
        .send(sheetCsv(sheets[part]));
    };
  app.get('/staff/progress/outcomes.csv', { preHandler: requireProgressReader }, csv('outcomes', 'rozstrzygniecia'));
  app.get('/staff/progress/units.csv', { preHandler: requireProgressReader }, csv('units', 'jednostki'));
  app.get('/staff/progress/tables.csv', { preHandler: requireProgressReader }, csv('tables', 'stoliki'));
  app.get('/staff/progress.xlsx', { preHandler: requireProgressReader }, async (request, reply) => {
    const sheets = sheetsFor(request);
    const body = await progressWorkbook(`Postęp konsultacji: ${sheets.data.consultation.title}`, [
      sheets.outcomes,
      sheets.units,
      sheets.tables,
    ]);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('Content-Disposition', `attachment; filename="${sheets.data.consultation.slug}-postep.xlsx"`)
      .send(body);
  });
};

export default routes;
