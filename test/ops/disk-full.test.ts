import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';

/**
 * A full disk simulated with PRAGMA max_page_count: the file may not grow by a single page. Reads
 * go on; a write that needs a new page fails with SQLITE_FULL and is answered 503 in Polish. (The
 * write-ahead log can still grow here, so small writes pass; on a really full disk no write does:
 * test/ops/disk-full-server.test.ts.)
 */
let app: App;
let admin: Agent;
let pid: number;

function fillTheDisk() {
  const sqlite = app.database.sqlite;
  sqlite.exec('CREATE TABLE IF NOT EXISTS test_filler (b BLOB)');
  sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true })}`);
  // use up the free pages too, so that nothing that needs a page can be written
  const insert = sqlite.prepare('INSERT INTO test_filler VALUES (randomblob(?))');
  for (const size of [3000, 500, 50]) {
    try {
      for (;;) insert.run(size);
    } catch (err) {
      expect((err as { code: string }).code).toBe('SQLITE_FULL');
    }
  }
}

beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 11);
  await createUser(app, 'admin@t.test', 'admin');
  admin = new Agent(app);
  await admin.login('admin@t.test');
  await admin.get(`/staff/proposals/${pid}`);
  fillTheDisk();
});
afterAll(async () => {
  await app.close();
});

describe('a full disk', () => {
  it('refuses a staff write with 503, Retry-After and a Polish page, writing nothing', async () => {
    const events = () => app.database.sqlite.prepare('SELECT count(*) AS n FROM events').get();
    const before = events();
    // a long note needs overflow pages: it cannot fit in the free space of existing pages
    const res = await admin.post(`/proposals/${pid}/notes`, { text: 'ż'.repeat(5000) });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(503);
    expect(res.headers['retry-after']).toBe('300');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('Brak miejsca na dysku serwera');
    expect(res.body).not.toMatch(/SQLITE|database or disk is full/i);
    expect(events()).toEqual(before);
  });

  it('keeps the public pages, the export and the staff pages readable', async () => {
    expect((await app.inject('/')).statusCode).toBe(200);
    expect((await app.inject(`/proposals/${pid}`)).statusCode).toBe(200);
    expect((await app.inject('/?q=organizacje')).statusCode).toBe(200);
    expect((await app.inject('/export/proposals.json')).statusCode).toBe(200);
    expect((await admin.get(`/staff/proposals/${pid}`)).statusCode).toBe(200);
  });

  it('lets staff log in (a session row fits in the space its table already has)', async () => {
    const other = new Agent(app);
    await other.login('admin@t.test');
    expect((await other.get('/staff')).statusCode).toBe(200);
  });

  it('answers JSON clients with the same words', async () => {
    const json = { accept: 'application/json' };
    const res = await admin.post(`/proposals/${pid}/notes`, { text: 'ż'.repeat(5000) }, json);
    expect(res.statusCode).toBe(503);
    const body = JSON.parse(res.body);
    expect(body.statusCode).toBe(503);
    expect(body.error).toMatch(/^Brak miejsca na dysku serwera/);
  });
});
