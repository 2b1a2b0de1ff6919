import type { FastifyPluginAsync } from 'fastify';
import { requireAdmin } from '../auth/guards.js';
import { formatDateTimePl, nextDay, startOfWarsawDay } from '../lib/dates.js';
import { plural } from '../lib/errors.js';
import { parseFilterForm } from '../lib/forms.js';
import { parseOr, queryString } from '../lib/http.js';
import { type Sheet, sheetCsv } from '../progress/export.js';
import { ACTION_GROUPS } from './actions.js';
import { type LogItem, presentLog } from './present.js';
import { countLog, type LogFilter, listLog, logPeople } from './queries.js';
import { type LogQuery, logQuerySchema } from './schema.js';

export const LOG_PAGE_SIZE = 50;

/** The filters as the queries take them: a person's id, the action, the Warsaw days as instants. */
function toFilter(q: LogQuery): LogFilter {
  return {
    actor: q.person,
    action: q.action,
    since: q.from ? startOfWarsawDay(q.from) : undefined,
    until: q.to ? startOfWarsawDay(nextDay(q.to)) : undefined,
  };
}

/** The filters alone, as the page links and the CSV link carry them. */
const filterParams = (q: LogQuery) => ({ person: q.person, action: q.action, from: q.from, to: q.to });

function csvSheet(items: LogItem[], baseUrl: string): Sheet {
  return {
    name: 'Dziennik zmian',
    columns: [
      { header: 'Kiedy', width: 24 },
      { header: 'Czas (ISO 8601, UTC)', width: 26 },
      { header: 'Kto', width: 30 },
      { header: 'Czynność', width: 30 },
      { header: 'Czego dotyczy', width: 30 },
      { header: 'Propozycja', width: 48 },
      { header: 'Szczegóły', width: 60 },
      { header: 'Adres', width: 40 },
    ],
    rows: items.map((i) => [
      formatDateTimePl(i.at),
      i.at,
      i.actor ?? 'wiersz poleceń lub system',
      i.actionLabel,
      i.subject.label,
      i.subject.title,
      i.details.join('\n'),
      i.subject.href ? `${baseUrl}${i.subject.href}` : '',
    ]),
  };
}

/**
 * "Dziennik zmian" (admins): the work on proposals – assignments, positions, decisions, reopenings, duplicates,
 * corrections, notes and whatever else a change records as an event – beside the changes to accounts, units
 * and the current consultation; filtered by person, action and days, paged, and as CSV.
 */
const routes: FastifyPluginAsync<{ baseUrl: string }> = async (app, opts) => {
  const { db } = app.database;
  const admin = { preHandler: requireAdmin };
  const peopleById = (people: ReturnType<typeof logPeople>) => new Map(people.map((p) => [p.id, p.email]));

  app.get('/staff/audit', admin, async (request, reply) => {
    const form = parseFilterForm(logQuerySchema, request.query);
    const people = logPeople(db);
    let log: Record<string, unknown> = { rows: null };
    if (form.data) {
      const filter = toFilter(form.data);
      const total = countLog(db, filter);
      const pages = Math.max(1, Math.ceil(total / LOG_PAGE_SIZE));
      const page = Math.min(form.data.page, pages);
      const entries = listLog(db, filter, { limit: LOG_PAGE_SIZE, offset: (page - 1) * LOG_PAGE_SIZE });
      const params = filterParams(form.data);
      log = {
        rows: presentLog(db, entries, peopleById(people)),
        total,
        totalText: `${total} ${plural(total, 'wpis', 'wpisy', 'wpisów')}`,
        page,
        pages,
        pageUrl: (n: number) => `/staff/audit${queryString({ ...params, page: n > 1 ? n : undefined })}`,
        csvUrl: `/staff/audit.csv${queryString(params)}`,
        filtered: queryString(params) !== '',
      };
    }
    return reply
      .code(form.data ? 200 : 400)
      .type('text/html; charset=utf-8')
      .send(
        await app.view('audit/log.njk', {
          ...(await app.pageContext(request, reply)),
          ...log,
          nav: 'audit',
          people,
          actionGroups: ACTION_GROUPS,
          form: form.data ?? form.sent,
          errors: form.errors,
        }),
      );
  });

  app.get('/staff/audit.csv', admin, async (request, reply) => {
    const query = parseOr(logQuerySchema, request.query);
    const items = presentLog(db, listLog(db, toFilter(query)), peopleById(logPeople(db)));
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', 'attachment; filename="dziennik-zmian.csv"')
      .send(sheetCsv(csvSheet(items, opts.baseUrl)));
  });
};

export default routes;
