import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteSessionStore } from '../../src/auth/session-store.js';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';

// the CommonJS crypto module @fastify/cookie's signer calls createHmac on
const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

let app: App;
beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@torun.test', 'admin');
});
afterAll(async () => {
  await app.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const sessionRows = () => (app.database.sqlite.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
const publicUrls = () => ['/', '/?table=2&q=lokal', `/proposals/${idOfLp(app, 7)}`, '/units', '/static/style.css'];

describe('anonymous visitors cost no session work', () => {
  it('no session id, no HMAC, no store access, no cookie, no row', async () => {
    const hmac = vi.spyOn(crypto, 'createHmac');
    const storeGet = vi.spyOn(SqliteSessionStore.prototype, 'get');
    const storeSet = vi.spyOn(SqliteSessionStore.prototype, 'set');
    const rows = sessionRows();
    for (const url of publicUrls()) {
      // a first visit and one that brings the cookies of an earlier form (the CSRF secret only)
      for (const cookie of [undefined, '_csrf=abc.def']) {
        const res = await app.inject({ url, headers: cookie ? { cookie } : {} });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['set-cookie'], url).toBeUndefined();
      }
    }
    // an error page and a form page are anonymous too
    expect((await app.inject('/nie-ma-takiej-strony')).headers['set-cookie']).toBeUndefined();
    expect(hmac).not.toHaveBeenCalled();
    expect(storeGet).not.toHaveBeenCalled();
    expect(storeSet).not.toHaveBeenCalled();
    expect(sessionRows()).toBe(rows);
  });

  it('still gives a session to someone who logs in, and reads it on their next requests', async () => {
    const storeGet = vi.spyOn(SqliteSessionStore.prototype, 'get');
    const rows = sessionRows();
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    expect(agent.cookies.get('sid')).toBeTruthy();
    expect(sessionRows()).toBe(rows + 1);
    expect(storeGet).toHaveBeenCalled();
  });
});

describe('staff on public pages', () => {
  it('keep their signed-in header on every public page, privately, and never leak it to the cache', async () => {
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    for (const url of ['/', `/proposals/${idOfLp(app, 7)}`, '/units']) {
      // the anonymous copy is cached first: the signed-in request must not get it
      const anonymous = await app.inject({ url, headers: { 'accept-encoding': 'br' } });
      expect(anonymous.statusCode, url).toBe(200);
      const staff = await agent.get(url);
      expect(staff.statusCode, url).toBe(200);
      expect(staff.body, url).toContain('Wyloguj (admin@torun.test)');
      expect(staff.body, url).toContain('href="/staff"');
      expect(staff.headers['cache-control'], url).toMatch(/no-store/);
      expect(staff.headers.etag, url).toBeUndefined();
      const after = await app.inject(url);
      expect(after.body, url).not.toContain('Wyloguj');
      expect(after.body, url).toContain('Logowanie dla pracowników');
    }
  });
});
