import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError, parseUnitFile } from '../../src/imports/format.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { addWorkingDays } from '../../src/lib/working-days.js';
import { NO_ACCOUNT_WARNING } from '../../src/workbench/sections/assign.js';
import { SUCCESS } from '../../src/workbench/ids.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName } from '../helpers.js';

const BDIM = 'Biuro Dialogu i Innowacji Miejskich';
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const KULTURA = 'Wydział Kultury';
const EDUKACJA = 'Wydział Edukacji';
const KONKURSY = 'działy, jednostki GMT, pełnomocnicy prowadzący działania z sektorem pozarządowym (konkursy dla NGO)';
const NGO = 'działy, jednostki GMT, pełnomocnicy prowadzący działania z sektorem pozarządowym';
const STRATEGIE = 'działy, jednostki GMT posiadające dokumenty strategiczne';
const KONKURSY_MEMBERS = [
  BDIM,
  'Miejski Ośrodek Pomocy Rodzinie',
  'Toruńskie Centrum Usług Społecznych',
  EDUKACJA,
  KULTURA,
  'Wydział Sportu i Rekreacji',
  'Wydział Zdrowia i Polityki Społecznej',
];

let app: App;
let admin: Agent;
const sql = () => app.database.sqlite;
const unit = (name: string) => unitIdByName(app, name);
const versionIn = (html: string) => /name="version" value="(\d+)"/.exec(html)![1]!;
const inDays = (n: number) => todayInWarsaw(new Date(Date.now() + n * 86_400_000));
const assignmentsOf = (proposalId: number) =>
  sql()
    .prepare(
      'SELECT u.name, a.lead, a.due_date dueDate FROM assignments a JOIN units u ON u.id = a.unit_id ' +
        'WHERE a.proposal_id = ? ORDER BY u.name',
    )
    .all(proposalId) as { name: string; lead: number; dueDate: string }[];
const membersOf = (groupName: string) =>
  (
    sql()
      .prepare(
        'SELECT u.name FROM unit_group_members m JOIN units u ON u.id = m.unit_id WHERE m.group_id = ? ORDER BY u.name',
      )
      .all(unit(groupName)) as { name: string }[]
  ).map((r) => r.name);
/** A unit's checkbox in a form (`prefix` + id), ticked or not. */
const box = (html: string, prefix: string, name: string) => {
  const m = new RegExp(
    `<input type="checkbox" id="${prefix}${unit(name)}" name="unitIds" value="${unit(name)}"[^>]*>`,
  ).exec(html);
  return m ? { checked: / checked[ >]/.test(m[0]), tag: m[0] } : null;
};
/** The assignment form of the staff page. */
const assignForm = (html: string) => {
  const start = html.indexOf('id="assign-form"');
  expect(start, 'the assignment form is on the page').toBeGreaterThan(0);
  return html.slice(start, html.indexOf('</form>', start));
};
const staffPage = async (lp: number) => {
  const res = await admin.get(`/staff/proposals/${idOfLp(app, lp)}`);
  expect(res.statusCode).toBe(200);
  return res.body;
};

beforeAll(async () => {
  // the groups' members seeded from data/units.csv, as `npm start` does
  app = await build({ groupMembers: true });
  await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'kultura@torun.test', 'unit', [KULTURA]);
  // an account that exists but is disabled answers for nobody
  await createUser(app, 'edukacja@torun.test', 'unit', [EDUKACJA]);
  sql().prepare("UPDATE users SET active = 0 WHERE email = 'edukacja@torun.test'").run();
  admin = new Agent(app);
  await admin.login('admin@torun.test');
});
afterAll(async () => {
  await app?.close();
});

