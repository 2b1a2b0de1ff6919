import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { authenticate } from './service.js';
import { loginSchema, safeNext } from './schema.js';
import { hashPassword } from './password.js';
import { LoginLockout } from './throttle.js';
import { knownDevice, setDeviceCookie } from './device.js';
import { fieldErrors, singleError } from '../lib/forms.js';
import { storageTrouble } from '../lib/errors.js';
import { CSRF_COOKIE, SESSION_COOKIE } from '../plugins/session.js';
import accountRoutes from '../account/routes.js';
import keepaliveRoutes from './keepalive-routes.js';
import passwordRoutes from './password-routes.js';
import { PASSWORD_CHANGE_PAGE } from './guards.js';
import { loadActor } from './queries.js';
import { clearCookie, readCookie } from './cookies.js';
import {
  clearLastUserCookie,
  findKeptForm,
  KEPT_COOKIE,
  KEPT_MESSAGES,
  keptFormReturn,
  setLastUserCookie,
} from './kept-forms.js';

export const ACCOUNT_THROTTLED_MESSAGE =
  'Zbyt wiele nieudanych prób logowania na to konto. Z przeglądarki, w której logujesz się zwykle, zalogujesz się ' +
  'nadal; z innej odczekaj 15 minut i spróbuj ponownie. Jeśli nie pamiętasz hasła, wybierz „Nie pamiętasz ' +
  'hasła?” pod formularzem.';

const loginQuerySchema = z.object({
  next: z.string().max(500).optional().catch(undefined),
  signedOut: z.enum(['everywhere']).optional().catch(undefined),
  // a password just chosen through an invitation's link, or set through a reset's
  password: z.enum(['chosen', 'reset']).optional().catch(undefined),
});

type Options = { loginRateLimit: number; passwordHashCost: number };

const routes: FastifyPluginAsync<Options> = async (app, opts) => {
  const { db } = app.database;
  // made on the first unknown e-mail, at the cost real passwords have, so both failures take as long
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= hashPassword('nie-ma-takiego-konta', opts.passwordHashCost));
  // failed logins per account (by e-mail, known or not, so the answer tells nothing), besides the per-IP
  // limit: from many addresses the IP limit alone does not stop guessing one password
  const lockout = new LoginLockout();

  const renderLogin = async (request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => {
    // the CSRF secret lives in a signed cookie: an anonymous visitor gets no session row
    const csrfToken = await reply.csrfToken();
    // a form sent after the session ended is kept (src/auth/kept-forms.ts): say so
    const kept = findKeptForm(db, readCookie(request, KEPT_COOKIE)) ? KEPT_MESSAGES.login : '';
    const page = await app.view('auth/login.njk', { user: request.user, csrfToken, kept, ...data });
    return reply.type('text/html; charset=utf-8').send(page);
  };

  app.get('/login', async (request, reply) => {
    const { next, signedOut, password } = loginQuerySchema.parse(request.query ?? {});
    if (request.user) return reply.redirect(safeNext(next), 303);
    return renderLogin(request, reply, { next: next ? safeNext(next) : '', signedOut, password, values: {} });
  });

  const loginLimit = { rateLimit: { max: opts.loginRateLimit, timeWindow: '1 minute' } };
  app.post('/login', { config: loginLimit }, async (request, reply) => {
    const parsed = loginSchema.safeParse(request.body ?? {});
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { email: typeof body.email === 'string' ? body.email : '' };
    const next = typeof body.next === 'string' && body.next ? safeNext(body.next) : '';
    if (!parsed.success) {
      return renderLogin(request, reply.code(422), { next, values, errors: fieldErrors(parsed.error) });
    }
    const email = parsed.data.email.toLowerCase();
    const device = knownDevice(request, email);
    const ticket = lockout.begin({ email, address: request.ip, device });
    if (!ticket) {
      request.log.warn({ email, ip: request.ip }, 'login refused: too many failed attempts for this account');
      const errors = singleError('form', ACCOUNT_THROTTLED_MESSAGE);
      return renderLogin(request, reply.code(429), { next, values, errors });
    }
    const user = await authenticate(db, email, parsed.data.password, dummy);
    if (!user) {
      request.log.warn({ email, ip: request.ip, knownDevice: device !== null }, 'failed login');
      return renderLogin(request, reply.code(422), {
        next,
        values,
        errors: { summary: [{ field: 'email', message: 'Nieprawidłowy adres e-mail lub hasło.' }], byField: {} },
      });
    }
    lockout.succeeded(ticket);
    try {
      // a new session id at login: a session fixed before login is worthless afterwards
      await request.session.regenerate();
      const now = Date.now();
      request.session.userId = user.id;
      request.session.loginAt = now;
      request.session.lastSeen = now;
      // saved now, not as the answer goes out, so that a database that cannot take the row is said on the form
      await request.session.save();
    } catch (err) {
      const trouble = storageTrouble(err);
      if (!trouble) throw err;
      request.log.warn({ email, code: trouble.code }, 'login refused: the session cannot be written');
      // nobody is signed in by this answer
      delete request.session.userId;
      delete request.session.loginAt;
      delete request.session.lastSeen;
      reply.header('Retry-After', String(trouble.retryAfterSeconds));
      const errors = singleError('form', trouble.loginMessage);
      return renderLogin(request, reply.code(trouble.statusCode), { next, values, errors });
    }
    setDeviceCookie(reply, email);
    // and a new CSRF secret: the next page makes one
    clearCookie(reply, CSRF_COOKIE);
    setLastUserCookie(reply, user.id, { absoluteMs: app.sessionLimits.absoluteMs });
    // a password an admin typed is replaced first (every staff page sends its owner there until then)
    if (user.mustChangePassword) return reply.redirect(PASSWORD_CHANGE_PAGE, 303);
    // back to the form whose text was kept when the session ended, if it is this account's to see
    const kept = keptFormReturn(db, request, loadActor(db, user.id));
    return reply.redirect(kept ?? safeNext(parsed.data.next), 303);
  });

  app.post('/logout', async (request, reply) => {
    try {
      await request.session.destroy();
    } catch (err) {
      // The database takes no writes: the browser forgets the session all the same, and its row, which
      // cannot be touched meanwhile either, ends at the idle limit.
      const trouble = storageTrouble(err);
      if (!trouble) throw err;
      request.log.warn(
        { code: trouble.code, userId: request.user?.id },
        'logout: the session row stays until it expires',
      );
      clearCookie(reply, SESSION_COOKIE);
    }
    clearCookie(reply, CSRF_COOKIE);
    clearLastUserCookie(reply);
    return reply.redirect('/', 303);
  });

  await app.register(accountRoutes, opts);
  await app.register(passwordRoutes, opts);
  await app.register(keepaliveRoutes);
};

export default routes;
