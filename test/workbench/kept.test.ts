import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { PROPOSAL_FORMS } from '../../src/workbench/forms.js';
import { Agent, build, createUser, idOfLp, type App, TEST_PASSWORD, unitIdByName } from '../helpers.js';
import { KULTURA, ZDROWIE, storyTools } from '../public/fixtures.js';

/**
 * No lost work, form by form: every form the staff page of a proposal declares (src/workbench/forms.ts) keeps
 * what was typed when it arrives after the session ended, and gives it back after the next login; every form
 * the page (and its preview and confirmations) shows posts to one of those declarations.
 */
let app: App;
const LOGIN_MESSAGE = 'Sesja wygasła. Zaloguj się ponownie – Twój tekst został zachowany.';
const RESTORED = 'Przywróciliśmy tekst wpisany przed wygaśnięciem sesji.';
const inDays = (n: number) => todayInWarsaw(new Date(Date.now() + n * 86_400_000));

/** A proposal in each state some form needs. */
const on = { fresh: 0, assigned: 0, collected: 0, decided: 0, duplicate: 0 };
let assignmentId = 0;
const version = (id: number) =>
  String(
    (app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(id) as { version: number }).version,
  );
const unit = (name: string) => String(unitIdByName(app, name));

type Sample = {
  state: keyof typeof on;
  /** the URL posted to, for the proposal in that state */
  url: (id: number) => string;
  body: (id: number) => Record<string, string | string[]>;
  formId: () => string;
  /** what was typed, as the restored page shows it */
  shown: string;
};

/** One filled-in form per declaration, by its route; a new form needs one here. */
const SAMPLES: Record<string, Sample> = {
  '/proposals/:id/assignments': {
    state: 'fresh',
    url: (id) => `/proposals/${id}/assignments`,
    body: (id) => ({ version: version(id), unitIds: unit(ZDROWIE), dueDate: inDays(40) }),
    formId: () => 'assign',
    shown: `value="${inDays(40)}"`,
  },
  '/proposals/:id/assignments/:assignmentId': {
    state: 'assigned',
    url: (id) => `/proposals/${id}/assignments/${assignmentId}`,
    body: (id) => ({ version: version(id), dueDate: inDays(41), lead: 'on' }),
    formId: () => `assignment-${assignmentId}`,
    shown: `value="${inDays(41)}"`,
  },
  '/proposals/:id/positions': {
    state: 'assigned',
    url: (id) => `/proposals/${id}/positions`,
    body: () => ({
      unitId: unit(KULTURA),
      positionVersion: '0',
      action: 'draft',
      outcome: 'uwzgledniona',
      justification: 'Stanowisko wpisane z pisma Wydziału Kultury – zażółć gęślą jaźń.',
    }),
    formId: () => `position-${unit(KULTURA)}`,
    shown: '>Stanowisko wpisane z pisma Wydziału Kultury – zażółć gęślą jaźń.</textarea>',
  },
  '/proposals/:id/decision/preview': {
    state: 'collected',
    url: (id) => `/proposals/${id}/decision/preview`,
    body: (id) => ({ version: version(id), outcome: 'uwzgledniona', text: 'Decyzja sprawdzana przed publikacją.' }),
    formId: () => 'decision',
    shown: '>Decyzja sprawdzana przed publikacją.</textarea>',
  },
  '/proposals/:id/decision': {
    state: 'collected',
    url: (id) => `/proposals/${id}/decision`,
    body: (id) => ({ version: version(id), outcome: 'uwzgledniona', text: 'Decyzja zatwierdzona po podglądzie.' }),
    formId: () => 'decision',
    shown: '>Decyzja zatwierdzona po podglądzie.</textarea>',
  },
  '/proposals/:id/decision/edit': {
    state: 'collected',
    url: (id) => `/proposals/${id}/decision/edit`,
    body: (id) => ({ version: version(id), outcome: 'uwzgledniona', text: 'Decyzja do poprawienia po podglądzie.' }),
    formId: () => 'decision',
    shown: '>Decyzja do poprawienia po podglądzie.</textarea>',
  },
  '/proposals/:id/status': {
    state: 'decided',
    url: (id) => `/proposals/${id}/status`,
    body: (id) => ({ version: version(id), target: 'reopen', reason: 'Jednostka zmieniła zdanie po publikacji.' }),
    formId: () => 'status',
    shown: '>Jednostka zmieniła zdanie po publikacji.</textarea>',
  },
  '/proposals/:id/duplicate': {
    state: 'fresh',
    url: (id) => `/proposals/${id}/duplicate`,
    body: (id) => ({ version: version(id), duplicateOfLp: '21', reason: 'Ta sama propozycja co przy stoliku 2.' }),
    formId: () => 'duplicate',
    shown: '>Ta sama propozycja co przy stoliku 2.</textarea>',
  },
  '/proposals/:id/corrections': {
    state: 'fresh',
    url: (id) => `/proposals/${id}/corrections`,
    body: (id) => ({ version: version(id), field: 'lp', value: '999', reason: 'W źródle LP jest nieczytelne.' }),
    formId: () => 'correction',
    shown: '>W źródle LP jest nieczytelne.</textarea>',
  },
  '/proposals/:id/notes': {
    state: 'fresh',
    url: (id) => `/proposals/${id}/notes`,
    body: () => ({ text: 'Notatka: stowarzyszenie oddzwoni w czwartek.' }),
    formId: () => 'note',
    shown: '>Notatka: stowarzyszenie oddzwoni w czwartek.</textarea>',
  },
};

