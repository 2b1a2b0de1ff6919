import fs from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import type { Actor } from '../auth/policy.js';
import { SqliteSessionStore } from '../auth/session-store.js';
import { activeUserIds, loadActor } from '../auth/queries.js';
import { cookieAttributes, cookieName, readCookie } from '../auth/cookies.js';
import {
  boundedValues,
  collectKeptFormRoutes,
  formValues,
  keepForm,
  KEPT_COOKIE,
  type KeptFormRoute,
  type KeptFormTarget,
  lastUserOf,
  pruneKeptForms,
  sendKeptLogin,
  sendKeptRefusal,
  setKeptCookie,
} from '../auth/kept-forms.js';
import { addressGroup, FailureThrottle } from '../auth/throttle.js';
import { storageTrouble } from '../lib/errors.js';
import { overHttps } from '../lib/http.js';
import { sessionSecretFile } from '../db/client.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: Actor;
  }
  interface FastifyInstance {
    /** What every page's layout needs: the signed-in user and a CSRF token for its forms. */
    pageContext(
      request: FastifyRequest,
      reply: FastifyReply,
    ): Promise<{ user: Actor; csrfToken?: string; sessionTimes?: SessionTimes }>;
    /** The session limits (keepalive, the cookies that outlive a session) */
    sessionLimits: { idleMs: number; absoluteMs: number };
  }
  interface FastifyReply {
    /** A CSRF token for this response's forms, bound to who is asking (see csrfIdentity). */
    csrfToken(): Promise<string>;
  }
}

/** What the page's session script (static/session.js) needs: seconds until the idle and the absolute end. */
export type SessionTimes = { idleSeconds: number; remainingSeconds: number };

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
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The session cookie: only signed-in people have one. */
export const SESSION_COOKIE = 'sid';
/** Where a request's session lives once it has one (request.session makes it on first use). */
const kSession = Symbol('session');
/** The account of a session that this request found ended (idle or absolute limit), for a form it brings. */
const kEndedUser = Symbol('endedUser');
/** An identity to check a CSRF token against instead of the request's own (csrfTokenOwner). */
const kCsrfIdentity = Symbol('csrfIdentity');
type WithSlot = FastifyRequest & {
  [kSession]: FastifyRequest['session'] | null;
  [kEndedUser]: number | null;
  [kCsrfIdentity]?: string;
};
/** Route config of responses that do not depend on who asks (static files): the session is not even read. */
export type SessionRouteConfig = { session?: false };
declare module 'fastify' {
  interface FastifyContextConfig extends SessionRouteConfig {}
}
/** Pages that show account details or carry a login form: never kept by a browser or proxy cache. */
const PRIVATE_PATHS = /^\/(staff|admin|account|login|logout)(\/|\?|$)/;
/** The cookie holding the CSRF secret (signed, httpOnly): forms work without a server-side session. */
export const CSRF_COOKIE = '_csrf';

/**
 * Who a CSRF token is made for and checked against: the signed-in account, else the account whose
 * session this request found ended or that last logged in in this browser (signed cookie), else the
 * public. A token is a keyed hash of the browser's secret and this identity, so a secret planted in
 * someone's browser together with a token made for the planter (cookie tossing) does not pass for the
 * account signed in there. Login and logout replace the secret, so a token of one session does not pass
 * in the next.
 */
function csrfIdentity(request: FastifyRequest): string {
  const override = (request as WithSlot)[kCsrfIdentity];
  if (override) return override;
  const account = request.user?.id ?? (request as WithSlot)[kEndedUser] ?? lastUserOf(request);
  return account === null || account === undefined ? 'public' : `user:${account}`;
}

