import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  accountLinkState,
  type LinkState,
  renewInvitation,
  requestPasswordReset,
  setPasswordThroughLink,
} from '../admin/accounts.js';
import { linkPasswordSchema, linkTokenSchema, passwordResetSchema } from '../admin/schema.js';
import { HttpError } from '../lib/http.js';
import { fieldErrors, type FieldErrors } from '../lib/forms.js';
import { ACCOUNT_LINK_PATH } from './account-tokens.js';
import { addressGroup } from './throttle.js';

/** "Nie pamiętasz hasła?" requests per client address (an IPv6 /64 as one) in 15 minutes, besides those per address. */
export const PASSWORD_RESET_PER_CLIENT = 10;

/** What the page of a link that does not work says, by why. */
const LINK_PAGES = {
  unknown: {
    statusCode: 404,
    title: 'Nieprawidłowy link',
    message:
      'Ten link nie działa: jest niepełny albo nie pochodzi z naszej wiadomości. Jeśli kopiujesz go z wiadomości, ' +
      'sprawdź, czy skopiowano go w całości.',
  },
  used: {
    statusCode: 410,
    title: 'Ten link już nie działa',
    message:
      'Link został już wykorzystany albo zastąpiony nowszym (działa tylko raz i przestaje działać, gdy hasło konta ' +
      'się zmieni). Jeśli hasło jest ustalone, zaloguj się; jeśli go nie pamiętasz, zamów nowy link.',
  },
  expired: { statusCode: 410, title: 'Link wygasł', message: '' },
  // an expired invitation's page asked for another one
  renewed: { statusCode: 200, title: 'Wysłaliśmy nowy link', message: '' },
} as const;
type LinkPage = keyof typeof LINK_PAGES;

type Options = { passwordHashCost: number; loginRateLimit: number };

/**
 * The pages behind the links of invitation and password-reset mails (GET shows a form, so a mail scanner that
 * opens the link changes nothing), and "Nie pamiętasz hasła?", which answers the same whether or not the address
 * has an account.
 */
const routes: FastifyPluginAsync<Options> = async (app, opts) => {
  const { db } = app.database;

  // these pages carry tokens and addresses: never cached, never indexed
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
    reply.header('X-Robots-Tag', 'noindex');
  });

  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    data: Record<string, unknown>,
  ) => {
    const context = await app.pageContext(request, reply);
    // one token per response: a second one on a first visit would name another secret
    const csrfToken = context.csrfToken ?? (await reply.csrfToken());
    return reply.type('text/html; charset=utf-8').send(await app.view(template, { ...context, csrfToken, ...data }));
  };

  /** A link that does not set a password (any more): why, and what to do instead (an expired invitation: renew it). */
  const linkPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: Exclude<LinkState, { status: 'ok' }> | { status: Exclude<LinkPage, LinkState['status']> },
    token?: string,
  ) => {
    const page = LINK_PAGES[state.status];
    const renewable = state.status === 'expired' && state.purpose === 'invitation';
    return render(request, reply.code(page.statusCode), 'auth/password-link.njk', {
      ...page,
      status: state.status,
      purpose: state.status === 'expired' ? state.purpose : undefined,
      token: renewable ? token : undefined,
    });
  };

  const passwordForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    state: Extract<LinkState, { status: 'ok' }>,
    errors?: FieldErrors,
  ) => render(request, reply, 'auth/password-new.njk', { token, purpose: state.purpose, email: state.email, errors });

  // ---- "Nie pamiętasz hasła?" ----------------------------------------------------------------

  app.get('/password-reset', async (request, reply) =>
    render(request, reply, 'auth/password-reset.njk', { values: {} }),
  );

  app.post(
    '/password-reset',
    {
      config: {
        rateLimit: {
          max: PASSWORD_RESET_PER_CLIENT,
          timeWindow: '15 minutes',
          keyGenerator: (request) => addressGroup(request.ip),
          errorResponseBuilder: () =>
            new HttpError(
              429,
              'Z tego adresu sieciowego wysłano zbyt wiele próśb o link do ustawienia hasła. Odczekaj 15 minut ' +
                'i spróbuj ponownie.',
            ),
        },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const parsed = passwordResetSchema.safeParse(body);
      if (!parsed.success) {
        const values = { email: typeof body.email === 'string' ? body.email : '' };
        return render(request, reply.code(422), 'auth/password-reset.njk', {
          values,
          errors: fieldErrors(parsed.error),
        });
      }
      // the same work and the same page (it does not even repeat the address) whether or not it has an account
      requestPasswordReset(db, parsed.data.email);
      return render(request, reply, 'auth/password-reset-sent.njk', {});
    },
  );

  // ---- the link of an invitation or a password reset -------------------------------------------

  app.get(ACCOUNT_LINK_PATH, async (request, reply) => {
    const query = linkTokenSchema.safeParse(request.query ?? {});
    if (!query.success) return linkPage(request, reply, { status: 'unknown' });
    const state = accountLinkState(db, query.data.token);
    if (state.status !== 'ok') return linkPage(request, reply, state, query.data.token);
    return passwordForm(request, reply, query.data.token, state);
  });

  app.post(
    ACCOUNT_LINK_PATH,
    { config: { rateLimit: { max: opts.loginRateLimit, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const token = linkTokenSchema.safeParse(body);
      if (!token.success) return linkPage(request, reply, { status: 'unknown' });
      const state = accountLinkState(db, token.data.token);
      if (state.status !== 'ok') return linkPage(request, reply, state, token.data.token);
      const parsed = linkPasswordSchema.safeParse(body);
      if (!parsed.success)
        return passwordForm(request, reply.code(422), token.data.token, state, fieldErrors(parsed.error));
      const result = await setPasswordThroughLink(db, token.data.token, parsed.data.newPassword, {
        cost: opts.passwordHashCost,
      });
      if (result.status !== 'ok') return linkPage(request, reply, result, token.data.token);
      request.log.info({ purpose: result.purpose }, 'password set through a link');
      // OWASP: the owner signs in as usual next, with the new password
      return reply.redirect(`/login?password=${result.purpose === 'invitation' ? 'chosen' : 'reset'}`, 303);
    },
  );

  // an expired invitation asks for another one (the mail goes to the account's own address)
  app.post(`${ACCOUNT_LINK_PATH}/renewal`, async (request, reply) => {
    const token = linkTokenSchema.safeParse(request.body ?? {});
    if (!token.success) return linkPage(request, reply, { status: 'unknown' });
    const state = accountLinkState(db, token.data.token);
    // a link that still works needs no other; only an invitation is renewed here (a reset is asked for again)
    if (state.status === 'ok') return passwordForm(request, reply, token.data.token, state);
    if (state.status !== 'expired' || state.purpose !== 'invitation') return linkPage(request, reply, state);
    const sent = renewInvitation(db, token.data.token);
    return linkPage(request, reply, { status: sent ? 'renewed' : 'used' });
  });
};

export default routes;
