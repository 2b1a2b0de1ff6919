import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, type App } from '../helpers.js';
import { importConsultation } from '../exports/fixtures.js';

/** An admin, not the importer, decides which consultation the home page and the export show. */
let app: App;
const agents: Record<string, Agent> = {};
const lps = (html: string) => [...html.matchAll(/<span class="lp">LP (\d+)<\/span>/g)].map((m) => Number(m[1]));
const current = () => app.database.sqlite.prepare("SELECT value FROM meta WHERE key = 'current_consultation_id'").get();

beforeAll(async () => {
  app = await build();
  importConsultation(app, 'torun-2027', 'Program współpracy na 2027 rok', [{ title: 'propozycja na rok 2027' }]);
  await createUser(app, 'biuro@torun.test', 'admin');
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  await createUser(app, 'edu@torun.test', 'unit', ['Wydział Edukacji']);
  for (const [role, email] of [
    ['admin', 'biuro@torun.test'],
    ['reviewer', 'rdpp@torun.test'],
    ['unit', 'edu@torun.test'],
  ]) {
    agents[role!] = new Agent(app);
    await agents[role!]!.login(email!);
  }
  agents.anonymous = new Agent(app);
  await agents.anonymous.get('/login');
});
afterAll(async () => {
  await app.close();
});

describe('/staff/consultations', () => {
  it('only admins see it or change it; nobody else changes the current consultation', async () => {
    expect((await agents.anonymous!.get('/staff/consultations')).statusCode).toBe(303);
    expect((await agents.unit!.get('/staff/consultations')).statusCode).toBe(403);
    expect((await agents.reviewer!.get('/staff/consultations')).statusCode).toBe(403);
    for (const role of ['anonymous', 'unit', 'reviewer']) {
      const res = await agents[role]!.post('/staff/consultations/torun-2027/current');
      expect([303, 401, 403], role).toContain(res.statusCode);
      if (res.statusCode === 303) expect(res.headers.location).not.toBe('/staff/consultations?ok=current');
    }
    // an admin without the CSRF token is refused too
    expect((await agents.admin!.post('/staff/consultations/torun-2027/current', { _csrf: null })).statusCode).toBe(403);
    expect(current()).toBeUndefined();
    expect(lps((await app.inject('/')).body)).toHaveLength(71);
  });

  it('an admin makes the 2027 consultation current: the home page follows, the change is in the audit log', async () => {
    const page = await agents.admin!.get('/staff/consultations');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('tak – bieżące');
    expect(page.body).toContain('action="/staff/consultations/torun-2027/current"');
    const res = await agents.admin!.post('/staff/consultations/torun-2027/current');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/consultations?ok=current');
    expect(lps((await app.inject('/')).body)).toEqual([1]);
    expect(lps((await app.inject('/?consultation=torun-2026')).body)).toHaveLength(71);
    const audit = await agents.admin!.get('/staff/audit');
    expect(audit.body).toContain('ustawienie bieżących konsultacji');
    expect(audit.body).toContain('Program współpracy na 2027 rok');
    expect((await agents.admin!.post('/staff/consultations/nie-ma-takiej/current')).statusCode).toBe(404);
  });
});
