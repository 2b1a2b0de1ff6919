import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireStaff } from '../auth/guards.js';
import { canManage, type Actor } from '../auth/policy.js';
import type { Db } from '../db/client.js';
import { todayInWarsaw } from '../lib/dates.js';
import { plural } from '../lib/errors.js';
import { asArray, strictId } from '../lib/forms.js';
import { HttpError, parseOr, queryString } from '../lib/http.js';
import { findConsultation, findUnitBySlug, listWorkshopTables, unitsForProposals } from '../proposals/queries.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { listOpinions } from '../rdpp/queries.js';
import { BULK_MAX } from '../triage/schema.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';
import {
  defaultDir,
  filterProposals,
  formatNumber,
  formatPercent,
  type ListFilter,
  outcomeRows,
  POSITION_STATE_LABELS,
  positionState,
  type SortDir,
  sortRows,
  STAGE_LABELS,
  tableStats,
  unitStats,
} from './progress.js';
import { outcomesSheet, progressWorkbook, sheetCsv, tablesSheet, unitsSheet } from './progress-export.js';
import { progressProposals, progressAssignments, queue } from './queries.js';
import { type ProgressListQuery, type ProgressQuery, progressListQuerySchema, progressQuerySchema } from './schema.js';

/** The RDPP (reviewers) and the office read the progress of a consultation; unit staff have their own list. */
export function canViewProgress(actor: Actor): boolean {
  return actor?.role === 'reviewer' || actor?.role === 'admin';
}

export async function requireProgressReader(request: FastifyRequest, reply: FastifyReply) {
  await requireStaff(request, reply);
  if (reply.sent) return;
  if (!canViewProgress(request.user))
    throw new HttpError(
      403,
      'Postęp konsultacji jest dostępny dla członków RDPP i Biura Dialogu i Innowacji Miejskich.',
    );
}

/**
 * The queue's filters of the new proposals (workshop table, a unit the workshop named), the selection kept
 * (`proposalIds`) or "all of the filter" (`zaznacz=wszystkie`), and what a bulk assignment came back with.
 */
const blank = (v: unknown) => (v === '' ? undefined : v);
const queueQuerySchema = z.object({
  // the filter form's "all" options send an empty value
  table: z.preprocess(blank, z.coerce.number().int().min(1).max(10_000).optional()),
  unit: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[a-z0-9-]{1,120}$/)
      .optional(),
  ),
  zaznacz: z.enum(['wszystkie']).optional(),
  proposalIds: z.array(strictId()).max(BULK_MAX).default([]),
  przekazano: z.coerce.number().int().min(1).max(BULK_MAX).optional(),
  blad: z.enum(['nic-nie-zaznaczono']).optional(),
});

const NO_CONSULTATION = 'Nie ma takich konsultacji.';

function consultationOr404(db: Db, slug: string | undefined) {
  const consultation = findConsultation(db, slug);
  if (!consultation) throw new HttpError(404, NO_CONSULTATION);
  return consultation;
}

const toWarsawDay = (instant: string) => todayInWarsaw(new Date(instant));

/** Every figure of the progress page, sorted as asked. */
export function progressData(db: Db, query: ProgressQuery, today: string) {
  const consultation = consultationOr404(db, query.consultation);
  const proposals = progressProposals(db, consultation.id);
  const assignments = progressAssignments(db, consultation.id);
  const unitSort = query.sort ?? 'overdue';
  const unitDir = query.dir ?? defaultDir(unitSort);
  const tableSort = query.tableSort ?? 'number';
  const tableDir = query.tableDir ?? defaultDir(tableSort);
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'pl');
  const byNumber = (a: { number: number }, b: { number: number }) => a.number - b.number;
  const overdue = assignments.filter((a) => positionState(a, 'po-terminie', today));
  return {
    consultation,
    outcomes: outcomeRows(proposals),
    units: sortRows(unitStats(assignments, today, toWarsawDay), unitSort, unitDir, byName),
    tables: sortRows(tableStats(proposals, listWorkshopTables(db, consultation.id)), tableSort, tableDir, byNumber),
    overdue: { positions: overdue.length, proposals: new Set(overdue.map((a) => a.proposalId)).size },
    sort: { unit: { key: unitSort, dir: unitDir }, table: { key: tableSort, dir: tableDir } },
  };
}

