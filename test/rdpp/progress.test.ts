import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName } from '../helpers.js';

/**
 * "Postęp konsultacji" over HTTP on the Toruń data: the counts after a small real workflow (assign, positions,
 * a decision, a duplicate), the lists every count links to, sorting, and the CSV and XLSX exports read back.
 */
const EDU = 'Wydział Edukacji';
const KULTURA = 'Wydział Kultury';
let app: App;
let admin: Agent;
let edu: Agent;
let kultura: Agent;
const sql = (q: string, ...args: unknown[]) => app.database.sqlite.prepare(q).run(...args);
const version = (id: number) =>
  (app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(id) as { version: number }).version;
const unitId = (name: string) => unitIdByName(app, name);
const inDays = (days: number) => todayInWarsaw(new Date(Date.now() + days * 86_400_000));

async function assign(lp: number, units: string[]) {
  const id = idOfLp(app, lp);
  const res = await admin.post(`/proposals/${id}/assignments`, {
    version: version(id),
    unitIds: units.map((u) => String(unitId(u))),
    leadUnitId: String(unitId(units[0]!)),
    dueDate: inDays(14),
  });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
}

async function submit(agent: Agent, lp: number, unit: string, outcome = 'uwzgledniona') {
  const id = idOfLp(app, lp);
  await agent.get(`/staff/proposals/${id}`);
  const res = await agent.post(`/proposals/${id}/positions`, {
    unitId: unitId(unit),
    positionVersion: 0,
    action: 'submit',
    outcome,
    justification: `Stanowisko: ${unit}.`,
  });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
}

/** The href of the link whose text is exactly `n` inside the table row headed `rowHeader`. */
function linkInRow(html: string, rowHeader: string, n: number): string[] {
  const row = html.split('<tr').find((r) => r.includes(`>${rowHeader}<`));
  if (!row) throw new Error(`no row ${rowHeader}`);
  return [...row.matchAll(/<a href="([^"]+)"[^>]*>(\d+)<\/a>/g)].filter((m) => Number(m[2]) === n).map((m) => m[1]!);
}
const unescapeAmp = (href: string) => href.replaceAll('&amp;', '&');
const rowsOf = (html: string) => [...html.matchAll(/<a href="\/staff\/proposals\/(\d+)">/g)].map((m) => Number(m[1]));

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'edu@t.test', 'unit', [EDU]);
  await createUser(app, 'kultura@t.test', 'unit', [KULTURA]);
  admin = new Agent(app);
  edu = new Agent(app);
  kultura = new Agent(app);
  await admin.login('admin@t.test');
  await edu.login('edu@t.test');
  await kultura.login('kultura@t.test');

  await assign(10, [EDU]); // Edukacja never answers: overdue once its due date has passed
  await assign(11, [EDU, KULTURA]); // Edukacja answers, Kultura does not (not yet due)
  await assign(12, [KULTURA]); // Kultura answers, then the admin decides
  await submit(edu, 11, EDU);
  await submit(kultura, 12, KULTURA, 'czesciowo-uwzgledniona');
  const lp12 = idOfLp(app, 12);
  await admin.get(`/staff/proposals/${lp12}`);
  const decision = await admin.post(`/proposals/${lp12}/decision`, {
    version: version(lp12),
    outcome: 'czesciowo-uwzgledniona',
    text: 'Uwzględniono w części.',
  });
  expect(decision.statusCode, decision.body.slice(0, 500)).toBe(303);
  const lp13 = idOfLp(app, 13);
  const dup = await admin.post(`/proposals/${lp13}/duplicate`, { version: version(lp13), duplicateOfLp: '12' });
  expect(dup.statusCode).toBe(303);

  // time passes: LP 10's due date was 9 days ago; the units were asked 4 (Edukacja) and 7 (Kultura) days
  // before their positions
  sql('UPDATE assignments SET due_date = ? WHERE proposal_id = ?', inDays(-9), idOfLp(app, 10));
  const backdate = (lp: number, unit: string, days: number) => {
    const first = app.database.sqlite
      .prepare(
        `SELECT min(v.submitted_at) at FROM position_versions v JOIN positions p ON p.id = v.position_id
         WHERE p.proposal_id = ? AND p.unit_id = ?`,
      )
      .get(idOfLp(app, lp), unitId(unit)) as { at: string };
    const asked = new Date(Date.parse(first.at) - days * 86_400_000).toISOString();
    sql(
      'UPDATE assignments SET created_at = ? WHERE proposal_id = ? AND unit_id = ?',
      asked,
      idOfLp(app, lp),
      unitId(unit),
    );
  };
  backdate(11, EDU, 4);
  backdate(12, KULTURA, 7);
});
afterAll(async () => {
  await app.close();
});

