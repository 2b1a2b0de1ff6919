import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { KeptValues } from '../auth/kept-forms.js';
import type { Actor } from '../auth/policy.js';
import type { ProposalStatus } from '../db/schema/proposals.js';
import type { FieldErrors } from '../lib/forms.js';
import type { Access } from './access.js';
import type { SuccessCode } from './ids.js';
import type { FormState } from './page.js';

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
 * the page, its schema, when it applies, what it runs and where it lands. `registerForm` (run-form.ts)
 * registers it; the same declaration says whether its text is kept after a session ends (kept.ts).
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