const UNIT_COLUMNS = [
  { key: 'name', label: 'Jednostka' },
  { key: 'assigned', label: 'Przekazane' },
  { key: 'submitted', label: 'Stanowiska złożone' },
  { key: 'awaiting', label: 'Czeka na stanowisko' },
  { key: 'overdue', label: 'Po terminie' },
  { key: 'oldestOverdueDays', label: 'Najdłużej po terminie (dni)' },
  { key: 'medianDays', label: 'Mediana dni do odpowiedzi' },
] as const;

const TABLE_COLUMNS = [
  { key: 'number', label: 'Stolik' },
  { key: 'total', label: 'Propozycje' },
  { key: 'decided', label: 'Rozstrzygnięte' },
  { key: 'inProgress', label: 'W toku' },
  { key: 'fresh', label: 'Nowe' },
  { key: 'duplicates', label: 'Duplikaty' },
  { key: 'percentDecided', label: 'Rozstrzygnięte (%)' },
] as const;

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const;
const SORT_WORDS = { asc: 'rosnąco', desc: 'malejąco' } as const;

/** Header cells with links that sort by the column (again: the other way), keeping the rest of the query. */
function sortHeaders(
  columns: readonly { key: string; label: string }[],
  active: { key: string; dir: SortDir },
  query: ProgressQuery,
  params: { sort: 'sort' | 'tableSort'; dir: 'dir' | 'tableDir' },
) {
  return columns.map((c) => {
    const isActive = c.key === active.key;
    const dir: SortDir = isActive ? (active.dir === 'asc' ? 'desc' : 'asc') : defaultDir(c.key);
    const next = { ...query, [params.sort]: c.key, [params.dir]: dir };
    return {
      ...c,
      href: `/staff/progress${queryString(next)}`,
      ariaSort: isActive ? ARIA_SORT[active.dir] : null,
      linkHint: `sortuj ${SORT_WORDS[dir]}`,
    };
  });
}

export function listHref(consultation: string | undefined, filter: ListFilter): string {
  return `/staff/proposals${queryString({ consultation, ...filter })}`;
}

const okCodes = new Set(['opinia']);