/** A signing secret from config, else one generated once and kept beside the database file. */
function sessionSecret(opts: SessionOptions): string {
  if (opts.secret) return opts.secret;
  if (opts.databasePath === ':memory:') return randomBytes(32).toString('hex');
  const file = sessionSecretFile(opts.databasePath);
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
    const store = new SqliteSessionStore(app.database.db, idleMs, absoluteMs, app.log);
    // housekeeping: on a full disk (or a read-only database) it waits for the next round
    const prune = () => {
      try {
        store.prune();
        pruneKeptForms(app.database.db);
      } catch (err) {
        const trouble = storageTrouble(err);
        if (!trouble) throw err;
        app.log.warn(
          { code: trouble.code },
          'expired sessions and kept forms not pruned: the database takes no writes',
        );
      }
    };
    prune();
    const pruneTimer = setInterval(prune, 10 * 60_000);
    pruneTimer.unref();
    app.addHook('onClose', async () => clearInterval(pruneTimer));

    const secret = sessionSecret(opts);
    await app.register(cookie, { secret });
    lazySession(app, (secure) => ({
      secret,
      cookieName: cookieName(SESSION_COOKIE, secure),
      store,
      saveUninitialized: false,
      rolling: true,
      cookie: { ...cookieAttributes(secure), maxAge: idleMs },
    }));
    await csrfPerConnection(app, (secure) => ({
      sessionPlugin: '@fastify/cookie',
      cookieKey: cookieName(CSRF_COOKIE, secure),
      cookieOpts: { ...cookieAttributes(secure), signed: true },
      getUserInfo: csrfIdentity,
      // tokens are keyed hashes: nobody without the server's key can make one for a planted secret
      csrfOpts: { hmacKey: createHmac('sha256', secret).update('csrf-token').digest() },
    }));
    app.decorateReply('csrfToken', function (this: FastifyReply) {
      return Promise.resolve(this.generateCsrf({ userInfo: csrfIdentity(this.request) }));
    });
    await app.register(rateLimit, { global: false });

    app.decorateRequest('user', null);
    app.decorateRequest(kEndedUser, null);
    app.decorate('sessionLimits', { idleMs, absoluteMs });
    collectKeptFormRoutes(app);

    /** The signed-in user of a session with an account, unless the session has run out. */
    const restoreUser = async (request: FastifyRequest, userId: number) => {
      const { lastSeen, loginAt } = request.session;
      const now = Date.now();
      // a session from before login times were kept has no loginAt: it ends too
      const expired =
        loginAt === undefined || now - loginAt > absoluteMs || (lastSeen !== undefined && now - lastSeen > idleMs);
      if (expired) {
        (request as WithSlot)[kEndedUser] = userId;
        await endSession(request);
        return;
      }
      const actor = loadActor(app.database.db, userId);
      if (!actor) {
        await endSession(request);
        return;
      }
      request.user = actor;
      request.session.lastSeen = now;
    };

    // a callback hook, not an async one: an anonymous request does not even wait for a promise here
    app.addHook('preHandler', (request, _reply, done) => {
      // an anonymous request has no session, and reading request.session would make one
      const userId = (request as WithSlot)[kSession]?.userId;
      if (userId === undefined) return done();
      restoreUser(request, userId).then(() => done(), done);
    });

    // A form of a staff page sent after its session ended, or with the CSRF token of an ended session
    // (signed in again in another tab): refused as before, writing nothing, but what was typed is kept
    // and shown back in the form after logging in (src/auth/kept-forms.ts).
    // at most 30 copies an hour per account, or per address (an IPv6 /64 is one) when no account is known
    const keepThrottle = new FailureThrottle({ max: 30, windowMs: 3_600_000, maxKeys: 10_000 });
    const keep = (
      request: FastifyRequest,
      reply: FastifyReply,
      kept: KeptFormRoute,
      target: KeptFormTarget,
      userId: number | null,
    ) => {
      const address = addressGroup(request.ip);
      const owner = userId !== null ? `account ${userId}` : `address ${address}`;
      if (keepThrottle.isBlocked(owner)) return false;
      keepThrottle.recordFailure(owner);
      const previousKey = readCookie(request, KEPT_COOKIE);
      const { url: route = '' } = request.routeOptions;
      const values = boundedValues(formValues(request.body), kept.fields);
      const entry = { ...target, userId, route, address, values, previousKey };
      const key = keepForm(app.database.db, entry);
      if (!key) return false;
      setKeptCookie(reply, key);
      request.log.info({ proposalId: target.proposalId, form: target.formId, userId }, 'form kept: session ended');
      return true;
    };

    // CSRF on every state-changing request: forms send _csrf, htmx sends the X-CSRF-Token header
    app.addHook('preHandler', (request, reply, done) => {
      // a route may opt out (only the RFC 8058 one-click unsubscribe, whose URL token is its authority)
      if (SAFE_METHODS.has(request.method)) return done();
      // (routeOptions is built anew on each read: only for the few unsafe requests)
      const config = request.routeOptions.config as { csrf?: boolean; keptForm?: KeptFormRoute } | undefined;
      if (config?.csrf === false) return done();
      // a route whose form is kept says so in its config, as it says csrf: false
      const target = config?.keptForm?.target(request.params, formValues(request.body));
      if (!config?.keptForm || !target) return app.csrfProtection(request, reply, done);
      const valid = csrfTokenValid(app, request, reply);
      // (a hook that replies itself does not call done: the route does not run)
      if (request.user) {
        // kept only for a form this account may send at all: any other refusal stays as it was
        const { db } = app.database;
        const entry = { ...target, values: formValues(request.body) };
        if (valid || !config.keptForm.mayPost(db, request.user, entry)) {
          return app.csrfProtection(request, reply, done);
        }
        if (!keep(request, reply, config.keptForm, target, request.user.id))
          return app.csrfProtection(request, reply, done);
        sendKeptRefusal(app, request, reply, target).catch(done);
        return;
      }
      // Signed out. Kept only when the form demonstrably came from this site in this browser (a valid
      // token, or a cookie only a same-site request carries), so a forged cross-site post plants nothing.
      const knownUser = (request as WithSlot)[kEndedUser] ?? lastUserOf(request) ?? csrfTokenOwner(app, request, reply);
      if (valid || knownUser !== null) {
        if (keep(request, reply, config.keptForm, target, knownUser)) {
          sendKeptLogin(app, request, reply, target).catch(done);
          return;
        }
      }
      return app.csrfProtection(request, reply, done);
    });

    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.user || PRIVATE_PATHS.test(request.url)) {
        const current = reply.getHeader('Cache-Control');
        if (typeof current !== 'string' || !current.includes('no-store')) reply.header('Cache-Control', 'no-store');
      }
      done(null, payload);
    });

    app.decorate('pageContext', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.user) return { user: null };
      const loginAt = request.session.loginAt ?? Date.now();
      const sessionTimes = {
        idleSeconds: Math.floor(idleMs / 1000),
        remainingSeconds: Math.max(0, Math.floor((loginAt + absoluteMs - Date.now()) / 1000)),
      };
      return { user: request.user, csrfToken: await reply.csrfToken(), sessionTimes };
    });
  },
  { name: 'session', dependencies: ['db'] },
);