describe('the progress page', () => {
  it('is the admin’s home page, titled for the RDPP, with the decided share and a total of 71', async () => {
    const res = await admin.get('/staff');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Postęp konsultacji</h1>');
    expect(res.body).toContain('<title>Postęp konsultacji – Konsultacje Toruń</title>');
    expect(res.body).toMatch(/Rozstrzygnięto <strong>1 z 71<\/strong> propozycji \(1,4\u00a0%\)/);
    expect(res.body).toContain(
      'Stanowiska po terminie: <a href="/staff/proposals?position=po-terminie">1 w 1 propozycji',
    );
    // the outcome table: counts with percentages of 71, linked to the list behind them
    expect(linkInRow(res.body, 'rozstrzygnięte: częściowo uwzględniona', 1)).toEqual([
      '/staff/proposals?outcome=czesciowo-uwzgledniona',
    ]);
    expect(linkInRow(res.body, 'Wszystkie propozycje', 71)).toEqual(['/staff/proposals']);
    expect(linkInRow(res.body, 'nowe, jeszcze nieprzekazane', 67)).toEqual(['/staff/proposals?status=nowa']);
    expect(linkInRow(res.body, 'przekazane, czekają na stanowiska', 2)).toHaveLength(1);
    expect(linkInRow(res.body, 'połączone z inną propozycją (duplikaty)', 1)).toHaveLength(1);
    expect((await admin.get('/staff/progress')).body).toContain('<h1>Postęp konsultacji</h1>');
  });

  it('per unit: assigned, submitted, waiting, overdue, the oldest overdue in days and the median days', async () => {
    const res = await admin.get('/staff/progress');
    const row = (name: string) =>
      res.body
        .split('<tr')
        .find((r) => r.includes(`<th scope="row">${name}</th>`))!
        .replace(/^[^>]*>/, '')
        .split('</tr>')[0]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
    // Edukacja: LP 10 (overdue 9 days) and LP 11 (answered after 4 days)
    expect(row(EDU)).toBe(`${EDU} 2 1 1 1 9 4`);
    // Kultura: LP 11 (waiting, not due) and LP 12 (answered after 7 days, decided)
    expect(row(KULTURA)).toBe(`${KULTURA} 2 1 1 0 – 7`);
    expect(linkInRow(res.body, EDU, 1).map(unescapeAmp)).toEqual(
      expect.arrayContaining([
        '/staff/proposals?unit=wydzial-edukacji&position=zlozone',
        '/staff/proposals?unit=wydzial-edukacji&position=po-terminie',
      ]),
    );
  });

  it('every count links to a list with exactly that many proposals', async () => {
    const res = await admin.get('/staff/progress');
    const links = [...res.body.matchAll(/<a href="(\/staff\/proposals\?[^"]*)"[^>]*>(\d+)</g)];
    expect(links.length).toBeGreaterThan(15);
    for (const [, href, n] of links) {
      const list = await admin.get(unescapeAmp(href!));
      expect(list.statusCode, href).toBe(200);
      expect(rowsOf(list.body), href).toHaveLength(Number(n));
    }
  });

  it('the list behind a unit’s overdue count names the unit, the state and the proposal', async () => {
    const res = await admin.get('/staff/proposals?unit=wydzial-edukacji&position=po-terminie');
    expect(res.body).toContain('<h1>Propozycje: przekazane do: Wydział Edukacji, stanowisko po terminie</h1>');
    expect(rowsOf(res.body)).toEqual([idOfLp(app, 10)]);
    expect(res.body).toContain('<span class="overdue">po terminie</span>');
    const decided = await admin.get('/staff/proposals?outcome=czesciowo-uwzgledniona');
    expect(rowsOf(decided.body)).toEqual([idOfLp(app, 12)]);
    expect(decided.body).toContain('częściowo uwzględniona');
  });

  it('sorts the unit table on the server (?sort=…&dir=…), marking the sorted column', async () => {
    const order = (html: string) =>
      [EDU, KULTURA].sort((a, b) => html.indexOf(`<th scope="row">${a}`) - html.indexOf(`<th scope="row">${b}`));
    const byOverdue = await admin.get('/staff/progress?sort=overdue');
    expect(order(byOverdue.body)).toEqual([EDU, KULTURA]);
    const byMedian = await admin.get('/staff/progress?sort=medianDays&dir=desc');
    expect(order(byMedian.body)).toEqual([KULTURA, EDU]);
    expect(byMedian.body).toMatch(/<th scope="col" class="num" aria-sort="descending">\s*<a href="[^"]*dir=asc/);
    const byName = await admin.get('/staff/progress?sort=name&dir=desc');
    expect(order(byName.body)).toEqual([KULTURA, EDU]);
    // the workshop tables sort on their own parameters, keeping the unit table's order
    const tables = await admin.get('/staff/progress?sort=name&dir=desc&tableSort=number&tableDir=desc');
    expect(tables.body.indexOf('>Stolik 7')).toBeLessThan(tables.body.indexOf('>Stolik 1'));
    expect(order(tables.body)).toEqual([KULTURA, EDU]);
  });

  it('refuses an unknown sort column or consultation in Polish', async () => {
    const bad = await admin.get('/staff/progress?sort=haslo');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Nieznana kolumna sortowania tabeli jednostek.');
    expect((await admin.get('/staff/progress?consultation=nie-ma')).statusCode).toBe(404);
    expect((await admin.get('/staff/proposals?unit=nie-ma-takiej')).statusCode).toBe(404);
    expect((await admin.get('/staff/proposals?outcome=tak')).statusCode).toBe(400);
  });

  it('moves the old queue to /staff/queue ("Kolejka spraw")', async () => {
    const res = await admin.get('/staff/queue');
    expect(res.body).toContain('<h1>Kolejka spraw</h1>');
    expect(res.body).toContain('Stanowiska po terminie (1)');
  });
});

