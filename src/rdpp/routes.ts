import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireAdmin } from '../auth/guards.js';
import { todayInWarsaw } from '../lib/dates.js';
import { fieldErrors, singleError, type FieldErrors } from '../lib/forms.js';
import { HttpError, parseOr, queryString } from '../lib/http.js';
import { findConsultation } from '../proposals/queries.js';
import { NotFoundError, RuleError } from '../workflow/errors.js';
import { consultationById } from './queries.js';
import { opinionFormSchema } from './schema.js';
import { recordOpinion } from './service.js';

const NO_CONSULTATION = 'Nie ma takich konsultacji.';
const formQuerySchema = z.object({
  consultation: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^[a-z0-9-]{1,80}$/, 'Nieprawidłowy identyfikator konsultacji.')
      .optional(),
  ),
});

/** The RDPP's opinion on a consultation: admins record it; the progress page and the report show it. */
const routes: FastifyPluginAsync = async (app) => {
  const { db } = app.database;

  const renderForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    consultation: { id: number; slug: string; title: string },
    values: Record<string, unknown>,
    errors: FieldErrors | null,
    statusCode = 200,
  ) =>
    reply
      .code(statusCode)
      .type('text/html; charset=utf-8')
      .send(
        await app.view('rdpp/opinion-form.njk', {
          ...(await app.pageContext(request, reply)),
          nav: 'staff',
          consultation,
          progressUrl: `/staff/progress${queryString({ consultation: consultation.slug })}`,
          values,
          errors,
          today: todayInWarsaw(),
        }),
      );

  app.get('/staff/rdpp-opinions/new', { preHandler: requireAdmin }, async (request, reply) => {
    const { consultation: slug } = parseOr(formQuerySchema, request.query);
    const consultation = findConsultation(db, slug);
    if (!consultation) throw new HttpError(404, NO_CONSULTATION);
    return renderForm(request, reply, consultation, { date: todayInWarsaw() }, null);
  });

  app.post('/rdpp-opinions', { preHandler: requireAdmin }, async (request, reply) => {
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== '_csrf'));
    // the form names its consultation by id; an unknown one is a 404 before any field is judged
    const idResult = opinionFormSchema.shape.consultationId.safeParse(raw.consultationId);
    const target = idResult.success ? consultationById(db, idResult.data) : undefined;
    if (!target) throw new HttpError(404, NO_CONSULTATION);
    const parsed = opinionFormSchema.safeParse(raw);
    if (!parsed.success) return renderForm(request, reply, target, values, fieldErrors(parsed.error), 422);
    try {
      recordOpinion(db, parsed.data, request.user!.id, todayInWarsaw());
    } catch (err) {
      if (err instanceof RuleError)
        return renderForm(request, reply, target, values, singleError(err.field, err.message), 422);
      if (err instanceof NotFoundError) throw new HttpError(404, err.message);
      throw err;
    }
    return reply.redirect(
      `/staff/progress${queryString({ consultation: target.slug, ok: 'opinia' })}#opinia-rdpp`,
      303,
    );
  });
};

export default routes;
