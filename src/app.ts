import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import formbody from '@fastify/formbody';
import type { Config } from './config.js';
import dbPlugin from './plugins/db.js';
import viewPlugin from './plugins/view.js';
import staticPlugin from './plugins/static.js';
import securityPlugin from './plugins/security.js';
import pageCachePlugin from './plugins/page-cache.js';
import proposalRoutes from './proposals/routes.js';
import unitRoutes from './units/routes.js';
import exportRoutes from './exports/routes.js';
import sessionPlugin from './plugins/session.js';
import authRoutes from './auth/routes.js';
import staffRoutes from './staff/routes.js';
import adminRoutes from './admin/routes.js';
import triageRoutes from './triage/routes.js';
import positionRoutes from './positions/routes.js';
import decisionRoutes from './decisions/routes.js';
import { HttpError } from './lib/http.js';
import { DEFAULT_SCRYPT_COST } from './auth/password.js';

export type AppOptions = Pick<Config, 'databasePath' | 'baseUrl' | 'viewCache'> &
  Partial<Pick<Config, 'sessionSecret' | 'sessionIdleMinutes' | 'sessionAbsoluteHours' | 'loginRateLimit'>> & {
    /** scrypt cost for passwords set through the web UI (tests lower it) */
    passwordHashCost?: number;
    /** open-data exports per IP address per minute (default 30; the benchmark raises it) */
    exportRateLimit?: number;
  };

const STATUS_TITLES: Record<number, string> = {
  400: 'Nieprawidłowe żądanie',
  401: 'Wymagane logowanie',
  409: 'Konflikt zmian',
  422: 'Nieprawidłowe dane',
  403: 'Brak dostępu',
  404: 'Nie znaleziono strony',
  405: 'Niedozwolona metoda',
  413: 'Za duże dane',
  415: 'Nieobsługiwany format danych',
  429: 'Zbyt wiele żądań',
};

/** The whole application as one Fastify plugin: registers everything, does nothing else. */
const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  await fastify.register(dbPlugin, { path: opts.databasePath });
  await fastify.register(securityPlugin);
  await fastify.register(formbody, { bodyLimit: 100_000 });
  await fastify.register(sessionPlugin, {
    databasePath: opts.databasePath,
    secret: opts.sessionSecret,
    idleMinutes: opts.sessionIdleMinutes ?? 30,
    absoluteHours: opts.sessionAbsoluteHours ?? 12,
    secureCookie: opts.baseUrl.startsWith('https:'),
  });
  await fastify.register(viewPlugin, { cache: opts.viewCache });
  await fastify.register(staticPlugin);
  await fastify.register(pageCachePlugin);

  setErrorPages(fastify);

  await fastify.register(proposalRoutes);
  await fastify.register(unitRoutes);
  await fastify.register(exportRoutes, { baseUrl: opts.baseUrl, rateLimit: opts.exportRateLimit });
  const passwordHashCost = opts.passwordHashCost ?? DEFAULT_SCRYPT_COST;
  await fastify.register(authRoutes, { loginRateLimit: opts.loginRateLimit ?? 10, passwordHashCost });
  await fastify.register(staffRoutes);
  await fastify.register(adminRoutes, { passwordHashCost });
  await fastify.register(triageRoutes);
  await fastify.register(positionRoutes);
  await fastify.register(decisionRoutes);
};

function setErrorPages(fastify: FastifyInstance) {
  const render = async (request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string, wantsJson: boolean) => {
    if (wantsJson) return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: message, statusCode }) };
    const title = STATUS_TITLES[statusCode] ?? (statusCode >= 500 ? 'Błąd serwera' : 'Błąd');
    // the signed-in header when the session is known; an error before that shows the public one
    let context = {};
    try {
      if (request.user) context = await fastify.pageContext(request, reply);
    } catch {
      context = {};
    }
    return { contentType: 'text/html; charset=utf-8', body: await fastify.view('errors/error.njk', { ...context, statusCode, title, message }) };
  };

  fastify.setNotFoundHandler(async (request, reply) => {
    const page = await render(request, reply, 404, 'Nie ma strony pod tym adresem. Sprawdź adres albo wróć do listy propozycji.', request.url.startsWith('/export/'));
    return reply.code(404).type(page.contentType).send(page.body);
  });

  fastify.setErrorHandler(async (error: FastifyError | HttpError, request, reply) => {
    let statusCode = error instanceof HttpError ? error.statusCode : (error.statusCode ?? 500);
    if (statusCode < 400 || statusCode > 599) statusCode = 500;
    let message: string;
    if (error instanceof HttpError) message = error.message;
    else if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
      message = 'Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę; jeśli błąd się powtarza, skontaktuj się z Biurem Dialogu i Innowacji Miejskich.';
    } else if (statusCode === 413) message = 'Przesłane dane są zbyt duże.';
    else if (statusCode === 415) message = 'Nieobsługiwany format przesłanych danych.';
    else if ((error as FastifyError).code?.startsWith('FST_CSRF')) message = 'Formularz wygasł lub nie pochodzi z tej strony. Odśwież stronę i spróbuj ponownie.';
    else if (statusCode === 429) message = 'Zbyt wiele prób w krótkim czasie. Odczekaj chwilę i spróbuj ponownie.';
    else message = 'Żądanie jest nieprawidłowe.';
    const page = await render(request, reply, statusCode, message, request.url.startsWith('/export/'));
    return reply.code(statusCode).type(page.contentType).send(page.body);
  });
}

// not encapsulated, so the server, tests and scripts can reach app.database
export default fp(app, { name: 'app' });