describe('the assignment form on the staff page', () => {
  it('pre-ticks the units the workshop named, in the open form, with the rest of the directory below unticked', async () => {
    const html = await staffPage(7);
    const form = assignForm(html);
    expect(form).not.toContain('<details');
    expect(box(form, 'assign-unit-', BDIM)?.checked).toBe(true);
    expect(box(form, 'assign-unit-', ZGM)?.checked).toBe(true);
    expect(box(form, 'assign-unit-', 'Urbitor')?.checked).toBe(false);
    const named = form.indexOf('<legend>Jednostki wskazane na warsztacie</legend>');
    const rest = form.indexOf('<legend>Pozostałe jednostki z katalogu</legend>');
    expect(named).toBeGreaterThan(0);
    expect(form.indexOf(box(form, 'assign-unit-', ZGM)!.tag)).toBeGreaterThan(named);
    expect(form.indexOf(box(form, 'assign-unit-', ZGM)!.tag)).toBeLessThan(rest);
    expect(form.indexOf(box(form, 'assign-unit-', 'Urbitor')!.tag)).toBeGreaterThan(rest);
  });

  it('proposes the due date TRIAGE_DUE_WORKING_DAYS (14) working days ahead and says which fields are public', async () => {
    const form = assignForm(await staffPage(7));
    expect(form).toContain(`id="assign-dueDate" name="dueDate"`);
    expect(form).toMatch(new RegExp(`id="assign-dueDate"[^>]*value="${addWorkingDays(todayInWarsaw(), 14)}"`));
    expect(form).toContain('Proponujemy 14 dni roboczych od dziś');
    expect(form).toContain('Jednostki, jednostka wiodąca i termin są widoczne publicznie na stronie propozycji.');
    expect(form).toMatch(/id="assign-leadUnitId-hint">[^<]*Widoczne publicznie\./);
    expect(form).toMatch(/id="assign-dueDate-hint">[^<]*Termin jest widoczny publicznie\./);
    // the lead is chosen, not pre-selected
    expect(form).toMatch(
      /<select id="assign-leadUnitId" name="leadUnitId"[^>]*>\s*<option value="">– wybierz –<\/option>/,
    );
    expect(form).not.toMatch(/id="assign-leadUnitId"[\s\S]*?selected[\s\S]*?<\/select>/);
  });

  it('warns, before saving, next to each unit nobody with an active account can answer for', async () => {
    const form = assignForm(await staffPage(7));
    const warned = (name: string) => {
      const b = box(form, 'assign-unit-', name)!;
      const id = `assign-unit-${unit(name)}-konto`;
      return b.tag.includes(`aria-describedby="${id}"`) && form.includes(`id="${id}">(${NO_ACCOUNT_WARNING})</span>`);
    };
    expect(NO_ACCOUNT_WARNING).toBe('nikt z tej jednostki nie ma konta: stanowisko wpisze Biuro');
    expect(warned(ZGM)).toBe(true); // no account at all
    expect(warned(EDUKACJA)).toBe(true); // a disabled account
    expect(warned(KULTURA)).toBe(false); // an active unit account
    expect(warned(BDIM)).toBe(false); // the office writes its own position
  });

  it('refuses several units without a lead (422, "Wybierz jednostkę wiodącą"), writes nothing, keeps what was sent', async () => {
    const id = idOfLp(app, 7);
    const html = await staffPage(7);
    const res = await admin.post(`/proposals/${id}/assignments`, {
      version: versionIn(html),
      unitIds: [String(unit(BDIM)), String(unit(ZGM))],
      leadUnitId: '',
      dueDate: inDays(20),
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<a href="#assign-leadUnitId">Wybierz jednostkę wiodącą.</a>');
    expect(res.body).toContain('id="assign-leadUnitId-error"');
    expect(assignmentsOf(id)).toEqual([]);
    const form = assignForm(res.body);
    expect(box(form, 'assign-unit-', BDIM)?.checked).toBe(true);
    expect(box(form, 'assign-unit-', ZGM)?.checked).toBe(true);
    expect(form).toContain(`value="${inDays(20)}"`);
  });

  it('assigns with the lead chosen; the page after saving repeats the no-account warning; assigned units are not offered', async () => {
    const id = idOfLp(app, 7);
    const res = await admin.post(`/proposals/${id}/assignments`, {
      version: versionIn(await staffPage(7)),
      unitIds: [String(unit(BDIM)), String(unit(ZGM))],
      leadUnitId: String(unit(ZGM)),
      dueDate: inDays(20),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/staff/proposals/${id}?ok=przekazano-bez-konta#przekazania`);
    expect(assignmentsOf(id)).toEqual([
      { name: BDIM, lead: 0, dueDate: inDays(20) },
      { name: ZGM, lead: 1, dueDate: inDays(20) },
    ]);

    const landed = (await admin.get(res.headers.location!.replace(/#.*/, ''))).body;
    const status = /<div class="flash" role="status"[^>]*>([\s\S]*?)<\/div>/.exec(landed)![1]!;
    expect(status).toContain(SUCCESS['przekazano-bez-konta'].message);
    expect(status).toContain(`<li>${ZGM}: ${NO_ACCOUNT_WARNING}.</li>`);
    expect(status).not.toContain(BDIM);

    const form = assignForm(landed);
    expect(box(form, 'assign-unit-', BDIM)).toBeNull();
    expect(box(form, 'assign-unit-', ZGM)).toBeNull();
    expect(form).toContain('Już przekazano (nie można zaznaczyć ponownie):');
    expect(form).toContain('Wszystkie wskazane jednostki już przekazano.');
    expect(form).toContain(`<option value="">bez zmiany (obecnie: ${ZGM})</option>`);
  });

  it('adds more units to a proposal that has a lead without asking again, keeping the lead', async () => {
    const id = idOfLp(app, 7);
    const res = await admin.post(`/proposals/${id}/assignments`, {
      version: versionIn(await staffPage(7)),
      unitIds: [String(unit(KULTURA)), String(unit('Urbitor'))],
      leadUnitId: '',
      dueDate: inDays(21),
    });
    expect(res.statusCode).toBe(303);
    expect(assignmentsOf(id).filter((a) => a.lead)).toEqual([{ name: ZGM, lead: 1, dueDate: inDays(20) }]);
  });

  it('a single unit leads by default; a unit someone answers for gives the plain message', async () => {
    const id = idOfLp(app, 14);
    const res = await admin.post(`/proposals/${id}/assignments`, {
      version: versionIn(await staffPage(14)),
      unitIds: String(unit(KULTURA)),
      dueDate: inDays(10),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/staff/proposals/${id}?ok=przekazano#przekazania`);
    expect(assignmentsOf(id)).toEqual([{ name: KULTURA, lead: 1, dueDate: inDays(10) }]);
  });
});

describe('the group picker', () => {
  const pickerOf = async (lp: number, unitIds: number[], dueDate = inDays(15)) => {
    const id = idOfLp(app, lp);
    const res = await admin.post(`/proposals/${id}/assignments`, {
      version: versionIn(await staffPage(lp)),
      unitIds: unitIds.map(String),
      dueDate,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(new RegExp(`^/staff/proposals/${id}/assignments/new\\?`));
    const pick = await admin.get(res.headers.location!);
    expect(pick.statusCode).toBe(200);
    return pick.body;
  };

  it("pre-ticks the workshop's group on the staff page; choosing it proposes the seeded members, ticked", async () => {
    expect(box(assignForm(await staffPage(9)), 'assign-unit-', KONKURSY)?.checked).toBe(true);
    const html = await pickerOf(9, [unit(KONKURSY)], inDays(16));
    expect(html).toContain(`<legend>Grupa „${KONKURSY}”</legend>`);
    for (const name of KONKURSY_MEMBERS) expect(box(html, 'pick-', name)?.checked, name).toBe(true);
    for (const name of [ZGM, 'Urbitor', 'Wydział Prawny']) expect(box(html, 'pick-', name)?.checked, name).toBe(false);
    // the lead is asked for, the due date carried over and editable, the warning shown here too
    expect(html).toMatch(
      /<select id="pick-leadUnitId" name="leadUnitId"[^>]*>\s*<option value="">– wybierz –<\/option>/,
    );
    expect(html).toMatch(new RegExp(`<input type="date" id="pick-dueDate" name="dueDate"[^>]*value="${inDays(16)}"`));
    expect(box(html, 'pick-', 'Toruńskie Centrum Usług Społecznych')!.tag).toContain('-konto"');
    expect(box(html, 'pick-', KULTURA)!.tag).not.toContain('-konto"');
    expect(html).toContain(`name="groupIds" value="${unit(KONKURSY)}"`);
  });

  it('an empty submit comes back to the picker (422) with the group, the lead and the date typed', async () => {
    const id = idOfLp(app, 9);
    const html = await pickerOf(9, [unit(KONKURSY)]);
    const res = await admin.post(`/proposals/${id}/assignments`, {
      version: versionIn(html),
      groupIds: String(unit(KONKURSY)),
      leadUnitId: String(unit(KULTURA)),
      dueDate: inDays(17),
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<title>Błąd: Które jednostki z grupy?');
    expect(res.body).toContain('<a href="#pick-unitIds">Wybierz co najmniej jedną jednostkę.</a>');
    expect(res.body).toContain(`<legend>Grupa „${KONKURSY}”</legend>`);
    expect(res.body).toContain(`name="groupIds" value="${unit(KONKURSY)}"`);
    expect(res.body).toMatch(new RegExp(`<option value="${unit(KULTURA)}" selected>`));
    expect(res.body).toMatch(new RegExp(`id="pick-dueDate" name="dueDate"[^>]*value="${inDays(17)}"`));
    // what was sent is shown, not the proposal again: nothing was ticked
    expect(box(res.body, 'pick-', KULTURA)?.checked).toBe(false);
    expect(assignmentsOf(id)).toEqual([]);
  });

  it('several members without a lead: 422 on the picker with the ticks kept; with a lead they are assigned', async () => {
    const id = idOfLp(app, 9);
    const html = await pickerOf(9, [unit(KONKURSY)]);
    const chosen = [KULTURA, 'Wydział Sportu i Rekreacji'].map((n) => String(unit(n)));
    const sent = { version: versionIn(html), groupIds: String(unit(KONKURSY)), unitIds: chosen, dueDate: inDays(18) };
    const refused = await admin.post(`/proposals/${id}/assignments`, { ...sent, leadUnitId: '' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('<a href="#pick-leadUnitId">Wybierz jednostkę wiodącą.</a>');
    expect(box(refused.body, 'pick-', KULTURA)?.checked).toBe(true);
    expect(box(refused.body, 'pick-', 'Wydział Sportu i Rekreacji')?.checked).toBe(true);
    expect(box(refused.body, 'pick-', EDUKACJA)?.checked).toBe(false);
    expect(assignmentsOf(id)).toEqual([]);

    const done = await admin.post(`/proposals/${id}/assignments`, {
      ...sent,
      leadUnitId: String(unit('Wydział Sportu i Rekreacji')),
    });
    expect(done.statusCode).toBe(303);
    expect(assignmentsOf(id)).toEqual([
      { name: KULTURA, lead: 0, dueDate: inDays(18) },
      { name: 'Wydział Sportu i Rekreacji', lead: 1, dueDate: inDays(18) },
    ]);
  });

  it('lists units already assigned instead of offering them', async () => {
    const id = idOfLp(app, 3); // names the Biuro and the general NGO group
    const first = await admin.post(`/proposals/${id}/assignments`, {
      version: versionIn(await staffPage(3)),
      unitIds: String(unit(BDIM)),
      dueDate: inDays(15),
    });
    expect(first.statusCode).toBe(303);
    const html = await pickerOf(3, [unit(NGO)]);
    expect(box(html, 'pick-', BDIM)).toBeNull();
    expect(html).toContain(`Już przekazano: ${BDIM}.`);
    expect(box(html, 'pick-', 'Toruńska Agenda Kulturalna')?.checked).toBe(true);
    expect(html).toContain(`<option value="">bez zmiany (obecnie: ${BDIM})</option>`);
  });
});

describe('the Toruń groups’ members (data/units.csv)', () => {
  it('are seeded into every group of the directory', () => {
    expect(membersOf(KONKURSY)).toEqual(KONKURSY_MEMBERS);
    expect(membersOf(STRATEGIE)).toEqual([
      BDIM,
      'Wydział Strategii i Projektów Rozwojowych',
      'Wydział Zdrowia i Polityki Społecznej',
    ]);
    const empty = sql()
      .prepare("SELECT name FROM units WHERE kind = 'grupa' AND id NOT IN (SELECT group_id FROM unit_group_members)")
      .all();
    expect(empty).toEqual([]);
  });

  it("an admin's choice of members survives a re-import; a group left with none gets the file's again", async () => {
    await admin.get(`/staff/units/${unit(STRATEGIE)}`);
    const res = await admin.post(`/staff/units/${unit(STRATEGIE)}`, {
      name: STRATEGIE,
      kind: 'grupa',
      email: '',
      members: [String(unit('Wydział Prawny'))],
    });
    expect(res.statusCode).toBe(303);
    expect(membersOf(STRATEGIE)).toEqual(['Wydział Prawny']);
    sql().prepare('DELETE FROM unit_group_members WHERE group_id = ?').run(unit(NGO));

    importTorun2026(app.database.db);
    expect(membersOf(STRATEGIE)).toEqual(['Wydział Prawny']);
    expect(membersOf(NGO)).toContain('Pełnomocnik ds. Młodzieży');
    expect(membersOf(KONKURSY)).toEqual(KONKURSY_MEMBERS);
  });

  it('the unit file refuses members of a unit that is not a group, and a group as a member', () => {
    const file = (rows: string[]) => Buffer.from(['name,kind,email,members', ...rows].join('\n'));
    const problems = (rows: string[]) => {
      try {
        parseUnitFile(file(rows));
        return [];
      } catch (err) {
        if (!(err instanceof ImportError)) throw err;
        return err.problems.map((p) => `${p.line}:${p.column}:${p.message}`);
      }
    };
    expect(problems(['A,wydział,,', 'G,grupa,,A'])).toEqual([]);
    expect(parseUnitFile(file(['A,wydział,,', 'G,grupa,,A|B'])).at(1)?.members).toEqual(['A', 'B']);
    expect(problems(['A,wydział,,B'])).toEqual(['2:members:członków może mieć tylko grupa jednostek (rodzaj „grupa”)']);
    expect(problems(['A,wydział,,', 'G,grupa,,', 'H,grupa,,G|A'])).toEqual([
      '4:members:„G” jest grupą: grupa może zawierać tylko pojedyncze jednostki',
    ]);
    // the column is optional: older unit files still import
    expect(parseUnitFile(Buffer.from('name,kind,email\nA,wydział,\n'))[0]?.members).toEqual([]);
  });
});
