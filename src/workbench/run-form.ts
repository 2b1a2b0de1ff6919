import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { KeptValues } from '../auth/kept-forms.js';
import { type FieldErrors, fieldErrors, singleError } from '../lib/forms.js';
import { HttpError, parseOr, wantsFragment } from '../lib/http.js';
import { idParamSchema } from '../proposals/schema.js';
import { ConflictError, ForbiddenError, NotFoundError, RuleError } from '../workflow/errors.js';
import { loadStaffProposal } from './access.js';
import type { AnyProposalForm, FormContext } from './form.js';
import { successUrl } from './ids.js';
import { keptFormRoute } from './kept.js';
import { renderStaffProposal } from './page.js';

/** The route params of a form. */
function paramsOf(form: AnyProposalForm): z.ZodType<{ id: number }> {
  return form.params ?? idParamSchema;
}

/** Registers a form's POST route: its guard, its kept-form declaration (beside csrf in the config), the runner. */
export function registerForm(app: FastifyInstance, form: AnyProposalForm) {
  const config = form.kept === false ? {} : { keptForm: keptFormRoute(form, paramsOf(form)) };
  app.post(form.url, { preHandler: form.guard.preHandler, config }, (request, reply) =>
    runForm(app, request, reply, form),
  );
}

/**
 * The one runner of the staff page's forms: access → who may → applies → fields → run → 303 to the page's
 * section (or the form's own answer); a refusal shows the page again with the form's errors and nothing saved.
 */
async function runForm(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: AnyProposalForm) {
  const params = parseOr(paramsOf(form), request.params, 404);
  const raw = (request.body ?? {}) as Record<string, unknown>;
  const body = form.body ? form.body(raw) : raw;
  const values = Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf'));
  const actor = request.user!;
  // the page must be visible to this user at all before anything else is said
  const access = loadStaffProposal(app.database.db, actor, params.id);
  if (!form.guard.may(actor, access.assigned, values)) throw new HttpError(403, form.guard.refusal(actor));
  const ctx: FormContext<unknown> = { app, request, reply, params, access, actor, values };

  const fragment = form.fragment;
  const inFragment = !!fragment && wantsFragment(request, fragment.target(params, values));
  if (fragment) reply.header('Vary', 'HX-Request, HX-Target');
  if (inFragment) {
    const refused = fragment.refuse?.(values);
    if (refused) throw new HttpError(400, refused);
  }
  const detour = form.detour?.(ctx);
  if (detour) return reply.redirect(detour, 303);

  const formId = form.id(params, values as KeptValues) ?? 'form';
  const fail = (errors: FieldErrors, statusCode: number) => {
    if (inFragment) return fragment.failure(ctx, errors, statusCode);
    const state = { form: formId, errors, values };
    if (form.failure) return form.failure(ctx, state, statusCode);
    return renderStaffProposal(app, request, reply, params.id, state, statusCode);
  };
  const refusal = form.applies?.(access.proposal.status);
  if (refusal) return fail(singleError('form', refusal), 422);
  const parsed = form.schema.safeParse(body);
  if (!parsed.success) return fail(fieldErrors(parsed.error), 422);
  let result: unknown;
  try {
    result = form.run(parsed.data, ctx);
  } catch (err) {
    if (err instanceof ConflictError) return fail(singleError('form', err.message), 409);
    if (err instanceof RuleError) return fail(singleError(err.field, err.message), 422);
    if (err instanceof NotFoundError) throw new HttpError(404, err.message);
    if (err instanceof ForbiddenError) throw new HttpError(403, err.message);
    throw err;
  }
  if (inFragment) return fragment.success(ctx, result);
  const done = typeof form.done === 'function' ? form.done(result, ctx) : form.done;
  if (typeof done === 'string') return reply.redirect(successUrl(params.id, done), 303);
  return done;
}
