import Fastify, { type FastifyServerOptions } from 'fastify';
import app, { type AppOptions } from './app.js';

/** Creates a ready Fastify instance around the app plugin (used by the server, tests and bench). */
export async function buildServer(opts: AppOptions, server: FastifyServerOptions = {}) {
  const fastify = Fastify({ trustProxy: false, ...server });
  await fastify.register(app, opts);
  await fastify.ready();
  return fastify;
}
