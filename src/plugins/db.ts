import fp from 'fastify-plugin';
import { openDatabase, type Database } from '../db/client.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
  }
}

/** Opens and migrates the SQLite file; closes it with the app. */
export default fp<{ path: string }>(
  async (app, opts) => {
    const database = openDatabase(opts.path);
    app.decorate('database', database);
    app.addHook('onClose', async () => database.close());
  },
  { name: 'db' },
);
