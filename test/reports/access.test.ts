import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, type App } from '../helpers.js';

/**
 * Route × role for the report: the public report in every format for everyone, the header form
 * (GET and POST /staff/report/:consultationSlug) for admins only, CSRF on the POST.
 */
let app: App;
const ROLES = ['anonymous', 'unit', 'reviewer', 'admin'] as const;
type Role = (typeof ROLES)[number];
const agents = {} as Record<Role, Agent>;
const FORM = {
  legalBasis: 'Uchwała',
  startDate: '',
  endDate: '',
  formOfConsultation: '',
  announcedIn: '',
  remarks: '',
};
const stored = () => JSON.stringify(app.database.sqlite.prepare('SELECT * FROM consultation_reports').all());

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'rdpp@t.test', 'reviewer');
  await createUser(app, 'edu@t.test', 'unit', ['Wydział Edukacji']);
  for (const role of ROLES) agents[role] = new Agent(app);
  await agents.admin.login('admin@t.test');
  await agents.reviewer.login('rdpp@t.test');
  await agents.unit.login('edu@t.test');
  await agents.anonymous.get('/login'); // a CSRF token, no account
});
afterAll(async () => {
  await app.close();
});

describe.each(ROLES)('as %s', (role) => {
  it('reads the public report in every format', async () => {
    for (const path of ['/raport', '/raport.xlsx', '/raport.docx', '/raport?consultation=torun-2026']) {
      const res = await agents[role].get(path);
      expect(res.statusCode, path).toBe(200);
    }
  });

  const formStatus: Record<Role, number> = { anonymous: 303, unit: 403, reviewer: 403, admin: 200 };
  const postStatus: Record<Role, number> = { anonymous: 401, unit: 403, reviewer: 403, admin: 303 };

  it(`GET /staff/report/:slug answers ${formStatus[role]}`, async () => {
    const res = await agents[role].get('/staff/report/torun-2026');
    expect(res.statusCode).toBe(formStatus[role]);
    if (role === 'anonymous') expect(res.headers.location).toBe('/login?next=%2Fstaff%2Freport%2Ftorun-2026');
    if (role === 'admin') {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('<h1>Informacje do zestawienia</h1>');
    }
    if (formStatus[role] === 403) expect(res.body).toContain('tylko dla Biura Dialogu');
  });

  const writes = role === 'admin' ? '' : ' and writes nothing';
  it(`POST /staff/report/:slug answers ${postStatus[role]}${writes}`, async () => {
    const before = stored();
    const res = await agents[role].post('/staff/report/torun-2026', FORM);
    expect(res.statusCode).toBe(postStatus[role]);
    if (role === 'admin') expect(stored()).toContain('Uchwała');
    else expect(stored()).toBe(before);
  });
});

describe('the header form', () => {
  it('refuses a POST without a CSRF token or with another session’s token, writing nothing', async () => {
    const before = stored();
    await agents.admin.get('/staff/report/torun-2026');
    const missing = await agents.admin.post('/staff/report/torun-2026', { ...FORM, legalBasis: 'Inna', _csrf: null });
    expect(missing.statusCode).toBe(403);
    expect(missing.body).toContain('Formularz wygasł');
    const foreign = await agents.admin.post('/staff/report/torun-2026', {
      ...FORM,
      legalBasis: 'Inna',
      _csrf: agents.anonymous.csrf,
    });
    expect(foreign.statusCode).toBe(403);
    expect(stored()).toBe(before);
  });

  it('answers 404 for a consultation that does not exist', async () => {
    expect((await agents.admin.get('/staff/report/nie-ma-takich')).statusCode).toBe(404);
    expect((await agents.admin.get('/staff/report/Z%C5%81E')).statusCode).toBe(404);
    await agents.admin.get('/staff/report/torun-2026');
    expect((await agents.admin.post('/staff/report/nie-ma-takich', FORM)).statusCode).toBe(404);
  });

  it('answers 405 with Allow for a method the report addresses do not take', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/raport' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});
