import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canManage } from '../auth/policy.js';
import type { Db } from '../db/client.js';
import { todayInWarsaw } from '../lib/dates.js';
import { HttpError, parseOr, queryString } from '../lib/http.js';
import { findConsultation, listWorkshopTables } from '../proposals/queries.js';
import { listOpinions } from '../rdpp/queries.js';
import {
  consideredCount,
  defaultDir,
  formatNumber,
  formatPercent,
  type ListFilter,
  outcomeRows,
  percent,
  positionState,
  type SortDir,
  sortRows,
  tableStats,
  unitStats,
} from './figures.js';
import { progressAssignments, progressProposals } from './queries.js';
import { type ProgressQuery, progressQuerySchema } from './staff-schema.js';

/** "Postęp konsultacji" of the RDPP and the office: its figures, and the page (also the staff home). */

const NO_CONSULTATION = 'Nie ma takich konsultacji.';

export function consultationOr404(db: Db, slug: string | undefined) {
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
  const considered = consideredCount(proposals);
  return {
    consultation,
    outcomes: outcomeRows(proposals),
    considered: { n: considered, percent: percent(considered, proposals.length) },
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
    consideredPercentText: formatPercent(data.considered.percent),
    reportHref: `/raport${queryString({ consultation: data.consultation.slug })}`,
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