/** "Postęp konsultacji": the reviewer's and the admin's home page (also at /staff/progress). */
export async function renderProgress(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const { db } = app.database;
  const query = parseOr(progressQuerySchema, request.query);
  const data = progressData(db, query, todayInWarsaw());
  const slug = query.consultation;
  const decided = data.outcomes.find((r) => r.kind === 'subtotal')!;
  const total = data.outcomes.find((r) => r.kind === 'total')!;
  const ok = (request.query as Record<string, unknown>).ok;
  const page = {
    ...(await app.pageContext(request, reply)),
    nav: 'staff',
    ...data,
    decided,
    total,
    canManage: canManage(request.user),
    outcomes: data.outcomes.map((r) => ({
      ...r,
      href: listHref(slug, r.filter),
      percentText: formatPercent(r.percent),
    })),
    units: data.units.map((u) => ({
      ...u,
      hrefs: {
        assigned: listHref(slug, { unit: u.slug }),
        submitted: listHref(slug, { unit: u.slug, position: 'zlozone' }),
        awaiting: listHref(slug, { unit: u.slug, position: 'czeka' }),
        overdue: listHref(slug, { unit: u.slug, position: 'po-terminie' }),
      },
      medianText: formatNumber(u.medianDays),
      oldestText: formatNumber(u.oldestOverdueDays),
    })),
    tables: data.tables.map((t) => ({
      ...t,
      hrefs: {
        total: listHref(slug, { table: t.number }),
        decided: listHref(slug, { table: t.number, stage: 'rozstrzygniete' }),
        inProgress: listHref(slug, { table: t.number, stage: 'w-toku' }),
        fresh: listHref(slug, { table: t.number, status: 'nowa' }),
        duplicates: listHref(slug, { table: t.number, status: 'duplikat' }),
      },
      percentText: formatPercent(t.percentDecided),
    })),
    decidedPercentText: formatPercent(decided.percent),
    overdueHref: listHref(slug, { position: 'po-terminie' }),
    unitHeaders: sortHeaders(UNIT_COLUMNS, data.sort.unit, query, { sort: 'sort', dir: 'dir' }),
    tableHeaders: sortHeaders(TABLE_COLUMNS, data.sort.table, query, { sort: 'tableSort', dir: 'tableDir' }),
    exports: {
      outcomes: `/staff/progress/outcomes.csv${queryString({ consultation: slug })}`,
      units: `/staff/progress/units.csv${queryString({ ...query, tableSort: undefined, tableDir: undefined })}`,
      tables: `/staff/progress/tables.csv${queryString({ ...query, sort: undefined, dir: undefined })}`,
      xlsx: `/staff/progress.xlsx${queryString(query)}`,
    },
    opinions: listOpinions(db, data.consultation.id),
    opinionFormUrl: `/staff/rdpp-opinions/new${queryString({ consultation: data.consultation.slug })}`,
    ok: typeof ok === 'string' && okCodes.has(ok) ? ok : null,
  };
  return reply.type('text/html; charset=utf-8').send(await app.view('staff/progress.njk', page));
}

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/staff/progress', { preHandler: requireProgressReader }, (request, reply) =>
    renderProgress(app, request, reply),
  );

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
      nav: 'staff',
      q: { ...q, newOnes: shown },
      newTotal: q.newOnes.length,
      canManage: manage,
      today,
      filter,
      filtered: query.table !== undefined || unit !== undefined,
      filterTables: [...new Set(withUnits.map((p) => p.tableNumber).filter((n) => n !== null))].sort((a, b) => a - b),
      filterUnits: [...filterUnits.values()].sort((a, b) => a.name.localeCompare(b.name, 'pl')),
      selected: [...selected],
      selectAllUrl: `/staff/queue${queryString({ ...filter, zaznacz: 'wszystkie' })}#nowe`,
      selectNoneUrl: `/staff/queue${queryString(filter)}#nowe`,
      assigned: query.przekazano
        ? `Przekazano ${query.przekazano} ${plural(query.przekazano, 'propozycję', 'propozycje', 'propozycji')} do jednostek.`
        : null,
      nothingSelected: query.blad === 'nic-nie-zaznaczono',
    };
    return reply.type('text/html; charset=utf-8').send(await app.view('staff/queue.njk', page));
  });

  app.get('/staff/proposals', { preHandler: requireProgressReader }, async (request, reply) => {
    const query = parseOr(progressListQuerySchema, request.query);
    return reply
      .type('text/html; charset=utf-8')
      .send(await app.view('staff/progress-list.njk', { ...(await app.pageContext(request, reply)), ...list(query) }));
  });

  function list(query: ProgressListQuery) {
    const today = todayInWarsaw();
    const consultation = consultationOr404(db, query.consultation);
    const unit = query.unit ? findUnitBySlug(db, query.unit) : undefined;
    if (query.unit && !unit) throw new HttpError(404, 'Nie ma takiej jednostki w katalogu.');
    const { consultation: _slug, ...filter } = query;
    const rows = filterProposals(
      progressProposals(db, consultation.id),
      progressAssignments(db, consultation.id),
      filter,
      today,
    ).map((p) => ({ ...p, overdue: p.matching.filter((a) => positionState(a, 'po-terminie', today)) }));
    const criteria = [
      query.table !== undefined ? `stolik ${query.table}` : null,
      unit ? `przekazane do: ${unit.name}` : null,
      query.position ? POSITION_STATE_LABELS[query.position] : null,
      query.stage ? STAGE_LABELS[query.stage] : null,
      query.status ? `status: ${STATUS_LABELS[query.status]}` : null,
      query.outcome ? `rozstrzygnięcie: ${OUTCOME_LABELS[query.outcome]}` : null,
    ].filter((c): c is string => c !== null);
    return {
      nav: 'staff',
      consultation,
      rows,
      criteria,
      countText: `${rows.length} ${plural(rows.length, 'propozycja', 'propozycje', 'propozycji')}`,
      progressUrl: `/staff/progress${queryString({ consultation: query.consultation })}`,
      outcomeLabels: OUTCOME_LABELS,
      today,
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
