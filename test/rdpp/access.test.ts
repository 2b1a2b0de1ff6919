import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, type App } from '../helpers.js';

/**
 * Route × role for "Postęp konsultacji", its lists and exports and the RDPP's opinion: the public is sent to
 * log in, unit staff are refused, the RDPP (reviewer) reads but does not record the opinion, admins do both.
 */
let app: App;
const ROLES = ['anonymous', 'unit', 'reviewer', 'admin'] as const;
type Role = (typeof ROLES)[number];
const agents = {} as Record<Role, Agent>;
const opinions = () => (app.database.sqlite.prepare('SELECT count(*) n FROM rdpp_opinions').get() as { n: number }).n;
let consultationId: number;

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'rdpp@t.test', 'reviewer');
  await createUser(app, 'edu@t.test', 'unit', ['Wydział Edukacji']);
  for (const role of ROLES) agents[role] = new Agent(app);
  await agents.admin.login('admin@t.test');
  await agents.reviewer.login('rdpp@t.test');
  await agents.unit.login('edu@t.test');
  await agents.anonymous.get('/login');
  consultationId = (app.database.sqlite.prepare('SELECT id FROM consultations').get() as { id: number }).id;
});
afterAll(async () => {
  await app.close();
});

const readers = { anonymous: 303, unit: 403, reviewer: 200, admin: 200 };
const GETS: { url: string; expect: Record<Role, number> }[] = [
  { url: '/staff/progress', expect: readers },
  { url: '/staff/progress?sort=overdue&dir=asc', expect: readers },
  { url: '/staff/proposals?outcome=uwzgledniona', expect: readers },
  { url: '/staff/queue', expect: readers },
  { url: '/staff/progress/outcomes.csv', expect: readers },
  { url: '/staff/progress/units.csv', expect: readers },
  { url: '/staff/progress/tables.csv', expect: readers },
  { url: '/staff/progress.xlsx', expect: readers },
  { url: '/staff/rdpp-opinions/new', expect: { anonymous: 303, unit: 403, reviewer: 403, admin: 200 } },
];

describe.each(GETS)('GET $url', ({ url, expect: expected }) => {
  it.each(ROLES)('as %s', async (role) => {
    const res = await agents[role].get(url);
    expect(res.statusCode).toBe(expected[role]);
    if (res.statusCode === 303) expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    if (res.statusCode === 403) expect(res.body).toContain('Brak dostępu');
    if (res.statusCode === 200) expect(res.headers['cache-control']).toContain('no-store');
  });
});

describe('the staff home', () => {
  it('is "Postęp konsultacji" for the RDPP (read-only: no form but logging out) and "Nasze propozycje" for units', async () => {
    const rdpp = await agents.reviewer.get('/staff');
    expect(rdpp.body).toContain('<h1>Postęp konsultacji</h1>');
    expect(rdpp.body).toContain('Widok tylko do odczytu');
    const actions = [...rdpp.body.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]);
    expect(actions).toEqual(['/logout']);
    const unit = await agents.unit.get('/staff');
    expect(unit.body).toContain('<h1>Nasze propozycje</h1>');
    expect(unit.body).not.toContain('Postęp konsultacji</h1>');
  });
});

describe('POST /rdpp-opinions', () => {
  const form = () => ({ consultationId, date: '2026-11-20', text: 'Opinia.' });

  it('is refused for every role without a CSRF token, writing nothing', async () => {
    for (const role of ROLES) {
      const res = await agents[role].post('/rdpp-opinions', { ...form(), _csrf: null });
      expect(res.statusCode, role).toBe(403);
    }
    const forged = await agents.admin.post('/rdpp-opinions', { ...form(), _csrf: agents.reviewer.csrf });
    expect(forged.statusCode).toBe(403);
    expect(opinions()).toBe(0);
  });

  it.each([
    ['anonymous', 401],
    ['unit', 403],
    ['reviewer', 403],
  ] as const)('as %s: %i, nothing written', async (role, status) => {
    const res = await agents[role].post('/rdpp-opinions', form());
    expect(res.statusCode).toBe(status);
    expect(opinions()).toBe(0);
  });

  it('as admin: 303, one opinion written', async () => {
    const res = await agents.admin.post('/rdpp-opinions', form());
    expect(res.statusCode).toBe(303);
    expect(opinions()).toBe(1);
  });
});