/**
 * Ends the request's ended session (expired, or its account inactive). Deleting its row is housekeeping:
 * when the database takes no writes the row stays, refused again next time, and the request goes on.
 */
async function endSession(request: FastifyRequest) {
  try {
    await request.session.destroy();
  } catch (err) {
    const trouble = storageTrouble(err);
    if (!trouble) throw err;
    request.log.warn({ code: trouble.code }, 'ended session not deleted: the database takes no writes');
  }
}

/** What a probe logs: nothing (the check that answers the request logs its refusal itself). */
const quiet = Object.fromEntries(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((level) => [level, () => {}]),
);

/**
 * Whether the request carries a valid CSRF token (for `identity`, or the request's own), without
 * answering it: @fastify/csrf-protection's check replies with its error itself, so it is given a reply
 * whose `send` only records the refusal, and a request that logs nothing.
 */
function csrfTokenValid(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, identity?: string) {
  let valid = false;
  const probe = Object.create(reply, { send: { value: () => probe } }) as FastifyReply;
  const asked = Object.create(request, { log: { value: quiet }, [kCsrfIdentity]: { value: identity } });
  app.csrfProtection(asked as FastifyRequest, probe, () => {
    valid = true;
  });
  return valid;
}

/**
 * The account a CSRF token was made for, when the request itself names none (no session, no last-login
 * cookie): a staff page's form whose browser has forgotten everything but the page. Checked against the
 * active accounts, the token's own proof; null when it was made for none of them.
 */
function csrfTokenOwner(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): number | null {
  for (const id of activeUserIds(app.database.db)) {
    if (csrfTokenValid(app, request, reply, `user:${id}`)) return id;
  }
  return null;
}

type SessionPluginOptions = Parameters<typeof session>[1];
type SessionHooks = { onRequest: onRequestHookHandler; onSend: onSendHookHandler; cookieName: string };

