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
    lastSeen?: number;
  }
}

export type SessionOptions = {
  secret?: string;
  databasePath: string;
  idleMinutes: number;
  secureCookie: boolean;
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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

/** Cookies, server-side sessions in SQLite, CSRF on every unsafe request, the signed-in user. */
export default fp<SessionOptions>(async (app, opts) => {
  const idleMs = opts.idleMinutes * 60_000;
  const store = new SqliteSessionStore(app.database.db, idleMs);
  store.prune();
  const pruneTimer = setInterval(() => store.prune(), 10 * 60_000);
  pruneTimer.unref();
  app.addHook('onClose', async () => clearInterval(pruneTimer));

  await app.register(cookie);
  await app.register(session, {
    secret: sessionSecret(opts),
    cookieName: 'sid',
    store,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secureCookie, maxAge: idleMs, path: '/' },
  });
  await app.register(csrf, { sessionPlugin: '@fastify/session' });
  await app.register(rateLimit, { global: false });

  app.decorateRequest('user', null);

  app.addHook('preHandler', async (request) => {
    const { userId, lastSeen } = request.session;
    if (userId === undefined) return;
    const now = Date.now();
    if (lastSeen !== undefined && now - lastSeen > idleMs) {
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
    if (SAFE_METHODS.has(request.method)) return done();
    app.csrfProtection(request, reply, done);
  });

  app.decorate('pageContext', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.user) return { user: null };
    return { user: request.user, csrfToken: await reply.generateCsrf() };
  });
}, { name: 'session', dependencies: ['db'] });
