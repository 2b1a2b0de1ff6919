import Fastify from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';

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
  // pages are served over plain http on 127.0.0.1 in development; HSTS belongs to the TLS proxy
  strictTransportSecurity: false,
};

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

/** Sets the same security headers on every response, computed once, in one hook. */
export default fp(
  async (app) => {
    const headers = await securityHeaders();
    if (!headers['content-security-policy']) throw new Error('security headers: helmet set no CSP');
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  },
  { name: 'security' },
);
