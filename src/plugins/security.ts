import Fastify from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import { overHttps } from '../lib/http.js';

/** Security headers; a strict CSP works because pages use no inline script or style. */
export const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      upgradeInsecureRequests: null,
    },
  },
  // only on responses to https requests (below): over plain http a browser ignores it, and a plain http
  // request (development, a check on the server itself) must not be told the site is https-only
  strictTransportSecurity: false,
};

/**
 * HSTS for a response to a request that came over https (to the TLS proxy, as it says in X-Forwarded-Proto):
 * @fastify/helmet's default, a year for this host and the names below it; no `preload`, which is a decision
 * for the city's whole domain, not for one of its sites.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

let computed: Promise<Record<string, string>> | undefined;

/**
 * The headers @fastify/helmet sets with HELMET_OPTIONS, asked of it once on a scratch instance. They
 * depend on nothing in the request, while the plugin builds its whole middleware again on every
 * request (two hooks, the CSP string rebuilt each time).
 */
export function securityHeaders(): Promise<Record<string, string>> {
  computed ??= (async () => {
    const scratch = Fastify({ logger: false });
    try {
      await scratch.register(helmet, HELMET_OPTIONS);
      scratch.get('/', async (_request, reply) => reply.raw.getHeaders());
      const headers = (await scratch.inject('/')).json() as Record<string, string | number | string[]>;
      return Object.freeze(
        Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)])),
      ) as Record<string, string>;
    } finally {
      await scratch.close();
    }
  })();
  return computed;
}

/** Sets the same security headers on every response, computed once, in one hook; HSTS over https. */
export default fp(
  async (app) => {
    const headers = await securityHeaders();
    if (!headers['content-security-policy']) throw new Error('security headers: helmet set no CSP');
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(headers);
      if (overHttps(request)) reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY);
      done();
    });
  },
  { name: 'security' },
);
