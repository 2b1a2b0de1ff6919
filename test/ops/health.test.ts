import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedMigrations } from '../../src/db/migrations.js';
import { checkHealth } from '../../src/health/routes.js';
import { build, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build({ seed: false });
});
afterAll(async () => {
  await app.close();
});

const outboxRow = (key: string, state: string) =>
  app.database.sqlite
    .prepare(`INSERT INTO outbox
  (dedup_key, kind, recipient, payload, state, available_at, message_id, created_at)
  VALUES (?, 'test', 'a@t.test', '{}', ?, '2026-11-26T00:00:00Z', ?, '2026-11-26T00:00:00Z')`)
    .run(key, state, `<${key}@t>`);

/** The running version /healthz names: package.json's, a semantic version (CHANGELOG.md). */
const packageVersion = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe('GET /healthz', () => {
  it('names a semantic version', () => {
    expect(packageVersion).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it('is 200 JSON, never cached, when the database answers and its migrations are current', async () => {
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(res.body)).toEqual({
      status: 'ok',
      version: packageVersion,
      database: 'ok',
      migrations: 'current',
      outbox: { pending: 0, dead: 0 },
    });
    const again = await app.inject({ url: '/healthz', headers: { 'if-none-match': String(res.headers.etag ?? '*') } });
    expect(again.statusCode).toBe(200);
  });

  it('reports the outbox backlog and the mail given up on', async () => {
    outboxRow('a', 'queued');
    outboxRow('b', 'queued');
    outboxRow('c', 'sent');
    outboxRow('d', 'dead');
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).outbox).toEqual({ pending: 2, dead: 1 });
  });

  it('is 503 when a migration is pending', async () => {
    const sqlite = app.database.sqlite;
    const last = sqlite
      .prepare('SELECT rowid, * FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1')
      .get() as Record<string, unknown>;
    sqlite.prepare('DELETE FROM __drizzle_migrations WHERE rowid = ?').run(last.rowid);
    try {
      const res = await app.inject('/healthz');
      expect(res.statusCode).toBe(503);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'error', database: 'ok', migrations: 'pending' });
      expect(res.headers['cache-control']).toBe('no-store');
    } finally {
      sqlite
        .prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)')
        .run(last.hash, last.created_at);
    }
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('is 503 with database "read-only" while writes fail, and ok again once they work', async () => {
    // the connection refuses every write (SQLITE_READONLY), as a read-only file would
    app.database.sqlite.pragma('query_only = ON');
    try {
      const res = await app.inject('/healthz');
      expect(res.statusCode).toBe(503);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'error', database: 'read-only', migrations: 'current' });
    } finally {
      app.database.sqlite.pragma('query_only = OFF');
    }
    const again = await app.inject('/healthz');
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('is 503 when the database does not answer', async () => {
    const other = await build({ seed: false });
    other.database.sqlite.close();
    const res = await other.inject('/healthz');
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toEqual({
      status: 'error',
      version: packageVersion,
      database: 'error',
      migrations: 'unknown',
      outbox: null,
    });
    await other.close();
  });

  it('compares with the journal shipped with the code', () => {
    const shipped = shippedMigrations();
    expect(shipped.count).toBeGreaterThanOrEqual(5);
    expect(checkHealth(app.database.sqlite, shipped).migrations).toBe('current');
    expect(checkHealth(app.database.sqlite, { ...shipped, count: shipped.count + 1 }).migrations).toBe('pending');
    expect(checkHealth(app.database.sqlite, { ...shipped, lastWhen: shipped.lastWhen + 1 }).migrations).toBe('pending');
  });
});
