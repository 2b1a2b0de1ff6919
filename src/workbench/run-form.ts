import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { KeptValues } from '../auth/kept-forms.js';
import type { Actor } from '../auth/policy.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { type FieldErrors, fieldErrors, singleError } from '../lib/forms.js';
import { HttpError, parseOr, wantsFragment } from '../lib/http.js';
import { idParamSchema } from '../proposals/schema.js';
import { ConflictError, ForbiddenError, NotFoundError, RuleError } from '../workflow/errors.js';
import { type Access, loadStaffProposal } from './access.js';
import { type SuccessCode, successUrl } from './ids.js';
import { keptFormRoute } from './kept.js';
import { type FormState, renderStaffProposal } from './page.js';

/** The fields a form sent, as they are shown again (never the CSRF token). */
export type FormValues = Record<string, unknown>;

/** Who may send a form: first by role (the route's preHandler), then on this proposal. */
export type Guard = {
  /** 401/403 before anything is read: the route's preHandler */
  preHandler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** whether this account may send the form on a proposal assigned to these units (values: what it sent) */
  may: (actor: NonNullable<Actor>, assigned: number[], values: FormValues) => boolean;
  /** the 403's message when it may not */
  refusal: (actor: NonNullable<Actor>) => string;
};

/** What a form's steps are given: the request, its route params, the proposal as loaded, what was sent. */
export type FormContext<P> = {
  app: FastifyInstance;
  request: FastifyRequest;
  reply: FastifyReply;
  params: P;
  access: Access;
  actor: NonNullable<Actor>;
  values: FormValues;
};

/**
 * One form of the staff page of a proposal, declared once: the route it posts to, who may send it, its id on
 * the page, its schema, when it applies, what it runs and where it lands. `registerForm` registers it; the
 * same declaration says whether its text is kept after a session ends (src/workbench/kept.ts).
 */
export type ProposalForm<S extends z.ZodType, P extends { id: number }, R> = {
  url: `/proposals/:id${string}`;
  /** the route's params (a malformed one is a 404); default: the proposal's id alone */
  params?: z.ZodType<P>;
  guard: Guard;
  /**
   * The form's id on the page: the key of its error state, the prefix of its field ids, the id of its kept copy.
   * Null when the body does not say which form it is (a position form naming no valid unit): nothing is kept.
   */
  id: (params: P, values: KeptValues) => string | null;
  schema: S;
  /** the body as the schema reads it (a checkbox group always as an array) */
  body?: (raw: Record<string, unknown>) => Record<string, unknown>;
  /** the workflow rule the form needs (src/workflow/workflow.ts): a refusal, checked before the fields */
  applies?: (status: ProposalStatus) => string | null;
  /** sends the form elsewhere before its fields are checked: a URL to redirect to (303), or null */
  detour?: (ctx: FormContext<P>) => string | null;
  /** the change (a domain error refuses it: shown in the form) */
  run: (input: z.infer<S>, ctx: FormContext<P>) => R;
  /** where a success lands: the success code of the page's section, or an answer of its own (a page) */
  done: SuccessCode | ((result: R, ctx: FormContext<P>) => SuccessCode | Promise<FastifyReply>);
  /** the form again with its errors, when it is not on the staff page (default: the staff page) */
  failure?: (ctx: FormContext<P>, state: FormState, statusCode: number) => Promise<FastifyReply>;
  /** htmx: a request targeting this element is answered with a fragment, success and failure alike */
  fragment?: {
    target: (params: P, values: FormValues) => string;
    /** the htmx target is the form's autosave: a kept copy must not navigate away from the typing */
    autosave?: boolean;
    /** a fragment request this form does not answer (400), or null */
    refuse?: (values: FormValues) => string | null;
    success: (ctx: FormContext<P>, result: R) => Promise<FastifyReply>;
    failure: (ctx: FormContext<P>, errors: FieldErrors, statusCode: number) => Promise<FastifyReply>;
  };
  /** false: not kept after the session ends (a confirmation that carries nothing typed) */
  kept?: false;
};

// biome-ignore lint/suspicious/noExplicitAny: a list of forms of different schemas, params and results
export type AnyProposalForm = ProposalForm<any, any, any>;

/** A form's declaration, typed from its parts. */
export function proposalForm<S extends z.ZodType, R, P extends { id: number } = { id: number }>(
  form: ProposalForm<S, P, R>,
) {
  return form;
}

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
