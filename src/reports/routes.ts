import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireAdmin } from '../auth/guards.js';
import { canManage } from '../auth/policy.js';
import { todayInWarsaw } from '../lib/dates.js';
import { fieldErrors, type FieldErrors } from '../lib/forms.js';
import { HttpError, parseOr } from '../lib/http.js';
import { cacheKey } from '../plugins/page-cache.js';
import { NotFoundError } from '../workflow/errors.js';
import { DOCX_TYPE, renderDocx } from './docx.js';
import { COLUMNS, generatedLine, headerFacts, reportTitle, signOffFacts, sourceCaveats, statusLine } from './report.js';
import { consultationSlugParamSchema, REPORT_HEADER_FIELDS, reportHeaderSchema, reportQuerySchema } from './schema.js';
import { getReportHeader } from './queries.js';
import { loadReport, reportConsultation, saveReportHeader } from './service.js';
import { renderXlsx, XLSX_TYPE } from './xlsx.js';

const HTML = 'text/html; charset=utf-8';
const okQuerySchema = z.object({ ok: z.enum(['saved']).optional() }).catch({ ok: undefined });

/**
 * The consultation report ("sposób rozpatrzenia"): stable public addresses an office links from its BIP
 * (`/raport`, `/raport.xlsx`, `/raport.docx`, each with `?consultation=`), and the admins' header form.
 */
const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  const consultationOf = (request: FastifyRequest) => {
    const { consultation } = parseOr(reportQuerySchema, request.query);
    try {
      return reportConsultation(db, consultation);
    } catch (err) {
      if (err instanceof NotFoundError) throw new HttpError(404, err.message);
      throw err;
    }
  };
  // the report states the day it was generated: a cached copy never outlives its day
  const keyOf = (format: string, consultationId: number) =>
    cacheKey(`report.${format}`, { consultation: consultationId, day: todayInWarsaw() });

  app.get('/raport', async (request, reply) => {
    const consultation = consultationOf(request);
    const render = async () => {
      const report = loadReport(db, consultation);
      return app.view('reports/report.njk', {
        ...(await app.pageContext(request, reply)),
        report,
        title: reportTitle(report),
        statusLine: statusLine(report),
        facts: headerFacts(report),
        signOff: signOffFacts(report),
        caveats: sourceCaveats(report),
        generated: generatedLine(report),
        columns: COLUMNS,
        // explicit, so a saved or printed page links to the files of the same consultation
        suffix: `?consultation=${consultation.slug}`,
        canEdit: canManage(request.user),
      });
    };
    return app.cachedResponse(request, reply, { key: keyOf('html', consultation.id), contentType: HTML, render });
  });

  const file = (format: 'xlsx' | 'docx', type: string, make: typeof renderXlsx) =>
    app.get(`/raport.${format}`, async (request, reply) => {
      const consultation = consultationOf(request);
      reply.header('Content-Disposition', `attachment; filename="zestawienie-${consultation.slug}.${format}"`);
      return app.cachedResponse(request, reply, {
        key: keyOf(format, consultation.id),
        contentType: type,
        shared: true,
        vary: '',
        render: () => make(loadReport(db, consultation)),
      });
    });
  file('xlsx', XLSX_TYPE, renderXlsx);
  file('docx', DOCX_TYPE, renderDocx);

  // ---- the header fields, edited by the office once per consultation ----------------------------------

  const admin = { preHandler: requireAdmin };
  const loadConsultation = (params: unknown) => {
    const { consultationSlug } = parseOr(consultationSlugParamSchema, params, 404);
    try {
      return reportConsultation(db, consultationSlug);
    } catch (err) {
      if (err instanceof NotFoundError) throw new HttpError(404, err.message);
      throw err;
    }
  };
  const renderForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    data: {
      consultation: { slug: string; title: string };
      values: Record<string, string>;
      errors?: FieldErrors;
      ok?: string;
    },
  ) => {
    reply.header('Cache-Control', 'no-store');
    const page = await app.view('reports/header-form.njk', { ...(await app.pageContext(request, reply)), ...data });
    return reply.type(HTML).send(page);
  };

  app.get('/staff/report/:consultationSlug', admin, async (request, reply) => {
    const consultation = loadConsultation(request.params);
    const header = getReportHeader(db, consultation.id);
    const stored = { ...header, formOfConsultation: header?.form };
    const values = Object.fromEntries(REPORT_HEADER_FIELDS.map((k) => [k, stored[k] ?? '']));
    const { ok } = parseOr(okQuerySchema, request.query ?? {});
    return renderForm(request, reply, { consultation, values, ok });
  });

  app.post('/staff/report/:consultationSlug', admin, async (request, reply) => {
    const consultation = loadConsultation(request.params);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parsed = reportHeaderSchema.safeParse(body);
    if (parsed.success) {
      saveReportHeader(db, consultation.id, parsed.data, request.user!.id);
      return reply.redirect(`/staff/report/${consultation.slug}?ok=saved`, 303);
    }
    const values = Object.fromEntries(
      REPORT_HEADER_FIELDS.map((k) => [k, typeof body[k] === 'string' ? (body[k] as string) : '']),
    );
    return renderForm(request, reply.code(422), { consultation, values, errors: fieldErrors(parsed.error) });
  });
};

export default routes;
