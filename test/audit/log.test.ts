import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/db/schema/workflow.js';
import { nextDay, todayInWarsaw } from '../../src/lib/dates.js';
import { changeProposal } from '../../src/workflow/change.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName, workflowSnapshot } from '../helpers.js';

/**
 * "Dziennik zmian": the work on proposals (assignments, due dates, positions – also on a unit's behalf –,
 * decisions, reopenings, duplicates, corrections, notes) beside the account audit, read through one presenter;
 * filtered by person, action and days; paged; as CSV. Everything below is done through the real forms.
 */
const EDU = 'Wydział Edukacji';
const KULTURA = 'Wydział Kultury';
let app: App;
let admin: Agent;
let edu: Agent;
let adminId: number;
let eduId: number;
let lp10: number;
let lp11: number;
const inDays = (days: number) => todayInWarsaw(new Date(Date.now() + days * 86_400_000));
const versionIn = (html: string) => Number(/name="version" value="(\d+)"/.exec(html)![1]);
const unitId = (name: string) => unitIdByName(app, name);

async function post(agent: Agent, id: number, path: string, form: Record<string, string | number | string[]>) {
  const page = await agent.get(`/staff/proposals/${id}`);
  const res = await agent.post(`/proposals/${id}${path}`, { version: versionIn(page.body), ...form });
  expect(res.statusCode, `${path}: ${res.body.slice(0, 600)}`).toBe(303);
}

/** The log's entries as [action, subject, actor] in the order shown. */
function entries(html: string) {
  const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
  const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => c[1]!),
  );
  // "Żaden wpis…" is one cell across the table
  return rows
    .filter((cells) => cells.length === 5)
    .map((cells) => {
      const strip = (s: string) =>
        s
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim();
      return {
        actor: strip(cells[1] ?? ''),
        action: strip(cells[2] ?? ''),
        subject: cells[3] ?? '',
        details: strip(cells[4] ?? ''),
      };
    });
}

beforeAll(async () => {
  app = await build();
  adminId = await createUser(app, 'biuro@t.test', 'admin');
  eduId = await createUser(app, 'edu@t.test', 'unit', [EDU]);
  await createUser(app, 'rdpp@t.test', 'reviewer');
  admin = new Agent(app);
  edu = new Agent(app);
  await admin.login('biuro@t.test');
  await edu.login('edu@t.test');
  lp10 = idOfLp(app, 10);
  lp11 = idOfLp(app, 11);

  // LP 10: assigned to two units, a due date moved, one position by the unit, one recorded on the other's
  // behalf, a decision, then reopened
  await post(admin, lp10, '/assignments', {
    unitIds: [String(unitId(EDU)), String(unitId(KULTURA))],
    leadUnitId: String(unitId(EDU)),
    dueDate: inDays(14),
  });
  const eduAssignment = (
    app.database.sqlite
      .prepare('SELECT id FROM assignments WHERE proposal_id = ? AND unit_id = ?')
      .get(lp10, unitId(EDU)) as { id: number }
  ).id;
  await post(admin, lp10, `/assignments/${eduAssignment}`, { dueDate: inDays(21), lead: 'on' });
  await edu.get(`/staff/proposals/${lp10}`);
  expect(
    (
      await edu.post(`/proposals/${lp10}/positions`, {
        unitId: unitId(EDU),
        positionVersion: 0,
        action: 'submit',
        outcome: 'uwzgledniona',
        justification: 'Edukacja: tak.',
      })
    ).statusCode,
  ).toBe(303);
  await admin.get(`/staff/proposals/${lp10}`);
  expect(
    (
      await admin.post(`/proposals/${lp10}/positions`, {
        unitId: unitId(KULTURA),
        positionVersion: 0,
        action: 'submit',
        outcome: 'czesciowo-uwzgledniona',
        justification: 'Kultura: w części.',
        basisKind: 'pismo',
        basisDate: '2026-11-20',
      })
    ).statusCode,
  ).toBe(303);
  const cited = [
    ...(await admin.get(`/staff/proposals/${lp10}`)).body.matchAll(/name="citedPositionIds" value="(\d+)"/g),
  ].map((m) => m[1]!);
  expect(cited).toHaveLength(2);
  await post(admin, lp10, '/decision', { outcome: 'uwzgledniona', text: 'Uwzględniona.', citedPositionIds: cited });
  await post(admin, lp10, '/status', { target: 'reopen', reason: 'Nowe informacje od Wydziału Kultury.' });
  // LP 11: a duplicate of LP 10, undone; a corrected table theme; an internal note starting like a formula
  await post(admin, lp11, '/duplicate', { duplicateOfLp: '10', reason: 'Ten sam postulat.' });
  await post(admin, lp11, '/duplicate/removal', {});
  await post(admin, lp11, '/corrections', {
    field: 'tableTheme',
    value: 'Wsparcie organizacji',
    reason: 'Według notatek moderatorki.',
  });
  await admin.get(`/staff/proposals/${lp11}`);
  expect((await admin.post(`/proposals/${lp11}/notes`, { text: '=HYPERLINK("http://zle.example")' })).statusCode).toBe(
    303,
  );
  // and an account change, from the account form
  await admin.get('/staff/users/new');
  expect(
    (
      await admin.post('/staff/users', {
        email: 'nowa@t.test',
        name: 'Nowa Osoba',
        role: 'reviewer',
        password: 'Haslo-dla-nowej-2026',
      })
    ).statusCode,
  ).toBe(303);
});
afterAll(async () => {
  await app.close();
});

