import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { addWorkingDays } from '../../src/lib/working-days.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName, workflowSnapshot } from '../helpers.js';

/**
 * Triage in bulk from the queue: select, review (units the workshop named pre-ticked, one lead each, one due
 * date), assign in one transaction. A bad row assigns nothing and is named; only the office may do it.
 */
let app: App;
const agents: Record<'admin' | 'reviewer' | 'unit' | 'anonymous', Agent> = {} as never;
const BDIM = 'Biuro Dialogu i Innowacji Miejskich';
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const BDIM_MEMBER = 'bdim@t.test';
const unit = (name: string) => unitIdByName(app, name);
const sql = () => app.database.sqlite;
const version = (id: number) =>
  (sql().prepare('SELECT version FROM proposals WHERE id = ?').get(id) as { version: number }).version;
const status = (id: number) =>
  (sql().prepare('SELECT status FROM proposals WHERE id = ?').get(id) as { status: string }).status;
const count = (table: string) => (sql().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
/** everything a bulk assignment may write: workflow tables, the outbox and the data version pages cache on */
const writes = () =>
  workflowSnapshot(app) +
  JSON.stringify(sql().prepare('SELECT * FROM outbox').all()) +
  JSON.stringify(sql().prepare('SELECT * FROM meta').all());
const future = (days = 20) => todayInWarsaw(new Date(Date.now() + days * 86_400_000));

// ten new proposals: LP 7 names the Biuro and ZGM, the others one concrete unit each
const TEN = [1, 2, 4, 6, 7, 11, 14, 15, 16, 18];
const ids = () => TEN.map((lp) => idOfLp(app, lp));

/** The bulk form for these proposals as the review page would send it: each row's named units and first lead. */
function form(lps: number[], dueDate = future()): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { dueDate, proposalIds: lps.map((lp) => String(idOfLp(app, lp))) };
  for (const lp of lps) {
    const id = idOfLp(app, lp);
    const named = sql()
      .prepare(
        `SELECT u.id FROM proposal_units pu JOIN units u ON u.id = pu.unit_id
         WHERE pu.proposal_id = ? AND u.kind <> 'grupa' ORDER BY pu.ordinal`,
      )
      .all(id) as { id: number }[];
    out[`version-${id}`] = String(version(id));
    out[`units-${id}`] = named.map((u) => String(u.id));
    out[`lead-${id}`] = String(named[0]?.id ?? '');
  }
  return out;
}

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'rdpp@t.test', 'reviewer');
  await createUser(app, BDIM_MEMBER, 'unit', [BDIM]);
  for (const k of ['admin', 'reviewer', 'unit', 'anonymous'] as const) agents[k] = new Agent(app);
  await agents.admin.login('admin@t.test');
  await agents.reviewer.login('rdpp@t.test');
  await agents.unit.login(BDIM_MEMBER);
  await agents.anonymous.get('/login');
});
afterAll(async () => {
  await app.close();
});

