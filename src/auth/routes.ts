import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { authenticate } from './service.js';
import { loginSchema, safeNext } from './schema.js';
import { hashPassword } from './password.js';
import { fieldErrors } from '../lib/forms.js';

const routes: FastifyPluginAsync<{ loginRateLimit: number; passwordHashCost: number }> = async (app, opts) => {
  const { db } = app.database;
  // compared against when the e-mail is unknown, so both failures cost the same
  // made on the first unknown e-mail, at the cost real passwords have, so both failures take as long
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= hashPassword('nie-ma-takiego-konta', opts.passwordHashCost));

  const renderLogin = async (request: Parameters<typeof app.pageContext>[0], reply: Parameters<typeof app.pageContext>[1], data: Record<string, unknown>) => {
    const csrfToken = await reply.generateCsrf();
    return reply.type('text/html; charset=utf-8').send(await app.view('auth/login.njk', { user: request.user, csrfToken, ...data }));
  };

  app.get('/login', async (request, reply) => {
    const { next } = z.object({ next: z.string().max(500).optional() }).catch({ next: undefined }).parse(request.query);
    if (request.user) return reply.redirect(safeNext(next), 303);
    return renderLogin(request, reply, { next: next ?? '', values: {} });
  });

  app.post('/login', { config: { rateLimit: { max: opts.loginRateLimit, timeWindow: '1 minute' } } }, async (request, reply) => {
    const parsed = loginSchema.safeParse(request.body ?? {});
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { email: typeof body.email === 'string' ? body.email : '' };
    const next = typeof body.next === 'string' ? body.next : '';
    if (!parsed.success) {
      return renderLogin(request, reply.code(422), { next, values, errors: fieldErrors(parsed.error) });
    }
    const user = await authenticate(db, parsed.data.email, parsed.data.password, dummy);
    if (!user) {
      request.log.info({ email: parsed.data.email }, 'failed login');
      return renderLogin(request, reply.code(422), {
        next, values,
        errors: { summary: [{ field: 'email', message: 'Nieprawidłowy adres e-mail lub hasło.' }], byField: {} },
      });
    }
    // a new session id at login: a session fixed before login is worthless afterwards
    await request.session.regenerate();
    request.session.userId = user.id;
    request.session.lastSeen = Date.now();
    return reply.redirect(safeNext(parsed.data.next), 303);
  });

  app.post('/logout', async (request, reply) => {
    await request.session.destroy();
    return reply.redirect('/', 303);
  });
};

export default routes;
