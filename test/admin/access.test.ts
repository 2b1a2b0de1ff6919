import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import appPlugin from '../../src/app.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { upsertUser } from '../../src/admin/accounts.js';
import { Agent, createUser, tempDatabasePath, TEST_SCRYPT_COST, type App } from '../helpers.js';

/**
 * The app plus one page that only hands out a CSRF token: unit staff and reviewers can open none
 * of the admin pages, so without it their POSTs would be refused by the CSRF check before the
 * role check this file is about.
 */
async function buildWithTokenPage(): Promise<App> {
  const app = Fastify();
  await app.register(appPlugin, {
    databasePath: tempDatabasePath(),
    baseUrl: 'http://127.0.0.1:3000',
    viewCache: true,
    passwordHashCost: TEST_SCRYPT_COST,
    loginRateLimit: 1000,
  });
  app.get('/test/csrf-token', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(`<input type="hidden" name="_csrf" value="${await reply.csrfToken()}">`),
  );
  await app.ready();
  importTorun2026(app.database.db);
  return app;
}

let app: App;
let unitUserId: number;
let unitId: number;
/** an account whose owner was invited and has not chosen a password yet */
let invitedId: number;
const count = (table: string) =>
  (app.database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const snapshot = () => ({
  users: app.database.sqlite
    .prepare('SELECT id, email, name, role, active, password_hash FROM users ORDER BY id')
    .all(),
  userUnits: count('user_units'),
  units: app.database.sqlite.prepare('SELECT * FROM units ORDER BY id').all(),
  members: count('unit_group_members'),
  outbox: count('outbox'),
  audit: count('audit_log'),
});

beforeAll(async () => {
  app = await buildWithTokenPage();
  await createUser(app, 'admin@torun.test', 'admin');
  unitUserId = await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Edukacji']);
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  invitedId = (
    await upsertUser(
      app.database.db,
      { email: 'zaproszona@torun.test', role: 'reviewer', invite: true },
      TEST_SCRYPT_COST,
    )
  ).id;
  unitId = (app.database.sqlite.prepare("SELECT id FROM units WHERE name = 'Wydział Edukacji'").get() as { id: number })
    .id;
});
afterAll(async () => {
  await app.close();
});

const pages = () => [
  '/staff/users',
  '/staff/users/new',
  `/staff/users/${unitUserId}`,
  '/staff/units',
  '/staff/units/new',
  `/staff/units/${unitId}`,
  '/staff/audit',
  '/staff/audit?person=system&action=note.added&from=2026-01-01&to=2026-12-31&page=2',
];

let serial = 0;
/** Each POST route with a form that an admin could submit successfully. */
const writes = () => {
  serial += 1;
  return [
    {
      url: '/staff/users',
      form: { email: `nowy${serial}@torun.test`, name: 'Nowy', role: 'reviewer', password: 'Bardzo-dlugie-haslo' },
    },
    {
      url: `/staff/users/${unitUserId}`,
      form: { name: `Zmieniona ${serial}`, role: 'unit', units: String(unitId), active: '1' },
    },
    { url: '/staff/units', form: { name: `Nowa jednostka ${serial}`, kind: 'biuro', email: '' } },
    { url: `/staff/units/${unitId}`, form: { name: `Wydział Edukacji ${serial}`, kind: 'wydział', email: '' } },
    { url: `/staff/users/${invitedId}/invitation`, form: {} },
  ];
};

describe('admin routes × roles', () => {
  it('sends the public to the login page on GET and refuses POST with 401 (403 without a token)', async () => {
    const agent = new Agent(app);
    for (const url of pages()) {
      const res = await agent.get(url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
    const before = snapshot();
    for (const { url, form } of writes()) {
      await agent.get('/test/csrf-token');
      const res = await agent.post(url, form);
      expect(res.statusCode, url).toBe(401);
      expect(res.body).toContain('Zaloguj się');
      const forged = await agent.post(url, { ...form, _csrf: null });
      expect(forged.statusCode, url).toBe(403);
    }
    expect(snapshot()).toEqual(before);
  });

  for (const email of ['jednostka@torun.test', 'rdpp@torun.test']) {
    it(`refuses ${email} with 403 on every GET and POST, writing nothing`, async () => {
      const agent = new Agent(app);
      await agent.login(email);
      for (const url of pages()) {
        const res = await agent.get(url);
        expect(res.statusCode, url).toBe(403);
        expect(res.body).toContain('tylko dla Biura Dialogu');
      }
      const before = snapshot();
      for (const { url, form } of writes()) {
        await agent.get('/test/csrf-token');
        const res = await agent.post(url, form);
        expect(res.statusCode, url).toBe(403);
        // the role check refused it, not the CSRF check
        expect(res.body).toContain('tylko dla Biura Dialogu');
      }
      expect(snapshot()).toEqual(before);
    });
  }

  it('lets an admin open every page and submit every form', async () => {
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    for (const url of pages()) {
      const res = await agent.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['cache-control']).toBe('no-store');
    }
    for (const { url, form } of writes()) {
      await agent.get('/staff/users/new');
      const res = await agent.post(url, form);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toMatch(/^\/staff\/(users|units)\?saved=(created|updated|reinvited)$/);
    }
  });

  it('refuses an admin POST without a CSRF token, or with another session’s token, and writes nothing', async () => {
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    const other = new Agent(app);
    await other.get('/test/csrf-token');
    const before = snapshot();
    for (const { url, form } of writes()) {
      await admin.get('/staff/users/new');
      const missing = await admin.post(url, { ...form, _csrf: null });
      expect(missing.statusCode, url).toBe(403);
      expect(missing.body).toContain('Formularz wygasł');
      const foreign = await admin.post(url, { ...form, _csrf: other.csrf });
      expect(foreign.statusCode, url).toBe(403);
    }
    expect(snapshot()).toEqual(before);
  });

  it('answers 404 for an account or unit that does not exist', async () => {
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    for (const url of ['/staff/users/999999', '/staff/users/abc', '/staff/units/999999', '/staff/units/0']) {
      expect((await agent.get(url)).statusCode, url).toBe(404);
    }
    await agent.get('/staff/users/new');
    expect((await agent.post('/staff/users/999999', { name: '', role: 'admin', active: '1' })).statusCode).toBe(404);
    await agent.get('/staff/users/new');
    expect((await agent.post('/staff/users/999999/invitation', {})).statusCode).toBe(404);
  });
});
