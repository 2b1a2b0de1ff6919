import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dbPlugin from '../../src/plugins/db.js';
import pageCache, { cacheKey } from '../../src/plugins/page-cache.js';
import { tempDatabasePath } from '../helpers.js';

// the page cache alone on a real SQLite file, with a clock the test moves
const file = tempDatabasePath();
let app: FastifyInstance;
let other: Database.Database;
let clock = 0;
let renders = 0;

beforeAll(async () => {
  app = Fastify();
  await app.register(dbPlugin, { path: file });
  await app.register(
    fp(
      async (f) => {
        f.decorateRequest('user', null);
      },
      { name: 'session' },
    ),
  );
  await app.register(pageCache, { versionCheckMs: 1000, now: () => clock });
  app.get('/page', async (request, reply) =>
    app.cachedResponse(request, reply, {
      key: cacheKey('page'),
      contentType: 'text/plain; charset=utf-8',
      render: () => `render ${++renders}`,
    }),
  );
  await app.ready();
  // another process's connection (the import CLI)
  other = new Database(file);
});
afterAll(async () => {
  other.close();
  await app.close();
});

const bump = (sqlite: Database.Database) =>
  sqlite
    .prepare(
      "INSERT INTO meta (key, value) VALUES ('data_version', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1",
    )
    .run();

describe('the data version, read once per version', () => {
  it('sees a write of this process at once, and not one rolled back', async () => {
    const first = (await app.inject('/page')).body;
    expect((await app.inject('/page')).body).toBe(first);
    bump(app.database.sqlite);
    const second = (await app.inject('/page')).body;
    expect(second).not.toBe(first);
    // a write that is rolled back changes nothing
    expect(() =>
      app.database.sqlite
        .transaction(() => {
          bump(app.database.sqlite);
          throw new Error('rollback');
        })
        .immediate(),
    ).toThrow('rollback');
    expect((await app.inject('/page')).body).toBe(second);
  });

  it('sees a write of another process once versionCheckMs has passed, not per request before that', async () => {
    const before = (await app.inject('/page')).body;
    bump(other);
    clock += 999;
    expect((await app.inject('/page')).body).toBe(before);
    clock += 1;
    const after = (await app.inject('/page')).body;
    expect(after).not.toBe(before);
    expect((await app.inject('/page')).body).toBe(after);
  });
});