describe('the log of proposal work', () => {
  it('names every piece of work, who did it and on which LP (linked), newest first, with the account changes', async () => {
    const res = await admin.get('/staff/audit');
    expect(res.statusCode).toBe(200);
    const list = entries(res.body);
    expect(list.map((e) => e.action)).toEqual([
      'utworzenie konta',
      'notatka wewnętrzna',
      'korekta numeru LP lub tematu stolika',
      'cofnięcie oznaczenia jako duplikat',
      'oznaczenie jako duplikat',
      'ponowne otwarcie (wycofanie decyzji)',
      'publikacja decyzji',
      'stanowisko wpisane przez Biuro w imieniu jednostki',
      'złożenie stanowiska',
      'zmiana terminu stanowiska',
      'przekazanie do jednostek',
      // the test's own accounts, made as the command line makes them
      'utworzenie konta',
      'utworzenie konta',
      'utworzenie konta',
    ]);
    expect(list.at(-1)!.actor).toBe('wiersz poleceń lub system');
    const byAction = (action: string) => list.find((e) => e.action === action)!;
    expect(byAction('złożenie stanowiska').actor).toBe('edu@t.test');
    expect(byAction('publikacja decyzji').actor).toBe('biuro@t.test');
    for (const e of list.slice(1, 5)) expect(e.subject).toContain(`<a href="/staff/proposals/${lp11}">LP 11</a>`);
    for (const e of list.slice(5, 11)) expect(e.subject).toContain(`<a href="/staff/proposals/${lp10}">LP 10</a>`);
    expect(byAction('utworzenie konta').subject).toMatch(/<a href="\/staff\/users\/\d+">nowa@t.test<\/a>/);

    // each entry says what it wrote, consequences included, in the sentences of the proposal's history
    expect(byAction('przekazanie do jednostek').details).toContain('Przekazano do: Wydział Edukacji');
    expect(byAction('przekazanie do jednostek').details).toContain('Zmiana statusu: nowa → przekazana');
    expect(byAction('zmiana terminu stanowiska').details).toMatch(/Zmiana przekazania do: Wydział Edukacji \(termin /);
    expect(byAction('stanowisko wpisane przez Biuro w imieniu jednostki').details).toContain(
      'Stanowisko jednostki Wydział Kultury wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026',
    );
    expect(byAction('publikacja decyzji').details).toContain('Opublikowano decyzję: propozycja uwzględniona');
    expect(byAction('publikacja decyzji').details).toContain('Opublikowano stanowisko jednostki Wydział Edukacji');
    expect(byAction('ponowne otwarcie (wycofanie decyzji)').details).toContain(
      '– „Nowe informacje od Wydziału Kultury.”',
    );
    expect(byAction('oznaczenie jako duplikat').details).toContain('Oznaczono jako duplikat propozycji LP 10');
    expect(byAction('korekta numeru LP lub tematu stolika').details).toContain('„Wsparcie organizacji”');
    // the note's text, escaped
    expect(byAction('notatka wewnętrzna').details).toContain(
      'Notatka wewnętrzna – „=HYPERLINK(&quot;http://zle.example&quot;)”',
    );
  });

  it('filters by person, by action (the derived ones too) and by day, keeping the filters in the form', async () => {
    const actions = async (query: string) =>
      entries((await admin.get(`/staff/audit?${query}`)).body).map((e) => e.action);
    expect(await actions(`person=${eduId}`)).toEqual(['złożenie stanowiska']);
    expect(await actions('action=assignment.due-changed')).toEqual(['zmiana terminu stanowiska']);
    expect(await actions('action=status.reopened')).toEqual(['ponowne otwarcie (wycofanie decyzji)']);
    expect(await actions('action=position.on-behalf')).toEqual(['stanowisko wpisane przez Biuro w imieniu jednostki']);
    // a status change is found in the entries that caused it, named by what caused it
    expect(await actions('action=status.changed')).toEqual([
      'cofnięcie oznaczenia jako duplikat',
      'oznaczenie jako duplikat',
      'publikacja decyzji',
      'stanowisko wpisane przez Biuro w imieniu jednostki',
      'przekazanie do jednostek',
    ]);
    expect(await actions(`action=account.created&person=${adminId}`)).toEqual(['utworzenie konta']);
    expect(await actions('action=account.created')).toHaveLength(4);
    expect(await actions(`person=${adminId}&action=position.submitted`)).toEqual([]);
    const today = todayInWarsaw();
    expect(await actions(`from=${today}&to=${today}`)).toHaveLength(14);
    expect(await actions(`from=${nextDay(today)}`)).toEqual([]);
    expect(await actions(`to=${inDays(-1)}`)).toEqual([]);
    expect(await actions('person=system')).toEqual(['utworzenie konta', 'utworzenie konta', 'utworzenie konta']);

    const res = await admin.get(`/staff/audit?person=${eduId}&action=position.submitted&from=${today}`);
    expect(res.body).toContain(`<option value="${eduId}" selected>edu@t.test</option>`);
    expect(res.body).toContain('<option value="position.submitted" selected>złożenie stanowiska</option>');
    expect(res.body).toContain(`id="from" name="from" value="${today}"`);
    expect(res.body).toContain('<a href="/staff/audit">Wyczyść filtry</a>');
    expect(res.body).toContain(
      `href="/staff/audit.csv?person=${eduId}&amp;action=position.submitted&amp;from=${today}">Pobierz te wpisy jako CSV`,
    );
  });

  it('answers bad filters with the form as sent and a Polish error summary', async () => {
    const res = await admin.get('/staff/audit?person=kto&action=nic&from=2026-02-30&to=2026-13-01');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<a href="#person">Wybierz osobę z listy.</a>');
    expect(res.body).toContain('<a href="#action">Wybierz czynność z listy.</a>');
    expect(res.body).toContain('<a href="#from">Data „od”: taki dzień nie istnieje w kalendarzu.</a>');
    expect(res.body).toContain('<a href="#to">Data „do”: taki dzień nie istnieje w kalendarzu.</a>');
    expect(res.body).toMatch(/<title>Błąd: Dziennik zmian/);
    expect(res.body).toContain('value="2026-02-30"');
    expect(res.body).not.toContain('<tbody>');
    const reversed = await admin.get('/staff/audit?from=2026-11-26&to=2026-11-01');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.body).toContain('<a href="#to">Data „do” nie może być wcześniejsza niż data „od”.</a>');
    expect((await admin.get('/staff/audit.csv?action=nic')).statusCode).toBe(400);
  });

  it('pages the filtered entries, 50 at a time, each page link keeping the filters', async () => {
    for (let i = 0; i < 60; i++) {
      // each its own change (one instant each), earlier than the ones above
      const now = new Date(Date.now() - (i + 1) * 60_000);
      changeProposal(app.database.db, { proposalId: lp11, actorId: adminId, now }, ({ emit }) =>
        emit({ type: 'note.added', note: `notatka ${i}` }),
      );
    }
    const first = await admin.get('/staff/audit?action=note.added');
    expect(first.body).toContain('61 wpisów, strona 1 z 2');
    expect(entries(first.body)).toHaveLength(50);
    expect(first.body).toContain('href="/staff/audit?action=note.added&amp;page=2"');
    const second = await admin.get('/staff/audit?action=note.added&page=2');
    expect(entries(second.body)).toHaveLength(11);
    expect(second.body).toContain('href="/staff/audit?action=note.added" rel="prev"');
  });

  it('exports the filtered entries as CSV for Polish Excel, no cell read as a formula', async () => {
    const res = await admin.get('/staff/audit.csv?action=note.added');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="dziennik-zmian.csv"');
    expect(
      res.body.startsWith('\ufeffKiedy;Czas (ISO 8601, UTC);Kto;Czynność;Czego dotyczy;Propozycja;Szczegóły;Adres\r\n'),
    ).toBe(true);
    const lines = res.body.trim().split('\r\n');
    expect(lines).toHaveLength(62);
    expect(lines.at(-1)).toContain(';biuro@t.test;notatka wewnętrzna;LP 11;');
    expect(lines.at(-1)).toContain(`;http://127.0.0.1:3000/staff/proposals/${lp11}`);
    expect(res.body).toContain(';"Notatka wewnętrzna – „=HYPERLINK(""http://zle.example"")”";');
    const all = await admin.get('/staff/audit.csv');
    expect(all.body).toContain(';utworzenie konta;nowa@t.test;');
    // a cell that starts like a formula (here a unit's name, the subject of its entry) gets a quote
    await admin.get('/staff/units/new');
    expect((await admin.post('/staff/units', { name: '=2+3 Wydział', kind: 'wydział', email: '' })).statusCode).toBe(
      303,
    );
    const formula = await admin.get('/staff/audit.csv?action=unit.created');
    expect(formula.body).toContain(";dodanie jednostki do katalogu;'=2+3 Wydział;");
    expect(formula.body).not.toMatch(/;=2\+3/);
    const system = await admin.get('/staff/audit.csv?person=system');
    expect(system.body.trim().split('\r\n')).toHaveLength(4);
  });

  it('shows any kind of event a change records, without anything else to add', async () => {
    for (const type of EVENT_TYPES) {
      const before = workflowSnapshot(app);
      changeProposal(app.database.db, { proposalId: idOfLp(app, 12), actorId: eduId }, ({ emit }) =>
        emit({ type, after: { unitName: EDU }, note: `zdarzenie ${type}` }),
      );
      expect(workflowSnapshot(app)).not.toBe(before);
      const res = await admin.get(`/staff/audit?action=${type}&person=${eduId}`);
      expect(res.statusCode, type).toBe(200);
      const list = entries(res.body);
      expect(list[0]?.details, type).toContain(`zdarzenie ${type}`);
      expect(list[0]?.subject, type).toContain('>LP 12</a>');
    }
  });

  it('is for admins only', async () => {
    for (const email of ['edu@t.test', 'rdpp@t.test']) {
      const agent = new Agent(app);
      await agent.login(email);
      expect((await agent.get('/staff/audit?action=note.added')).statusCode, email).toBe(403);
      expect((await agent.get('/staff/audit.csv')).statusCode, email).toBe(403);
    }
    expect((await app.inject('/staff/audit.csv')).statusCode).toBe(303);
  });
});
