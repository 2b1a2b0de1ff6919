import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ProposalStatus } from '../db/schema/proposals.js';
import { fieldErrors, singleError } from '../lib/forms.js';
import { HttpError } from '../lib/http.js';
import { ConflictError, ForbiddenError, NotFoundError, RuleError } from '../workflow/errors.js';
import { loadStaffProposal } from './access.js';
import { type SuccessCode, successUrl } from './ids.js';
import { type FormState, renderStaffProposal } from './page.js';

/**
 * Runs one staff form: zod-validates the body, runs the change, and either redirects (303) to
 * the proposal page or shows the page again with the form's errors and nothing saved.
 */
export async function runProposalForm<S extends z.ZodType>(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  opts: {
    id: number;
    form: string;
    schema: S;
    body?: unknown;
    /** the change; may return another success code than `ok` */
    // biome-ignore lint/suspicious/noConfusingVoidType: most changes return nothing, some a success code
    run: (input: z.infer<S>) => void | SuccessCode;
    ok: SuccessCode;
    /** a refusal when the form does not apply to the proposal as it stands (checked before the fields) */
    precondition?: (proposal: { status: ProposalStatus }) => string | null;
    /** shows the form again with its errors, when it is not on the staff page (default: the staff page) */
    renderFailure?: (state: FormState, statusCode: number) => Promise<FastifyReply>;
  },
) {
  const raw = (opts.body ?? request.body ?? {}) as Record<string, unknown>;
  const values = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== '_csrf'));
  // the page must be visible to this user at all before anything else is said
  const { proposal } = loadStaffProposal(app.database.db, request.user, opts.id);
  const fail =
    opts.renderFailure ??
    ((state: FormState, code: number) => renderStaffProposal(app, request, reply, opts.id, state, code));
  const refusal = opts.precondition?.(proposal);
  if (refusal) return fail({ form: opts.form, errors: singleError('form', refusal), values }, 422);
  const parsed = opts.schema.safeParse(raw);
  if (!parsed.success) return fail({ form: opts.form, errors: fieldErrors(parsed.error), values }, 422);
  let ok = opts.ok;
  try {
    ok = opts.run(parsed.data) || ok;
  } catch (err) {
    if (err instanceof ConflictError)
      return fail({ form: opts.form, errors: singleError('form', err.message), values }, 409);
    if (err instanceof RuleError)
      return fail({ form: opts.form, errors: singleError(err.field, err.message), values }, 422);
    if (err instanceof NotFoundError) throw new HttpError(404, err.message);
    if (err instanceof ForbiddenError) throw new HttpError(403, err.message);
    throw err;
  }
  return reply.redirect(successUrl(opts.id, ok), 303);
}
