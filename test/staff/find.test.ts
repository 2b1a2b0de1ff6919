import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName } from '../helpers.js';

/**
 * Finding work on the staff side: /staff/proposals searches with the public list's Polish search (`q`) and
 * filters by table, assigned unit, status, stage and overdue positions; bad filters come back as a form with an
 * error summary; the list and the queue are in the staff navigation.
 */
const EDU = 'Wydział Edukacji';
let app: App;
let admin: Agent;
let reviewer: Agent;
let unitMember: Agent;
const inDays = (days: number) => todayInWarsaw(new Date(Date.now() + days * 86_400_000));
const version = (id: number) =>
  (app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(id) as { version: number }).version;
/** The proposal ids a staff list shows, in its order. */
const staffRows = (html: string) =>
  [...html.matchAll(/<a href="\/staff\/proposals\/(\d+)">/g)].map((m) => Number(m[1]));
/** The proposal ids the public list shows, in its order. */
const publicRows = (html: string) => [...html.matchAll(/<a href="\/proposals\/(\d+)[?"]/g)].map((m) => Number(m[1]));
const lpOf = (id: number) =>
  (app.database.sqlite.prepare('SELECT lp FROM proposals WHERE id = ?').get(id) as { lp: number }).lp;

async function assign(lp: number, unit: string, dueDate = inDays(14)) {
  const id = idOfLp(app, lp);
  const res = await admin.post(`/proposals/${id}/assignments`, {
    version: version(id),
    unitIds: String(unitIdByName(app, unit)),
    dueDate,
  });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
}

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'rdpp@t.test', 'reviewer');
  await createUser(app, 'edu@t.test', 'unit', [EDU]);
  admin = new Agent(app);
  reviewer = new Agent(app);
  unitMember = new Agent(app);
  await admin.login('admin@t.test');
  await reviewer.login('rdpp@t.test');
  await unitMember.login('edu@t.test');
  await admin.get('/staff');
  // LP 3 and 53 are about training (szkolenia); LP 3 goes to Edukacja and its due date passes
  await assign(3, EDU);
  await assign(53, EDU);
  app.database.sqlite
    .prepare('UPDATE assignments SET due_date = ? WHERE proposal_id = ?')
    .run(inDays(-3), idOfLp(app, 3));
});
afterAll(async () => {
  await app.close();
});

