import type { FastifyPluginAsync } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { parseOr } from '../lib/http.js';
import { listQuerySchema } from '../proposals/schema.js';
import { proposalsForExport } from '../proposals/service.js';
import { fullText } from '../proposals/text.js';
import { formatDatePl } from '../lib/dates.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { withNotFound } from '../proposals/routes.js';
import { currentDecisions } from '../decisions/service.js';
import { publicEventsFor } from '../events/queries.js';
import { describeEvent, eventBody } from '../events/present.js';
import { OUTCOME_LABELS } from '../workflow/workflow.js';

const exportQuerySchema = listQuerySchema.omit({ page: true });

const routes: FastifyPluginAsync<{ baseUrl: string }> = async (app, opts) => {
  const { db } = app.database;

  const exportRows = (query: unknown) => {
    const parsed = parseOr(exportQuerySchema, query);
    const { consultation, rows } = withNotFound(() => proposalsForExport(db, parsed));
    const ids = rows.map((r) => r.id);
    const decisionsById = currentDecisions(db, ids);
    const eventsById = publicEventsFor(db, ids);
    return rows.map((r) => {
      const d = decisionsById.get(r.id);
      return {
      id: r.id,
      url: `${opts.baseUrl}/proposals/${r.id}`,
      consultation: consultation.slug,
      lp: r.lp,
      lpDeduced: r.lpDeduced,
      table: r.tableNumber === null ? null : { number: r.tableNumber, theme: r.tableTheme, themeLegible: r.tableThemeLegible, moderators: r.moderators },
      title: r.title,
      text: fullText(r),
      points: r.points,
      units: r.units.map((u) => u.name),
      remarks: r.remarks,
      status: r.status,
      statusLabel: STATUS_LABELS[r.status],
      sourceNotes: r.sourceNotes,
      decision: d ? { outcome: d.outcome, outcomeLabel: OUTCOME_LABELS[d.outcome], text: d.text, date: d.publishedAt } : null,
      positions: d ? d.citedPositions.map((c) => ({ unit: c.unitName, outcome: c.outcome, outcomeLabel: OUTCOME_LABELS[c.outcome], text: c.justification, date: c.submittedAt })) : [],
      events: (eventsById.get(r.id) ?? []).map((e) => ({ type: e.type, date: e.createdAt, description: describeEvent(e), text: eventBody(e) || (e.type === 'status.changed' ? e.note : '') })),
      updatedAt: r.updatedAt,
    };
    });
  };

  app.get('/export/proposals.json', async (request, reply) => {
    const render = () => JSON.stringify(exportRows(request.query));
    return app.cachedResponse(request, reply, 'application/json; charset=utf-8', render);
  });

  app.get('/export/proposals.csv', async (request, reply) => {
    reply.header('Content-Disposition', 'attachment; filename="propozycje.csv"');
    return app.cachedResponse(request, reply, 'text/csv; charset=utf-8', () => {
      const rows = exportRows(request.query);
      // Polish Excel opens UTF-8 correctly only with a BOM, and expects semicolons
      return stringify(
        rows.map((r) => [
          r.lp, r.lpDeduced ? 'tak' : 'nie', r.table?.number ?? '', r.table?.theme ?? '', r.title, r.text,
          r.units.join('\n'), r.remarks.join('\n'), r.statusLabel, r.decision?.outcomeLabel ?? '', r.decision?.text ?? '',
          r.decision ? formatDatePl(r.decision.date) : '', r.sourceNotes.join('\n'), r.url,
        ]),
        {
          bom: true,
          delimiter: ';',
          record_delimiter: '\r\n',
          header: true,
          columns: ['LP', 'LP ustalone', 'Stolik', 'Temat stolika', 'Tytuł', 'Treść', 'Jednostki', 'Uwagi', 'Status', 'Rozstrzygnięcie', 'Sposób wykorzystania', 'Data decyzji', 'Notatki o źródle', 'Adres'],
        },
      );
    });
  });
};

export default routes;
