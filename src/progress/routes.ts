import type { FastifyPluginAsync } from 'fastify';
import { HttpError, parseOr } from '../lib/http.js';
import { cacheKey } from '../plugins/page-cache.js';
import { findConsultation } from '../proposals/queries.js';
import { listQuerySchema } from '../proposals/schema.js';
import { STATUS_LABELS } from '../proposals/status.js';
import { OUTCOMES } from '../db/schema/workflow.js';
import { renderStackedBarChart } from './chart.js';
import { OUTCOME_LABELS, PUBLIC_STAGES } from '../workflow/workflow.js';
import { consultationProgress, percent, STAGE_LABELS, type ConsultationProgress } from './counts.js';
import { OUTCOME_HELP, STATUS_HELP } from './statuses.js';

const HTML = 'text/html; charset=utf-8';

/** The chart of progress by workshop table, with a description that says the same in words. */
export function progressChart(progress: ConsultationProgress): string {
  const o = progress.overall;
  const description =
    `Rozstrzygnięto ${o.decided} z ${o.total} propozycji (${percent(o.decided, o.total)}%), ` +
    `w toku ${o.inProgress}, czeka na przekazanie ${o.waiting}, duplikatów ${o.merged}. ` +
    progress.byTable
      .map((t) => `Stolik ${t.number}: rozstrzygnięte ${t.decided} z ${t.total}, w toku ${t.inProgress}.`)
      .join(' ');
  return renderStackedBarChart({
    id: 'wykres-stoliki',
    title: 'Postęp rozpatrywania propozycji według stolików',
    description,
    series: PUBLIC_STAGES.map((key) => ({ key, label: STAGE_LABELS[key] })),
    rows: progress.byTable.map((t) => ({
      label: `Stolik ${t.number}${t.theme ? `: ${t.theme}` : ''}`,
      values: { decided: t.decided, inProgress: t.inProgress, waiting: t.waiting, merged: t.merged },
    })),
  });
}

const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  app.get('/consultation', async (request, reply) => {
    const query = parseOr(listQuerySchema.pick({ consultation: true }), request.query);
    const render = async () => {
      const consultation = findConsultation(db, query.consultation);
      if (!consultation) {
        throw new HttpError(
          404,
          query.consultation
            ? `Nie ma konsultacji „${query.consultation}”.`
            : 'Nie zaimportowano jeszcze żadnych konsultacji.',
        );
      }
      const progress = consultationProgress(db, consultation.id);
      return app.view('consultation/show.njk', {
        ...(await app.pageContext(request, reply)),
        consultation,
        progress,
        chart: progressChart(progress),
        stages: PUBLIC_STAGES.map((key) => ({ key, label: STAGE_LABELS[key] })),
        outcomeLabels: OUTCOME_LABELS,
        percent,
        consultationParam: query.consultation ? `&consultation=${query.consultation}` : '',
      });
    };
    const key = cacheKey('consultation', query);
    return app.cachedResponse(request, reply, { key, contentType: HTML, render });
  });

  app.get('/statuses', async (request, reply) => {
    const render = async () =>
      app.view('statuses/show.njk', {
        ...(await app.pageContext(request, reply)),
        statuses: STATUS_HELP.map((s) => ({ ...s, label: STATUS_LABELS[s.status] })),
        outcomes: OUTCOMES.map((key) => ({ key, label: OUTCOME_LABELS[key], text: OUTCOME_HELP[key] })),
        outcomeLabels: OUTCOME_LABELS,
      });
    return app.cachedResponse(request, reply, { key: cacheKey('statuses'), contentType: HTML, render });
  });
};

export default routes;
