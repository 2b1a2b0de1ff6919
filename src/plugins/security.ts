import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';

/** Security headers; a strict CSP works because pages use no inline script or style. */
export default fp(
  async (app) => {
    await app.register(helmet, {
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
    });
  },
  { name: 'security' },
);
