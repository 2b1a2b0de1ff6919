import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../static');

export default fp(
  async (app) => {
    await app.register(fastifyStatic, { root, prefix: '/static/', maxAge: '1h', index: false });
  },
  { name: 'static' },
);
