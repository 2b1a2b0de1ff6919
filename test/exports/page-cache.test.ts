import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dbPlugin from '../../src/plugins/db.js';
import pageCache, { cacheKey } from '../../src/plugins/page-cache.js';
import { tempDatabasePath } from '../helpers.js';

// the page cache alone, with small limits, on a real migrated SQLite file
let app: FastifyInstance;
let renders = 0;

beforeAll(async () => {
  app = Fastify();
  await app.register(dbPlugin, { path: tempDatabasePath() });
  // the page cache only needs to know whether someone is signed in
  await app.register(
    fp(
      async (f) => {
        f.decorateRequest('user', null);
      },
      { name: 'session' },
    ),
  );
  await app.register(pageCache, { maxEntries: 3, maxBytes: 1000, maxEntryBytes: 400 });
  app.get('/body/:size', async (request, reply) => {
    const size = Number((request.params as { size: string }).size);
    return app.cachedResponse(request, reply, {
      key: cacheKey('body', { size }),
      contentType: 'text/plain; charset=utf-8',
      render: async () => {
        renders++;
        await new Promise((resolve) => setImmediate(resolve));
        return 'x'.repeat(size);
      },
    });
  });
  app.get('/stream', async (request, reply) =>
    app.cachedResponse(request, reply, {
      key: cacheKey('stream'),
      contentType: 'text/plain; charset=utf-8',
      render: () => Readable.from(['a', 'b', 'c']),
    }),
  );
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

const bump = () =>
  app.database.sqlite
    .prepare(
      "INSERT INTO meta (key, value) VALUES ('data_version', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1",
    )
    .run();

describe('page cache limits', () => {
  it('keeps at most maxEntries responses and at most maxBytes, least recently used out first', async () => {
    for (const size of [100, 101, 102, 103, 104]) expect((await app.inject(`/body/${size}`)).body).toHaveLength(size);
    expect(app.pageCacheStats()).toEqual({ entries: 3, bytes: 102 + 103 + 104 });
    for (const size of [350, 351, 352]) await app.inject(`/body/${size}`);
    const { entries, bytes } = app.pageCacheStats();
    expect(bytes).toBeLessThanOrEqual(1000);
    expect(entries).toBe(2);
  });

  it('sends a body bigger than maxEntryBytes but does not keep it', async () => {
    bump();
    await app.inject('/body/10');
    const res = await app.inject('/body/500');
    expect(res.statusCode).toBe(200);
    expect(res.body).toHaveLength(500);
    expect(app.pageCacheStats()).toEqual({ entries: 1, bytes: 10 });
  });

  it('never caches a stream', async () => {
    bump();
    const res = await app.inject('/stream');
    expect(res.body).toBe('abc');
    expect((await app.inject('/stream')).body).toBe('abc');
    expect(app.pageCacheStats()).toEqual({ entries: 0, bytes: 0 });
  });

  it('drops every entry when the data version changes', async () => {
    await app.inject('/body/20');
    expect(app.pageCacheStats().entries).toBeGreaterThan(0);
    bump();
    await app.inject('/body/30');
    expect(app.pageCacheStats()).toEqual({ entries: 1, bytes: 30 });
  });

  it('renders once for simultaneous requests, and not at all for a matching If-None-Match', async () => {
    bump();
    renders = 0;
    const results = await Promise.all(Array.from({ length: 10 }, () => app.inject('/body/42')));
    expect(results.every((r) => r.statusCode === 200 && r.body.length === 42)).toBe(true);
    expect(renders).toBe(1);
    const etag = results[0]!.headers.etag as string;
    bump();
    const fresh = await app.inject('/body/42');
    expect(fresh.headers.etag).not.toBe(etag);
    renders = 0;
    const etag7 = (await app.inject('/body/7')).headers.etag as string;
    const notModified = await app.inject({ url: '/body/7', headers: { 'if-none-match': etag7 } });
    expect(notModified.statusCode).toBe(304);
    expect(renders).toBe(1);
  });
});

describe('cacheKey', () => {
  it('ignores the order of parameters and the ones without a value', () => {
    expect(cacheKey('list', { table: 1, q: 'a b', status: undefined })).toBe(cacheKey('list', { q: 'a b', table: 1 }));
    expect(cacheKey('list', { q: 'a&b=c' })).not.toBe(cacheKey('list', { q: 'a', b: 'c' }));
  });
});
