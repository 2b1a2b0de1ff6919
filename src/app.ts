import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import formbody from '@fastify/formbody';
import type { Config, MailConfig } from './config.js';
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
import progressStaffRoutes from './progress/staff-routes.js';
import rdppRoutes from './rdpp/routes.js';
import workbenchRoutes from './workbench/routes.js';
import workbenchForms from './workbench/forms.js';
import adminRoutes from './admin/routes.js';
import auditRoutes from './audit/routes.js';
import bulkTriageRoutes from './triage/bulk-routes.js';
import subscriptionRoutes from './subscriptions/routes.js';
import healthRoutes from './health/routes.js';
import reportRoutes from './reports/routes.js';
import { HttpError, RouteMethods } from './lib/http.js';
import { MESSAGES, frameworkErrorMessage, statusTitle, storageTrouble, wantsJson } from './lib/errors.js';
import { DEFAULT_SCRYPT_COST } from './auth/password.js';
import mailPlugin, { defaultMailConfig } from './plugins/mail.js';
import mailRoutes from './notifications/routes.js';

export type AppOptions = Pick<Config, 'databasePath' | 'baseUrl' | 'viewCache'> &
  Partial<
    Pick<
      Config,
      'sessionSecret' | 'sessionIdleMinutes' | 'sessionAbsoluteHours' | 'loginRateLimit' | 'triageDueWorkingDays'
    >
  > & {
    /** scrypt cost for passwords set through the web UI (tests lower it) */
    passwordHashCost?: number;
    /** open-data exports per IP address per minute (default 30; the benchmark raises it) */
    exportRateLimit?: number;
    /** outgoing mail; without it mail goes to files beside the database and no worker loop runs */
    mail?: MailConfig;
    /** closing the app lets the mail on its way finish this long (default 10 s), then gives up on it */
    shutdownGraceSeconds?: Config['shutdownGraceSeconds'];
  };

/** The whole application as one Fastify plugin: registers everything, does nothing else. */
const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  // first, so that every route (static files included) is known to the 405 check
  const routeMethods = new RouteMethods();
  fastify.addHook('onRoute', (route) => routeMethods.add(route.method, route.url));

  await fastify.register(dbPlugin, { path: opts.databasePath });
  await fastify.register(securityPlugin);
  await fastify.register(formbody, { bodyLimit: 100_000 });
  await fastify.register(sessionPlugin, {
    databasePath: opts.databasePath,
    secret: opts.sessionSecret,
    idleMinutes: opts.sessionIdleMinutes ?? 30,
    absoluteHours: opts.sessionAbsoluteHours ?? 12,
  });
  await fastify.register(viewPlugin, { cache: opts.viewCache });
  await fastify.register(staticPlugin);
  await fastify.register(pageCachePlugin);
  await fastify.register(mailPlugin, {
    config: opts.mail ?? defaultMailConfig(opts.databasePath),
    baseUrl: opts.baseUrl,
    closeGraceMs: (opts.shutdownGraceSeconds ?? 10) * 1000,
  });

  setErrorPages(fastify, routeMethods);
  // the due date the assignment forms propose (the staff page's, the group picker's)
  fastify.decorate('triageDueWorkingDays', opts.triageDueWorkingDays ?? 14);

  await fastify.register(proposalRoutes);
  await fastify.register(unitRoutes);
  await fastify.register(exportRoutes, { baseUrl: opts.baseUrl, rateLimit: opts.exportRateLimit });
  const passwordHashCost = opts.passwordHashCost ?? DEFAULT_SCRYPT_COST;
  await fastify.register(authRoutes, { loginRateLimit: opts.loginRateLimit ?? 10, passwordHashCost });
  await fastify.register(staffRoutes);
  await fastify.register(progressStaffRoutes);
  await fastify.register(rdppRoutes);
  // the staff page of one proposal, and every form on it
  await fastify.register(workbenchRoutes);
  await fastify.register(workbenchForms);
  await fastify.register(adminRoutes, { passwordHashCost });
  await fastify.register(auditRoutes, { baseUrl: opts.baseUrl });
  await fastify.register(bulkTriageRoutes, { dueWorkingDays: opts.triageDueWorkingDays ?? 14 });
  await fastify.register(mailRoutes);
  await fastify.register(subscriptionRoutes);
  await fastify.register(healthRoutes);
  await fastify.register(reportRoutes);
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function setErrorPages(fastify: FastifyInstance, routeMethods: RouteMethods) {
  const render = async (request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string) => {
    if (wantsJson(request)) {
      return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: message, statusCode }) };
    }
    const title = statusTitle(statusCode);
    // the signed-in header when the session is known; an error before that shows the public one
    let context = {};
    try {
      if (request.user) context = await fastify.pageContext(request, reply);
    } catch {
      context = {};
    }
    try {
      const body = await fastify.view('errors/error.njk', { ...context, statusCode, title, message });
      return { contentType: 'text/html; charset=utf-8', body };
    } catch (err) {
      request.log.error({ err }, 'error page failed');
      return { contentType: 'text/plain; charset=utf-8', body: `${title}\n\n${message}\n` };
    }
  };

  const sendErrorPage = async (request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string) => {
    const page = await render(request, reply, statusCode, message);
    return reply.code(statusCode).type(page.contentType).send(page.body);
  };
  fastify.decorate('sendErrorPage', sendErrorPage);

  // Before the session's CSRF check and every other preHandler: a known path asked with a method it
  // does not answer is a 405 (not a 403 for a missing token), an unknown path a 404 whatever the method.
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const allow = routeMethods.allowed(request.url);
    if (allow.length) {
      reply.header('Allow', allow.join(', '));
      return fastify.sendErrorPage(request, reply, 405, MESSAGES.methodNotAllowed(allow));
    }
    if (!SAFE_METHODS.has(request.method)) return fastify.sendErrorPage(request, reply, 404, MESSAGES.notFound);
  });

  fastify.setNotFoundHandler(async (request, reply) => fastify.sendErrorPage(request, reply, 404, MESSAGES.notFound));

  fastify.setErrorHandler(async (error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) return fastify.sendErrorPage(request, reply, error.statusCode, error.message);
    // a full disk, a read-only or locked database: reads go on, this write is refused for now
    const trouble = storageTrouble(error);
    if (trouble) {
      request.log.warn({ err: error, code: trouble.code }, 'database cannot take writes');
      reply.header('Retry-After', String(trouble.retryAfterSeconds));
      return fastify.sendErrorPage(request, reply, trouble.statusCode, trouble.message);
    }
    const { statusCode, message } = frameworkErrorMessage(error);
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return fastify.sendErrorPage(request, reply, statusCode, message);
  });
}

// not encapsulated, so the server, tests and scripts can reach app.database
export default fp(app, { name: 'app' });
