import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireSignedIn } from '../auth/guards.js';
import { ROLE_LABELS } from '../auth/policy.js';
import { getUser } from '../auth/queries.js';
import { countSessionsOf } from '../auth/session-store.js';
import { changeOwnPassword, FormError, signOutEverywhere } from '../admin/accounts.js';
import { listMemberUnits } from '../admin/queries.js';
import { accountQuerySchema, ownPasswordSchema } from '../admin/schema.js';
import { fieldErrors, singleError, type FieldErrors } from '../lib/forms.js';

/**
 * "Moje konto": who am I, my password, signing out everywhere. For everyone signed in, also someone whose
 * password an admin typed: this is where they replace it before any other staff page opens.
 */
const routes: FastifyPluginAsync<{ loginRateLimit: number; passwordHashCost: number }> = async (app, opts) => {
  const { db } = app.database;
  const signedIn = { preHandler: requireSignedIn };

  const render = async (
    request: FastifyRequest,
    reply: FastifyReply,
    data: { saved?: string; errors?: FieldErrors },
  ) => {
    const me = request.user!;
    const account = getUser(db, me.id)!;
    const units = listMemberUnits(db)
      .filter((u) => account.unitIds.includes(u.id))
      .map((u) => u.name);
    const page = await app.view('account/index.njk', {
      ...(await app.pageContext(request, reply)),
      nav: 'account',
      account: { email: account.email, name: account.name, roleLabel: ROLE_LABELS[account.role], units },
      sessionCount: countSessionsOf(db, me.id),
      mustChangePassword: account.mustChangePassword,
      ...data,
    });
    return reply.type('text/html; charset=utf-8').send(page);
  };

  app.get('/account', signedIn, async (request, reply) => {
    const { saved } = accountQuerySchema.parse(request.query ?? {});
    return render(request, reply, { saved });
  });

  app.post(
    '/account/password',
    {
      ...signedIn,
      config: { rateLimit: { max: opts.loginRateLimit, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const parsed = ownPasswordSchema.safeParse(request.body ?? {});
      let errors: FieldErrors;
      if (parsed.success) {
        try {
          await changeOwnPassword(db, request.user!.id, parsed.data, {
            cost: opts.passwordHashCost,
            currentSid: request.session.sessionId,
          });
          return reply.redirect('/account?saved=password', 303);
        } catch (err) {
          if (!(err instanceof FormError)) throw err;
          errors = singleError(err.field, err.message);
        }
      } else errors = fieldErrors(parsed.error);
      return render(request, reply.code(422), { errors });
    },
  );

  // "log out everywhere" deletes every session of the account, this one too
  app.post('/account/sessions/removal', signedIn, async (request, reply) => {
    const ended = signOutEverywhere(db, request.user!.id);
    request.log.info({ userId: request.user!.id, ended }, 'signed out everywhere');
    await request.session.destroy();
    return reply.redirect('/login?signedOut=everywhere', 303);
  });
};

export default routes;
