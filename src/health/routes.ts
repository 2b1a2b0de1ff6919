import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { FastifyPluginAsync } from 'fastify';
import { migrationsFolder } from '../db/client.js';

export type Health = {
  status: 'ok' | 'error';
  database: 'ok' | 'error';
  /** drizzle's applied migrations against the journal shipped with the code */
  migrations: 'current' | 'pending' | 'unknown';
  /** mail waiting to go out (queued or retrying) and given up on; zeros until the outbox table exists */
  outbox: { pending: number; dead: number } | null;
};

/** How many migrations the code ships (migrations/meta/_journal.json). */
export function shippedMigrationCount(folder = migrationsFolder): number {
  const journal = JSON.parse(fs.readFileSync(path.join(folder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

const tableExists = (sqlite: Database.Database, name: string) =>
  Boolean(sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name));

/** Reads only: reachable database, migrations applied, outbox backlog. */
export function checkHealth(sqlite: Database.Database, expectedMigrations: number): Health {
  try {
    sqlite.prepare('SELECT 1').get();
  } catch {
    return { status: 'error', database: 'error', migrations: 'unknown', outbox: null };
  }
  let migrations: Health['migrations'] = 'unknown';
  let outbox: Health['outbox'] = null;
  try {
    const applied = tableExists(sqlite, '__drizzle_migrations')
      ? (sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n
      : 0;
    migrations = applied >= expectedMigrations ? 'current' : 'pending';
    outbox = { pending: 0, dead: 0 };
    if (tableExists(sqlite, 'outbox')) {
      // the delivery state column is `state` in migration 0004 (`status` in the first design)
      const columns = (sqlite.prepare('PRAGMA table_info(outbox)').all() as { name: string }[]).map((c) => c.name);
      const state = columns.includes('state') ? 'state' : 'status';
      const row = sqlite.prepare(`SELECT coalesce(sum(${state} IN ('queued', 'retrying')), 0) AS pending,
        coalesce(sum(${state} = 'dead'), 0) AS dead FROM outbox`).get() as { pending: number; dead: number };
      outbox = { pending: row.pending, dead: row.dead };
    }
  } catch {
    return { status: 'error', database: 'error', migrations, outbox };
  }
  return { status: migrations === 'current' ? 'ok' : 'error', database: 'ok', migrations, outbox };
}

/** GET /healthz: 200 when the database answers and its migrations are current, 503 otherwise. */
const routes: FastifyPluginAsync = async (app) => {
  const expected = shippedMigrationCount();
  app.get('/healthz', async (request, reply) => {
    const health = checkHealth(app.database.sqlite, expected);
    if (health.status !== 'ok') request.log.warn({ health }, 'health check failed');
    return reply
      .code(health.status === 'ok' ? 200 : 503)
      .header('Cache-Control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(health));
  });
};

export default routes;