describe('the queue', () => {
  it('offers the office checkboxes, "zaznacz wszystkie z filtra" and "Przekaż zaznaczone (N)" (a GET form)', async () => {
    const res = await agents.admin.get('/staff/queue');
    expect(res.statusCode).toBe(200);
    for (const id of ids()) expect(res.body).toContain(`name="proposalIds" value="${id}"`);
    expect(res.body).toContain('<form method="get" action="/staff/triage/bulk"');
    expect(res.body).toContain(
      '<button type="submit">Przekaż zaznaczone (<span data-count-checked="proposalIds">0</span>)',
    );
    expect(res.body).toMatch(/href="\/staff\/queue\?zaznacz=wszystkie#nowe">Zaznacz wszystkie z filtra \(\d+\)/);
    expect(res.body).not.toMatch(/name="proposalIds" value="\d+" checked/);
  });

  it('puts the bar with "Przekaż zaznaczone (N)" before the rows, so it is reached without tabbing through them', async () => {
    const res = await agents.admin.get('/staff/queue?table=1&zaznacz=wszystkie');
    const form = res.body.slice(res.body.indexOf('id="przekaz-zaznaczone"'));
    const bar = form.indexOf('class="selection-bar"');
    const button = form.indexOf('Przekaż zaznaczone (');
    const firstRow = form.indexOf('name="proposalIds"');
    expect(bar).toBeGreaterThan(0);
    expect(button).toBeGreaterThan(bar);
    expect(firstRow).toBeGreaterThan(button);
    // the only button of the form: nothing after the rows competes with it
    expect([...form.slice(0, form.indexOf('</form>')).matchAll(/<button/g)]).toHaveLength(1);
    // N is the ticked rows of the page
    const ticked = [...res.body.matchAll(/name="proposalIds" value="\d+" checked/g)].length;
    expect(ticked).toBeGreaterThan(1);
    expect(form).toContain(`Przekaż zaznaczone (<span data-count-checked="proposalIds">${ticked}</span>)`);
    expect(res.body).toMatch(/<script src="\/static\/selection-count\.[0-9a-f]+\.js" defer><\/script>/);
  });

  it('"zaznacz wszystkie z filtra" ticks exactly the proposals of the filter (workshop table, named unit)', async () => {
    const byTable = await agents.admin.get('/staff/queue?table=1&zaznacz=wszystkie');
    expect(byTable.statusCode).toBe(200);
    const tableOne = sql()
      .prepare(
        `SELECT p.id FROM proposals p JOIN workshop_tables t ON t.id = p.workshop_table_id
         WHERE t.number = 1 AND p.status = 'nowa' AND p.in_source = 1`,
      )
      .all() as { id: number }[];
    expect(tableOne.length).toBeGreaterThan(1);
    const ticked = [...byTable.body.matchAll(/name="proposalIds" value="(\d+)" checked/g)].map((m) => Number(m[1]));
    expect(ticked.sort()).toEqual(tableOne.map((r) => r.id).sort());
    expect([...byTable.body.matchAll(/name="proposalIds"/g)]).toHaveLength(tableOne.length);
    expect(byTable.body).toContain('<option value="1" selected>stolik 1</option>');

    const slug = (
      sql().prepare('SELECT slug FROM units WHERE name = ?').get('Toruńska Agenda Kulturalna') as {
        slug: string;
      }
    ).slug;
    const byUnit = await agents.admin.get(`/staff/queue?unit=${slug}&zaznacz=wszystkie`);
    const tak = [11, 20, 60].map((lp) => idOfLp(app, lp));
    const tickedTak = [...byUnit.body.matchAll(/name="proposalIds" value="(\d+)" checked/g)].map((m) => Number(m[1]));
    expect(tickedTak.sort()).toEqual(tak.sort());
  });

  it('keeps a selection coming back from the review page', async () => {
    const [a, b] = ids();
    const res = await agents.admin.get(`/staff/queue?proposalIds=${a}&proposalIds=${b}`);
    expect(res.body).toContain(`name="proposalIds" value="${a}" checked`);
    expect(res.body).toContain(`name="proposalIds" value="${b}" checked`);
    expect([...res.body.matchAll(/ checked>/g)]).toHaveLength(2);
    expect(res.body).toContain('Przekaż zaznaczone (<span data-count-checked="proposalIds">2</span>)');
  });

  it('refuses junk filters', async () => {
    expect((await agents.admin.get('/staff/queue?table=abc')).statusCode).toBe(400);
    expect((await agents.admin.get('/staff/queue?unit=nie-ma-takiej')).statusCode).toBe(404);
  });

  it('stays read-only for the RDPP: no checkboxes, no forms', async () => {
    const res = await agents.reviewer.get('/staff/queue?zaznacz=wszystkie');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('name="proposalIds"');
    expect(res.body).not.toContain('Przekaż zaznaczone');
    const forms = [...res.body.matchAll(/<form [^>]*action="([^"]+)"/g)].map((m) => m[1]);
    expect(forms.filter((a) => a !== '/logout')).toEqual([]);
  });

  it('sends an empty selection back to the queue with an error that links to the first checkbox', async () => {
    const res = await agents.admin.get('/staff/triage/bulk');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/queue?blad=nic-nie-zaznaczono#nowe');
    const queue = await agents.admin.get(res.headers.location as string);
    expect(queue.body).toContain('role="alert"');
    expect(queue.body).toMatch(/href="#wybor-\d+">Zaznacz co najmniej jedną propozycję/);
  });
});