describe('/staff/proposals: search and filters', () => {
  it('finds what the public list finds for the same words, in the same order', async () => {
    for (const q of ['szkolenia', 'lokal', 'kooperacja', 'LP 7', 'szkolen ksiegowosc zzzz']) {
      const staff = await reviewer.get(`/staff/proposals?q=${encodeURIComponent(q)}`);
      expect(staff.statusCode, q).toBe(200);
      const pub = await app.inject(`/?q=${encodeURIComponent(q)}`);
      const found = publicRows(pub.body);
      expect(found.length, q).toBeGreaterThan(0);
      const ids = staffRows(staff.body);
      expect(ids, q).toEqual(found);
      expect(staff.body).toContain(`value="${q}"`);
      expect(staff.body).toContain(`<h1>Propozycje: „${q}”</h1>`);
    }
    const lp7 = await reviewer.get('/staff/proposals?q=lp7');
    expect(staffRows(lp7.body)).toEqual([idOfLp(app, 7)]);
  });

  it('says when only some words matched, best first, as the public list ranks them', async () => {
    const q = 'szkolen ksiegowosc zzzz';
    const staff = await admin.get(`/staff/proposals?q=${encodeURIComponent(q)}`);
    expect(staff.body).toContain('Żadna propozycja nie zawiera wszystkich szukanych słów');
    const exported = (await app.inject(`/export/proposals.json?q=${encodeURIComponent(q)}`)).json() as {
      lp: number;
      match: string;
    }[];
    expect(exported.every((r) => r.match === 'partial')).toBe(true);
    expect(staffRows(staff.body).map(lpOf)).toEqual(exported.map((r) => r.lp));
  });

  it('narrows a search by table, assigned unit, status, stage and overdue positions', async () => {
    const all = staffRows((await admin.get('/staff/proposals?q=szkolenia')).body).map(lpOf);
    expect(all).toEqual(expect.arrayContaining([3, 53]));
    const lp3Table = (
      app.database.sqlite
        .prepare('SELECT w.number FROM proposals p JOIN workshop_tables w ON w.id = p.workshop_table_id WHERE p.id = ?')
        .get(idOfLp(app, 3)) as { number: number }
    ).number;
    const lps = async (query: string) => staffRows((await admin.get(`/staff/proposals?${query}`)).body).map(lpOf);
    const byTable = await lps(`q=szkolenia&table=${lp3Table}`);
    expect(byTable).toContain(3);
    expect(byTable).not.toContain(53);
    expect(await lps('q=szkolenia&unit=wydzial-edukacji')).toEqual([3, 53]);
    expect(await lps('q=szkolenia&status=przekazana')).toEqual([3, 53]);
    expect(await lps('q=szkolenia&stage=w-toku')).toEqual([3, 53]);
    expect(await lps('q=szkolenia&status=nowa')).toEqual(all.filter((lp) => lp !== 3 && lp !== 53));
    // overdue: LP 3's due date has passed without a position, LP 53's has not
    expect(await lps('q=szkolenia&position=po-terminie')).toEqual([3]);
    expect(await lps('position=po-terminie')).toEqual([3]);
    const overdue = await admin.get('/staff/proposals?position=po-terminie');
    expect(overdue.body).toContain('<option value="po-terminie" selected>stanowisko po terminie</option>');
    expect(overdue.body).toContain('<span class="overdue">po terminie</span>');
  });

  it('offers every filter in one GET form, the current values selected, with a way to clear them', async () => {
    const res = await admin.get('/staff/proposals?q=lokal&unit=wydzial-edukacji&stage=w-toku&status=przekazana');
    expect(res.body).toMatch(/<form class="filters" method="get" action="\/staff\/proposals" role="search"/);
    for (const name of ['q', 'table', 'unit', 'status', 'stage', 'position', 'outcome']) {
      expect(res.body).toMatch(new RegExp(`<label for="${name}">`));
      expect(res.body).toMatch(new RegExp(`id="${name}" name="${name}"`));
    }
    expect(res.body).toContain('<option value="wydzial-edukacji" selected>Wydział Edukacji</option>');
    expect(res.body).toContain('<option value="w-toku" selected>');
    expect(res.body).toContain('<option value="przekazana" selected>');
    expect(res.body).toContain('<a href="/staff/proposals">Wyczyść filtry</a>');
    // a unit group is not a unit anything is assigned to
    expect(res.body).not.toMatch(/<option value="[^"]+">działy, jednostki/);
  });

  it('answers a bad filter with the form filled in as sent and a Polish error summary', async () => {
    const res = await admin.get('/staff/proposals?q=lokal&table=abc&status=cokolwiek');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('id="error-summary"');
    expect(res.body).toContain('<a href="#table">Numer stolika musi być liczbą.</a>');
    expect(res.body).toContain('<a href="#status">Nieznany status propozycji.</a>');
    expect(res.body).toMatch(/id="table" name="table" aria-describedby="table-error" aria-invalid="true"/);
    expect(res.body).toContain('value="lokal"');
    expect(res.body).toMatch(/<title>Błąd: /);
    expect(staffRows(res.body)).toEqual([]);
    const long = await admin.get(`/staff/proposals?q=${'a'.repeat(201)}`);
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('Wyszukiwana fraza może mieć najwyżej 200 znaków.');
    const twice = await admin.get('/staff/proposals?q=a&q=b');
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('Parametr „q” może wystąpić w adresie tylko raz.');
  });

  it('escapes the search words wherever it shows them', async () => {
    const res = await admin.get(`/staff/proposals?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('&lt;script&gt;');
  });
});

describe('staff navigation', () => {
  it('leads the office and the RDPP to the queue and the searchable list, marking the current one', async () => {
    for (const agent of [admin, reviewer]) {
      const list = await agent.get('/staff/proposals');
      expect(list.body).toContain('<a href="/staff/queue">Kolejka spraw</a>');
      expect(list.body).toContain('<a href="/staff/proposals" aria-current="page">Szukaj propozycji</a>');
      const queue = await agent.get('/staff/queue');
      expect(queue.body).toContain('<a href="/staff/queue" aria-current="page">Kolejka spraw</a>');
      expect(queue.body).toContain('<a href="/staff/proposals">Szukaj propozycji</a>');
    }
  });

  it('shows unit staff neither (they cannot open them)', async () => {
    const home = await unitMember.get('/staff');
    expect(home.body).not.toContain('href="/staff/queue"');
    expect(home.body).not.toContain('href="/staff/proposals"');
    expect((await unitMember.get('/staff/proposals?q=szkolenia')).statusCode).toBe(403);
  });
});
