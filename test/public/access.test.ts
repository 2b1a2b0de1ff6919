import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App, workflowSnapshot } from '../helpers.js';

/** The route × role matrix for the public pages this feature adds: read-only and open to everyone. */
let app: App;
const ROLES = ['anonymous', 'unit', 'reviewer', 'admin'] as const;
const agents: Record<string, Agent> = {};

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@p.test', 'admin');
  await createUser(app, 'rdpp@p.test', 'reviewer');
  await createUser(app, 'kultura@p.test', 'unit', ['Wydział Kultury']);
  for (const role of ROLES) agents[role] = new Agent(app);
  await agents.admin!.login('admin@p.test');
  await agents.reviewer!.login('rdpp@p.test');
  await agents.unit!.login('kultura@p.test');
  await agents.anonymous!.get('/');
});
afterAll(async () => {
  await app.close();
});

const routes = () => [
  '/consultation',
  '/statuses',
  '/?outcome=uwzgledniona',
  `/proposals/${idOfLp(app, 13)}?q=reklama&table=2`,
  '/units/wydzial-kultury',
];

describe('public progress pages × roles', () => {
  it.each(ROLES)('%s reads every page', async (role) => {
    for (const url of routes()) {
      const res = await agents[role]!.get(url);
      expect(res.statusCode, `${role} GET ${url}`).toBe(200);
      expect(res.body).toContain('<h1');
      // a signed-in person's page (their header, their CSRF token) is never shared with the public
      if (role !== 'anonymous') expect(res.body).toContain('Wyloguj');
      else expect(res.body).not.toContain('Wyloguj');
    }
  });

  it('writes nothing: other methods are refused for every role', async () => {
    const before = workflowSnapshot(app);
    for (const role of ROLES) {
      for (const url of ['/consultation', '/statuses']) {
        const res = await agents[role]!.post(url, {});
        expect(res.statusCode, `${role} POST ${url}`).toBe(405);
        expect(res.headers.allow).toContain('GET');
      }
    }
    expect(workflowSnapshot(app)).toBe(before);
  });

  it('the breadcrumb parameters are validated like the list filters', async () => {
    const id = idOfLp(app, 13);
    const bad = await app.inject(`/proposals/${id}?status=zamknieta`);
    expect(bad.statusCode).toBe(400);
    const back = await app.inject(`/proposals/${id}?q=reklama&table=2&page=1`);
    expect(back.body).toContain(
      '<a href="/?q=reklama&amp;table=2&amp;consultation=torun-2026&amp;page=1">Wróć do wyników</a>',
    );
    const plain = await app.inject(`/proposals/${id}`);
    expect(plain.body).toContain('<a href="/?consultation=torun-2026">Wszystkie propozycje</a>');
  });
});

/** The pages of "Nie pamiętasz hasła?" and of the links in invitation and reset mails: open to everyone alike. */
describe('account link pages × roles', () => {
  // shaped like a token, issued never
  const bogus = 'x'.repeat(43);

  it.each(ROLES)('%s gets the same pages, and the same refusals of a link that was never sent', async (role) => {
    const agent = agents[role]!;
    const form = await agent.get('/password-reset');
    expect(form.statusCode, role).toBe(200);
    expect(form.body).toContain('<h1>Nie pamiętasz hasła?</h1>');
    const sent = await agent.post('/password-reset', { email: `${role}-nikt@p.test` });
    expect(sent.statusCode, role).toBe(200);
    expect(sent.body).toContain('<h1>Sprawdź skrzynkę</h1>');
    for (const url of [`/password/new?token=${bogus}`, '/password/new?token=krotki', '/password/new']) {
      const res = await agent.get(url);
      expect(res.statusCode, `${role} GET ${url}`).toBe(404);
      expect(res.body).toContain('<h1>Nieprawidłowy link</h1>');
    }
    await agent.get('/password-reset');
    for (const url of ['/password/new', '/password/new/renewal']) {
      const res = await agent.post(url, {
        token: bogus,
        newPassword: 'Dowolne-haslo-123',
        confirmPassword: 'Dowolne-haslo-123',
      });
      expect(res.statusCode, `${role} POST ${url}`).toBe(404);
    }
  });

  it.each(ROLES)('%s is refused every POST without a CSRF token, writing nothing', async (role) => {
    const agent = agents[role]!;
    await agent.get('/password-reset');
    const count = () => app.database.sqlite.prepare('SELECT count(*) AS n FROM password_reset_requests').get();
    const before = count();
    for (const url of ['/password-reset', '/password/new', '/password/new/renewal']) {
      const res = await agent.post(url, { _csrf: null, email: 'kultura@p.test', token: bogus });
      expect(res.statusCode, `${role} POST ${url}`).toBe(403);
    }
    expect(count()).toEqual(before);
  });
});