describe('exports', () => {
  it('CSV: BOM, semicolons, decimal commas, the same figures; formula-like text is neutralized', async () => {
    const units = await admin.get('/staff/progress/units.csv?sort=name');
    expect(units.statusCode).toBe(200);
    expect(units.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(units.headers['content-disposition']).toBe('attachment; filename="torun-2026-jednostki.csv"');
    expect(units.body.split('\r\n')).toEqual([
      '\ufeffJednostka;Przekazane propozycje;Stanowiska złożone;Czeka na stanowisko;Po terminie;' +
        'Najdłużej po terminie (dni);Mediana dni do odpowiedzi',
      `${EDU};2;1;1;1;9;4`,
      `${KULTURA};2;1;1;0;;7`,
      '',
    ]);
    const outcomes = await admin.get('/staff/progress/outcomes.csv');
    expect(outcomes.body).toContain('\r\nczęściowo uwzględniona;1;1,4\r\n');
    expect(outcomes.body).toContain('\r\nWszystkie propozycje;71;100\r\n');
    const tables = await admin.get('/staff/progress/tables.csv');
    expect(tables.body.split('\r\n')).toHaveLength(1 + 7 + 1);

    // a unit whose name starts like a formula
    sql('UPDATE units SET name = ? WHERE name = ?', '=HYPERLINK("http://x")', KULTURA);
    try {
      const evil = await admin.get('/staff/progress/units.csv?sort=name');
      expect(evil.body).toContain(`\r\n"'=HYPERLINK(""http://x"")";2;1;1;0;;7\r\n`);
    } finally {
      sql('UPDATE units SET name = ? WHERE name = ?', KULTURA, '=HYPERLINK("http://x")');
    }
  });

  it('XLSX: three sheets read back with exceljs, numbers as numbers, text never a formula', async () => {
    sql('UPDATE units SET name = ? WHERE name = ?', '=1+1', KULTURA);
    let res: Awaited<ReturnType<Agent['get']>>;
    try {
      res = await admin.app.inject({
        url: '/staff/progress.xlsx?sort=name',
        headers: { cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
    } finally {
      sql('UPDATE units SET name = ? WHERE name = ?', KULTURA, '=1+1');
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Rozstrzygnięcia', 'Jednostki', 'Stoliki']);
    const values = (name: string) =>
      workbook
        .getWorksheet(name)!
        .getSheetValues()
        .slice(1)
        .map((r) => (r as unknown[]).slice(1));
    const outcomes = values('Rozstrzygnięcia');
    expect(outcomes[0]).toEqual(['Stan propozycji', 'Liczba propozycji', 'Udział (%)']);
    expect(outcomes).toContainEqual(['częściowo uwzględniona', 1, 1.4]);
    expect(outcomes.at(-1)).toEqual(['Wszystkie propozycje', 71, 100]);
    const units = values('Jednostki');
    expect(units.slice(1)).toEqual([
      ['=1+1', 2, 1, 1, 0, undefined, 7],
      [EDU, 2, 1, 1, 1, 9, 4],
    ]);
    // the formula-like name is a plain string cell
    expect(workbook.getWorksheet('Jednostki')!.getCell('A2').type).toBe(ExcelJS.ValueType.String);
    const tables = values('Stoliki');
    expect(tables).toHaveLength(8);
    expect(tables.slice(1).reduce((sum, r) => sum + (r[2] as number), 0)).toBe(71);
  });
});
