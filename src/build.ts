import Fastify, { type FastifyServerOptions } from 'fastify';
import app, { type AppOptions } from './app.js';
import type { Config } from './config.js';
import { clientErrorHandler, frameworkErrors } from './lib/errors.js';
import { redactingLogger } from './lib/log.js';

/** A hop count as the function Fastify makes of it (its types take no number): trust the nearest n hops. */
function trustProxyOption(value: Config['trustProxy'] | undefined): FastifyServerOptions['trustProxy'] {
  if (typeof value === 'number') return (_address: string, hop: number) => hop < value;
  return value ?? false;
}

/** Creates a ready Fastify instance around the app plugin (used by the server, tests and bench). */
export async function buildServer(
  opts: AppOptions & Partial<Pick<Config, 'trustProxy'>>,
  server: FastifyServerOptions = {},
) {
  // behind the city's reverse proxy request.ip (and so the login rate limit) is the proxy's address
  // unless the proxy is trusted to tell the client's address in X-Forwarded-For
  // errors raised before routing (bad URL, over-long parameter or headers) get the app's Polish pages too
  const fastify = Fastify({
    trustProxy: trustProxyOption(opts.trustProxy),
    frameworkErrors,
    clientErrorHandler,
    ...server,
    // subscription links carry their token in the query: the log must not hand out control of a subscription
    logger: redactingLogger(server.logger),
  });
  await fastify.register(app, opts);
  await fastify.ready();
  return fastify;
}
