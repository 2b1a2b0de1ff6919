import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../auth/policy.js';
import { SqliteSessionStore } from '../auth/session-store.js';
import { loadActor } from '../auth/queries.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: Actor;
  }
  interface FastifyInstance {
    /** What every page's layout needs: the signed-in user and a CSRF token for its forms. */
    pageContext(request: FastifyRequest, reply: FastifyReply): Promise<{ user: Actor; csrfToken?: string }>;
  }
}

declare module '@fastify/session' {
  interface FastifySessionObject {
    userId?: number;
    /** epoch ms of the login: the session ends `absoluteHours` later, however active */
    loginAt?: number;
    lastSeen?: number;
  }
}

export type SessionOptions = {
  secret?: string;
  databasePath: string;
  idleMinutes: number;
  absoluteHours: number;
  secureCookie: boolean;
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Pages that show account details or carry a login form: never kept by a browser or proxy cache. */
const PRIVATE_PATHS = /^\/(staff|admin|account|login|logout)(\/|\?|$)/;
/** The cookie holding the CSRF secret (signed, httpOnly): forms work without a server-side session. */
export const CSRF_COOKIE = '_csrf';

/** A signing secret from config, else one generated once and kept beside the database file. */
function sessionSecret(opts: SessionOptions): string {
  if (opts.secret) return opts.secret;
  if (opts.databasePath === ':memory:') return randomBytes(32).toString('hex');
  const file = `${path.resolve(opts.databasePath)}.session-secret`;
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // first start: create it below
  }
  const secret = randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * Cookies, server-side sessions in SQLite (only for people who log in), CSRF on every unsafe
 * request (the secret in a signed cookie, so anonymous forms need no session), the signed-in user.
 */
export default fp<SessionOptions>(
  async (app, opts) => {
    const idleMs = opts.idleMinutes * 60_000;
    const absoluteMs = opts.absoluteHours * 3_600_000;
    const store = new SqliteSessionStore(app.database.db, idleMs, absoluteMs);
    store.prune();
    const pruneTimer = setInterval(() => store.prune(), 10 * 60_000);
    pruneTimer.unref();
    app.addHook('onClose', async () => clearInterval(pruneTimer));

    const secret = sessionSecret(opts);
    await app.register(cookie, { secret });
    await app.register(session, {
      secret,
      cookieName: 'sid',
      store,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secureCookie, maxAge: idleMs, path: '/' },
    });
    await app.register(csrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: CSRF_COOKIE,
      cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.secureCookie, signed: true },
    });
    await app.register(rateLimit, { global: false });

    app.decorateRequest('user', null);

    app.addHook('preHandler', async (request) => {
      const { userId, lastSeen, loginAt } = request.session;
      if (userId === undefined) return;
      const now = Date.now();
      // a session from before login times were kept has no loginAt: it ends too
      const expired =
        loginAt === undefined || now - loginAt > absoluteMs || (lastSeen !== undefined && now - lastSeen > idleMs);
      if (expired) {
        await request.session.destroy();
        return;
      }
      const actor = loadActor(app.database.db, userId);
      if (!actor) {
        await request.session.destroy();
        return;
      }
      request.user = actor;
      request.session.lastSeen = now;
    });

    // CSRF on every state-changing request: forms send _csrf, htmx sends the X-CSRF-Token header
    app.addHook('preHandler', (request, reply, done) => {
      // a route may opt out (only the RFC 8058 one-click unsubscribe, whose URL token is its authority)
      const config = request.routeOptions.config as { csrf?: boolean } | undefined;
      if (SAFE_METHODS.has(request.method) || config?.csrf === false) return done();
      app.csrfProtection(request, reply, done);
    });

    app.addHook('onSend', async (request, reply) => {
      if (!request.user && !PRIVATE_PATHS.test(request.url)) return;
      const current = reply.getHeader('Cache-Control');
      if (typeof current !== 'string' || !current.includes('no-store')) reply.header('Cache-Control', 'no-store');
    });

    app.decorate('pageContext', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.user) return { user: null };
      return { user: request.user, csrfToken: await reply.generateCsrf() };
    });
  },
  { name: 'session', dependencies: ['db'] },
);