describe('the review page', () => {
  it('shows one row per proposal with the named units ticked, the first one as lead, and the default due date', async () => {
    const [lp1, , , , lp7] = ids();
    const res = await agents.admin.get(
      `/staff/triage/bulk?${ids()
        .map((id) => `proposalIds=${id}`)
        .join('&')}`,
    );
    expect(res.statusCode).toBe(200);
    expect([...res.body.matchAll(/<th scope="row" id="r\d+"/g)]).toHaveLength(10);
    expect(res.body).toContain(`name="units-${lp1}" value="${unit(BDIM)}" checked`);
    expect(res.body).toContain(`name="units-${lp7}" value="${unit(BDIM)}" checked`);
    expect(res.body).toContain(`name="units-${lp7}" value="${unit(ZGM)}" checked`);
    const lead7 = new RegExp(`name="lead-${lp7}"[\\s\\S]*?<option value="${unit(BDIM)}" selected>`);
    expect(res.body).toMatch(lead7);
    expect(res.body).toContain(`name="dueDate" value="${addWorkingDays(todayInWarsaw(), 14)}"`);
    expect(res.body).toContain('Proponujemy 14 dni roboczych');
    expect(res.body).toContain('<form method="post" action="/assignments/bulk"');
    expect(res.body).toContain('Przekaż 10 propozycji');
  });

  it('asks which units a unit group means, proposing nothing ticked when the group has no members', async () => {
    const lp9 = idOfLp(app, 9);
    const res = await agents.admin.get(`/staff/triage/bulk?proposalIds=${lp9}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('– wybierz jednostki: grupa nie ma jeszcze członków w katalogu');
    expect(res.body).not.toMatch(new RegExp(`name="units-${lp9}"`));
    expect(res.body).toMatch(new RegExp(`name="lead-${lp9}"[^>]*>\\s*<option value="">`));
    expect(res.body).not.toMatch(new RegExp(`name="lead-${lp9}"[\\s\\S]*?selected[\\s\\S]*?</select>`));
  });

  it("offers a group's members unticked once the group has members", async () => {
    const lp33 = idOfLp(app, 33); // names only "działy, jednostki GMT, pełnomocnicy …" (without "konkursy")
    const group = sql()
      .prepare('SELECT u.id FROM proposal_units pu JOIN units u ON u.id = pu.unit_id WHERE pu.proposal_id = ?')
      .get(lp33) as { id: number };
    sql()
      .prepare('INSERT INTO unit_group_members (group_id, unit_id) VALUES (?, ?), (?, ?)')
      .run(group.id, unit('Wydział Kultury'), group.id, unit('Wydział Edukacji'));
    try {
      const res = await agents.admin.get(`/staff/triage/bulk?proposalIds=${lp33}`);
      expect(res.body).toContain('– wybierz jednostki.');
      expect(res.body).toContain(`name="units-${lp33}" value="${unit('Wydział Kultury')}">`);
      expect(res.body).toContain(`name="units-${lp33}" value="${unit('Wydział Edukacji')}">`);
    } finally {
      sql().prepare('DELETE FROM unit_group_members WHERE group_id = ?').run(group.id);
    }
  });

  it('is 404 for an unknown proposal and 400 for a malformed id', async () => {
    expect((await agents.admin.get('/staff/triage/bulk?proposalIds=999999')).statusCode).toBe(404);
    expect((await agents.admin.get('/staff/triage/bulk?proposalIds=0x10')).statusCode).toBe(400);
  });
});

describe('access', () => {
  const postOk = () => form(TEN);

  it.each(['unit', 'reviewer'] as const)('refuses %s: 403 for the page and the POST, nothing written', async (who) => {
    const page = await agents[who].get(`/staff/triage/bulk?proposalIds=${ids()[0]}`);
    expect(page.statusCode).toBe(403);
    const before = writes();
    const res = await agents[who].post('/assignments/bulk', postOk());
    expect(res.statusCode).toBe(403);
    expect(writes()).toBe(before);
  });

  it('sends the public to the login page (GET) and refuses its POST (401), nothing written', async () => {
    const page = await agents.anonymous.get(`/staff/triage/bulk?proposalIds=${ids()[0]}`);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toMatch(/^\/login\?next=%2Fstaff%2Ftriage%2Fbulk/);
    const before = writes();
    const res = await agents.anonymous.post('/assignments/bulk', postOk());
    expect(res.statusCode).toBe(401);
    expect(writes()).toBe(before);
  });

  it('refuses a POST without a CSRF token or with another session’s token (403), nothing written', async () => {
    await agents.admin.get(`/staff/triage/bulk?proposalIds=${ids()[0]}`);
    const before = writes();
    const missing = await agents.admin.post('/assignments/bulk', { ...postOk(), _csrf: null });
    expect(missing.statusCode).toBe(403);
    const other = await agents.admin.post('/assignments/bulk', { ...postOk(), _csrf: agents.unit.csrf });
    expect(other.statusCode).toBe(403);
    expect(writes()).toBe(before);
    expect(count('assignments')).toBe(0);
  });
});

describe('atomic: one bad row assigns nothing and is named', () => {
  beforeEach(async () => {
    await agents.admin.get(`/staff/triage/bulk?proposalIds=${ids()[0]}`);
  });

  async function expectRefused(body: Record<string, string | string[]>, message: string, fieldId: string) {
    const before = writes();
    const assignments = count('assignments');
    const events = count('events');
    const outbox = count('outbox');
    const res = await agents.admin.post('/assignments/bulk', body);
    expect(res.statusCode, res.body.slice(0, 400)).toBe(422);
    expect(res.body).toContain('Popraw błędy w formularzu');
    expect(res.body).toContain(message);
    expect(res.body).toContain(`href="#${fieldId}"`);
    expect(res.body).toContain(`id="${fieldId}"`);
    expect(count('assignments')).toBe(assignments);
    expect(count('events')).toBe(events);
    expect(count('outbox')).toBe(outbox);
    expect(writes()).toBe(before);
    return res;
  }

  it('a row with no unit ticked', async () => {
    const body = form(TEN);
    const lp14 = idOfLp(app, 14);
    body[`units-${lp14}`] = [];
    body[`lead-${lp14}`] = '';
    const res = await expectRefused(body, 'LP 14: Zaznacz co najmniej jedną jednostkę.', `r${lp14}-unitIds`);
    // what was typed is kept: the other rows' ticks and leads, the due date
    const lp7 = idOfLp(app, 7);
    expect(res.body).toContain(`name="units-${lp7}" value="${unit(ZGM)}" checked`);
    expect(res.body).toContain(`name="dueDate" value="${body.dueDate}"`);
    expect(res.body).toMatch(/<title>Błąd: /);
  });

  it('a lead that is not among the ticked units', async () => {
    const body = form(TEN);
    const lp7 = idOfLp(app, 7);
    body[`units-${lp7}`] = [String(unit(BDIM))];
    body[`lead-${lp7}`] = String(unit(ZGM));
    const res = await expectRefused(
      body,
      'LP 7: Jednostka wiodąca musi być jedną z zaznaczonych jednostek.',
      `r${lp7}-leadUnitId`,
    );
    expect(res.body).toContain(`name="units-${lp7}" value="${unit(BDIM)}" checked`);
    expect(res.body).toContain(`name="units-${lp7}" value="${unit(ZGM)}">`);
  });

  it('an unknown unit, found only inside the transaction after the other rows were written', async () => {
    const body = form(TEN);
    const lp18 = idOfLp(app, 18); // the last row: nine rows are assigned in their savepoints before it fails
    body[`units-${lp18}`] = ['999999'];
    body[`lead-${lp18}`] = '999999';
    await expectRefused(body, 'LP 18: Wybrano jednostkę, której nie ma w katalogu.', `r${lp18}-unitIds`);
  });

  it('a proposal assigned by someone else meanwhile: named, then left out of the form', async () => {
    const body = form([...TEN, 20]);
    const lp20 = idOfLp(app, 20);
    // another admin assigns LP 20 on its own page
    const single = await agents.admin.post(`/proposals/${lp20}/assignments`, {
      version: version(lp20),
      unitIds: String(unit('Toruńska Agenda Kulturalna')),
      dueDate: future(),
    });
    expect(single.statusCode).toBe(303);
    const res = await expectRefused(body, 'LP 20: Propozycja nie jest już nowa', 'pominiete');
    expect(res.body).toContain('Usunęliśmy ją z listy');
    expect(res.body).not.toContain(`name="version-${lp20}"`);
    // every other row is still there, ready to send again
    for (const id of ids()) expect(res.body).toContain(`name="version-${id}"`);
  });

  it('a proposal changed meanwhile (version): named; sent again with the current version it goes through', async () => {
    const body = form(TEN);
    const lp2 = idOfLp(app, 2);
    sql().prepare('UPDATE proposals SET version = version + 1 WHERE id = ?').run(lp2);
    const res = await expectRefused(body, 'LP 2: Ktoś zmienił tę propozycję', `r${lp2}`);
    expect(res.body).toContain(`name="version-${lp2}" value="${version(lp2)}"`);
  });

  it('a due date in the past (shared field)', async () => {
    const body = form(TEN, todayInWarsaw(new Date(Date.now() - 86_400_000)));
    await expectRefused(body, 'Termin stanowiska nie może być w przeszłości.', 'bulk-dueDate');
  });

  it('several bad rows are all named, in table order', async () => {
    const body = form(TEN);
    const lp1 = idOfLp(app, 1);
    const lp16 = idOfLp(app, 16);
    body[`units-${lp1}`] = [];
    body[`units-${lp16}`] = [];
    const res = await expectRefused(body, 'LP 1: Zaznacz co najmniej jedną jednostkę.', `r${lp1}-unitIds`);
    expect(res.body).toContain('LP 16: Zaznacz co najmniej jedną jednostkę.');
    expect(res.body.indexOf('LP 1:')).toBeLessThan(res.body.indexOf('LP 16:'));
  });
});

describe('success', () => {
  it('assigns ten proposals in one step: units, lead, due date, one set of events and the mail per proposal', async () => {
    await agents.admin.get(
      `/staff/triage/bulk?${ids()
        .map((id) => `proposalIds=${id}`)
        .join('&')}`,
    );
    const body = form(TEN, future(30));
    const lp7 = idOfLp(app, 7);
    const lp11 = idOfLp(app, 11);
    body[`lead-${lp7}`] = String(unit(ZGM)); // the second named unit leads
    body[`extra-${lp11}`] = String(unit('Wydział Kultury')); // one more unit than the workshop named
    const eventsBefore = count('events');
    const res = await agents.admin.post('/assignments/bulk', body);
    expect(res.statusCode, res.body.slice(0, 600)).toBe(303);
    expect(res.headers.location).toBe('/staff/queue?przekazano=10');

    const queue = await agents.admin.get(res.headers.location as string);
    expect(queue.body).toMatch(/<p class="flash" role="status"[^>]*>Przekazano 10 propozycji do jednostek\.<\/p>/);
    for (const id of ids()) expect(queue.body).not.toContain(`name="proposalIds" value="${id}"`);

    for (const id of ids()) {
      expect(status(id)).toBe('przekazana');
      const rows = sql()
        .prepare('SELECT unit_id AS unitId, lead, due_date AS dueDate FROM assignments WHERE proposal_id = ?')
        .all(id) as { unitId: number; lead: number; dueDate: string }[];
      expect(rows.filter((r) => r.lead)).toHaveLength(1);
      expect(rows.every((r) => r.dueDate === body.dueDate)).toBe(true);
      expect(rows.map((r) => String(r.unitId)).sort()).toEqual(
        [...(body[`units-${id}`] as string[]), ...(body[`extra-${id}`] ? [body[`extra-${id}`] as string] : [])].sort(),
      );
      const lead = rows.find((r) => r.lead)!;
      expect(String(lead.unitId)).toBe(body[`lead-${id}`]);
      // the same events as a single assignment: one 'assignment.added' per unit, one status change
      const events = sql()
        .prepare('SELECT id, type, created_at AS at FROM events WHERE proposal_id = ? ORDER BY id')
        .all(id) as {
        id: number;
        type: string;
        at: string;
      }[];
      expect(events.filter((e) => e.type === 'assignment.added')).toHaveLength(rows.length);
      expect(events.filter((e) => e.type === 'status.changed')).toHaveLength(1);
      // and the same mail: the Biuro's staff member is told of each assignment to the Biuro
      for (const e of events.filter((x) => x.type === 'assignment.added')) {
        const payload = sql().prepare('SELECT after FROM events WHERE id = ?').get(e.id) as { after: string };
        if (JSON.parse(payload.after).unitId !== unit(BDIM)) continue;
        const mail = sql()
          .prepare("SELECT kind FROM outbox WHERE event_id = ? AND recipient = ? AND kind = 'staff-assigned'")
          .all(e.id, BDIM_MEMBER);
        expect(mail).toHaveLength(1);
      }
    }
    expect(
      String(sql().prepare('SELECT unit_id FROM assignments WHERE proposal_id = ? AND lead = 1').pluck().get(lp7)),
    ).toBe(String(unit(ZGM)));
    const added = count('events') - eventsBefore;
    const units = TEN.reduce(
      (n, lp) =>
        n +
        (sql()
          .prepare('SELECT count(*) FROM assignments WHERE proposal_id = ?')
          .pluck()
          .get(idOfLp(app, lp)) as number),
      0,
    );
    expect(added).toBe(units + TEN.length);
    // all written at one instant, by one transaction
    const times = sql()
      .prepare(`SELECT DISTINCT created_at FROM events WHERE proposal_id IN (${ids().join(',')})`)
      .all();
    expect(times).toHaveLength(1);
  });

  it('the review page of proposals no longer new leaves them out and offers nothing to send', async () => {
    const res = await agents.admin.get(`/staff/triage/bulk?proposalIds=${ids()[0]}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Ta propozycja nie jest już nowa');
    expect(res.body).not.toContain('action="/assignments/bulk"');
  });
});