const sidOf = (agent: Agent) => decodeURIComponent(agent.cookies.get('sid')!).split('.')[0]!;

beforeAll(async () => {
  app = await build();
  await createUser(app, 'biuro@torun.test', 'admin');
  const story = await storyTools(app);
  const now = new Date();
  on.fresh = idOfLp(app, 20);
  on.assigned = idOfLp(app, 22);
  on.collected = idOfLp(app, 23);
  on.decided = idOfLp(app, 24);
  on.duplicate = idOfLp(app, 25);
  for (const id of [on.assigned, on.collected, on.decided]) story.assign(id, [KULTURA], KULTURA, inDays(30), now);
  for (const id of [on.collected, on.decided]) await story.position(id, KULTURA, 'uwzgledniona', 'Popieramy.', now);
  story.decide(on.decided, 'uwzgledniona', 'Propozycja zostanie zrealizowana w 2027 roku.', now);
  story.duplicate(on.duplicate, 21, 'To samo co LP 21.', now);
  assignmentId = (
    app.database.sqlite.prepare('SELECT id FROM assignments WHERE proposal_id = ?').get(on.assigned) as { id: number }
  ).id;
});
afterAll(async () => {
  await app.close();
});

describe('every form of the staff proposal page', () => {
  const kept = PROPOSAL_FORMS.filter((f) => f.kept !== false);

  it('is kept after the session ends, except the two confirmations, which carry nothing typed', () => {
    expect(PROPOSAL_FORMS.filter((f) => f.kept === false).map((f) => f.url)).toEqual([
      '/proposals/:id/assignments/:assignmentId/removal',
      '/proposals/:id/duplicate/removal',
    ]);
    expect(kept.map((f) => f.url).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(kept.map((f) => f.url))(
    '%s: the text sent after the session ended comes back after the login',
    async (url) => {
      const sample = SAMPLES[url];
      expect(sample, `a sample form for ${url} in SAMPLES`).toBeDefined();
      const id = on[sample!.state];
      const admin = new Agent(app);
      await admin.login('biuro@torun.test');
      await admin.get(`/staff/proposals/${id}`);
      app.database.sqlite.prepare('DELETE FROM sessions WHERE sid = ?').run(sidOf(admin));
      admin.cookies.delete('sid');

      const body = sample!.body(id);
      const sent = await admin.post(sample!.url(id), body);
      expect(sent.statusCode).toBe(401);
      expect(sent.body).toContain(LOGIN_MESSAGE);
      const rows = app.database.sqlite.prepare('SELECT form_id, proposal_id, fields FROM kept_forms').all() as {
        form_id: string;
        proposal_id: number;
        fields: string;
      }[];
      expect(rows).toEqual([{ form_id: sample!.formId(), proposal_id: id, fields: JSON.stringify(body) }]);

      await admin.get('/login');
      const login = await admin.post('/login', { email: 'biuro@torun.test', password: TEST_PASSWORD });
      expect(login.headers.location).toBe(`/staff/proposals/${id}`);
      const page = await admin.get(`/staff/proposals/${id}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(RESTORED);
      expect(page.body).toContain(sample!.shown);
      expect(app.database.sqlite.prepare('SELECT count(*) n FROM kept_forms').get()).toEqual({ n: 0 });
    },
  );

  it('and nothing on the page, its preview or its confirmations posts to a form not declared there', async () => {
    const admin = new Agent(app);
    await admin.login('biuro@torun.test');
    const pages = await Promise.all(Object.values(on).map((id) => admin.get(`/staff/proposals/${id}`)));
    await admin.get(`/staff/proposals/${on.collected}`);
    const preview = await admin.post(`/proposals/${on.collected}/decision/preview`, {
      version: version(on.collected),
      outcome: 'uwzgledniona',
      text: 'Podgląd.',
    });
    expect(preview.statusCode).toBe(200);
    const confirmations = [
      await admin.get(`/staff/proposals/${on.assigned}/assignments/${assignmentId}/removal`),
      await admin.get(`/staff/proposals/${on.duplicate}/duplicate/removal`),
    ];
    const html = [...pages, preview, ...confirmations].map((r) => r.body).join('\n');
    const posted = new Set(
      [...html.matchAll(/(?:action|formaction|hx-post)="(\/proposals\/[^"#?]+)/g)].map((m) => m[1]!),
    );
    const declared = PROPOSAL_FORMS.map((f) => new RegExp(`^${f.url.replace(/:[a-zA-Z]+/g, '[1-9][0-9]*')}$`));
    const undeclared = [...posted].filter((path) => !declared.some((re) => re.test(path)));
    expect(undeclared).toEqual([]);
    // the page really shows its forms: each declared route is posted to from somewhere above
    for (const re of declared)
      expect(
        [...posted].some((path) => re.test(path)),
        String(re),
      ).toBe(true);
  });
});