/**
 * @fastify/session, except that a request without a session cookie costs nothing: the library makes
 * a session object for every request (a random id, its HMAC signature, a hash of its contents)
 * although only people who log in ever keep one. Its two hooks are taken from it and run only for a
 * request that brings the cookie, or whose code touches `request.session` (the login form's POST),
 * which then gets its session on first use exactly as the library would have made it.
 *
 * The library names its cookie once; the site's cookie depends on the connection (src/auth/cookies.ts), so
 * it is made twice – for plain http and for https – and each request is handed to the one that fits it.
 */
function lazySession(app: FastifyInstance, optionsFor: (secure: boolean) => SessionPluginOptions) {
  const capture = (options: SessionPluginOptions): SessionHooks => {
    const hooks: Partial<SessionHooks> = {};
    const captor = {
      // the same store and decorations for both: only the first is kept
      decorate: (name: string, value: unknown) => (app.hasDecorator(name) ? captor : app.decorate(name, value)),
      // request.session is ours: a getter over the slot below
      decorateRequest: (name: string, value: unknown) =>
        name === 'session' || app.hasRequestDecorator(name) ? captor : app.decorateRequest(name, value),
      addHook: (name: 'onRequest' | 'onSend', hook: onRequestHookHandler & onSendHookHandler) => {
        hooks[name] = hook;
        return captor;
      },
    };
    session(captor as unknown as FastifyInstance, options, (err?: Error) => {
      if (err) throw err;
    });
    const { onRequest, onSend } = hooks;
    if (!onRequest || !onSend) throw new Error('@fastify/session registered no onRequest/onSend hook');
    return { onRequest, onSend, cookieName: options.cookieName ?? SESSION_COOKIE };
  };
  const plain = capture(optionsFor(false));
  const secure = capture(optionsFor(true));
  const hooksFor = (request: FastifyRequest) => (overHttps(request) ? secure : plain);

  const noop = () => {};
  app.decorateRequest(kSession, null);
  app.decorateRequest('session', {
    getter(this: FastifyRequest) {
      const request = this as WithSlot;
      // without a cookie the library's hook makes a new session synchronously
      if (request[kSession] === null)
        hooksFor(request).onRequest.call(app, request, undefined as unknown as FastifyReply, noop);
      return request[kSession] as FastifyRequest['session'];
    },
    setter(this: FastifyRequest, value: FastifyRequest['session']) {
      (this as WithSlot)[kSession] = value;
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    const hooks = hooksFor(request);
    if (request.cookies[hooks.cookieName] === undefined) return done();
    if (request.routeOptions.config.session === false) return done();
    return hooks.onRequest.call(app, request, reply, done);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if ((request as WithSlot)[kSession] === null) return done(null, payload);
    return hooksFor(request).onSend.call(app, request, reply, payload, done);
  });
}

type CsrfOptions = Parameters<typeof csrf>[1];
type CsrfParts = { csrfProtection: FastifyInstance['csrfProtection']; generateCsrf: FastifyReply['generateCsrf'] };

/**
 * @fastify/csrf-protection, made for plain http and for https (its cookie's name and attributes are fixed
 * when it is made), each request handed to the one that fits its connection as for the session above.
 */
async function csrfPerConnection(app: FastifyInstance, optionsFor: (secure: boolean) => CsrfOptions) {
  const capture = async (options: CsrfOptions): Promise<CsrfParts> => {
    const parts: Partial<CsrfParts> = {};
    const captor = {
      decorate: (name: string, value: CsrfParts['csrfProtection']) => {
        if (name === 'csrfProtection') parts.csrfProtection = value;
      },
      decorateReply: (name: string, value: CsrfParts['generateCsrf']) => {
        if (name === 'generateCsrf') parts.generateCsrf = value;
      },
    };
    await csrf(captor as unknown as FastifyInstance, options);
    const { csrfProtection, generateCsrf } = parts;
    if (!csrfProtection || !generateCsrf) throw new Error('@fastify/csrf-protection decorated nothing');
    return { csrfProtection, generateCsrf };
  };
  const plain = await capture(optionsFor(false));
  const secure = await capture(optionsFor(true));
  app.decorate('csrfProtection', function (this: FastifyInstance, request, reply, done) {
    return (overHttps(request) ? secure : plain).csrfProtection.call(this, request, reply, done);
  } as FastifyInstance['csrfProtection']);
  app.decorateReply('generateCsrf', function (this: FastifyReply, opts) {
    return (overHttps(this.request) ? secure : plain).generateCsrf.call(this, opts);
  } as FastifyReply['generateCsrf']);
}
