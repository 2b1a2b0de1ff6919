import type Database from 'better-sqlite3';
import type { FastifyPluginAsync } from 'fastify';
import { type ShippedMigrations, shippedMigrations } from '../db/migrations.js';
import { storageTrouble } from '../lib/errors.js';
import { APP_VERSION } from '../version.js';

export type Health = {
  status: 'ok' | 'error';
  /** `read-only`: it answers, but takes no writes (a full disk, a read-only file); reading goes on */
  database: 'ok' | 'read-only' | 'error';
  /** drizzle's applied migrations against the journal shipped with the code */
  migrations: 'current' | 'pending' | 'unknown';
  /** mail waiting to go out (queued or retrying) and given up on; zeros until the outbox table exists */
  outbox: { pending: number; dead: number } | null;
};

const tableExists = (sqlite: Database.Database, name: string) =>
  Boolean(sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name));

/** The `meta` row the write check rewrites (its value: when it last succeeded, epoch ms). */
export const WRITE_CHECK_KEY = 'health_write_check';

/**
 * Whether a write commits now: one row of `meta` rewritten, which needs room in the write-ahead log as
 * every write does. Without waiting for another writer's lock (that would block the event loop for the
 * busy timeout), and a lock held by another writer means writes work.
 */
function writesWork(sqlite: Database.Database): boolean {
  const busyTimeout = sqlite.pragma('busy_timeout', { simple: true }) as number;
  sqlite.pragma('busy_timeout = 0');
  try {
    sqlite
      .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(WRITE_CHECK_KEY, Date.now());
    return true;
  } catch (err) {
    const trouble = storageTrouble(err);
    if (trouble) return !trouble.readOnly;
    throw err;
  } finally {
    sqlite.pragma(`busy_timeout = ${busyTimeout}`);
  }
}

/** Reachable database that takes writes, migrations applied, outbox backlog. */
export function checkHealth(sqlite: Database.Database, shipped: ShippedMigrations): Health {
  try {
    sqlite.prepare('SELECT 1').get();
  } catch {
    return { status: 'error', database: 'error', migrations: 'unknown', outbox: null };
  }
  let migrations: Health['migrations'] = 'unknown';
  let outbox: Health['outbox'] = null;
  try {
    // drizzle's own rule: a shipped migration newer than the newest applied one is pending; and fewer
    // rows than journal entries means one was never recorded
    const applied = tableExists(sqlite, '__drizzle_migrations')
      ? (sqlite
          .prepare('SELECT count(*) AS n, coalesce(max(created_at), 0) AS last FROM __drizzle_migrations')
          .get() as { n: number; last: number })
      : { n: 0, last: 0 };
    migrations = applied.n >= shipped.count && Number(applied.last) >= shipped.lastWhen ? 'current' : 'pending';
    outbox = { pending: 0, dead: 0 };
    if (tableExists(sqlite, 'outbox')) {
      // the delivery state column is `state` in migration 0004 (`status` in the first design)
      const columns = (sqlite.prepare('PRAGMA table_info(outbox)').all() as { name: string }[]).map((c) => c.name);
      const state = columns.includes('state') ? 'state' : 'status';
      const row = sqlite
        .prepare(`SELECT coalesce(sum(${state} IN ('queued', 'retrying')), 0) AS pending,
        coalesce(sum(${state} = 'dead'), 0) AS dead FROM outbox`)
        .get() as { pending: number; dead: number };
      outbox = { pending: row.pending, dead: row.dead };
    }
  } catch {
    return { status: 'error', database: 'error', migrations, outbox };
  }
  let database: Health['database'] = 'ok';
  try {
    if (tableExists(sqlite, 'meta') && !writesWork(sqlite)) database = 'read-only';
  } catch {
    return { status: 'error', database: 'error', migrations, outbox };
  }
  const status = migrations === 'current' && database === 'ok' ? 'ok' : 'error';
  return { status, database, migrations, outbox };
}

/**
 * GET /healthz: 200 when the database answers, takes writes and its migrations are current, 503 otherwise;
 * with the running code's version beside the checks (for monitoring; it changes nothing in `status`).
 */
const routes: FastifyPluginAsync = async (app) => {
  const shipped = shippedMigrations();
  app.get('/healthz', async (request, reply) => {
    const health = checkHealth(app.database.sqlite, shipped);
    if (health.status !== 'ok') request.log.warn({ health }, 'health check failed');
    const { status, ...checks } = health;
    const body = { status, version: APP_VERSION, ...checks };
    return reply
      .code(health.status === 'ok' ? 200 : 503)
      .header('Cache-Control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(body));
  });
};

export default routes;
