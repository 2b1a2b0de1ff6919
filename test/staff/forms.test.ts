import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName, workflowSnapshot } from '../helpers.js';

/** Bad input on every staff form is shown back in Polish on the form, with nothing saved. */
let app: App;
let admin: Agent;
let unitAgent: Agent;
let pid: number;
const unitId = (name: string) => unitIdByName(app, name);
const version = () =>
  (app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(pid) as { version: number }).version;
const writes = () => workflowSnapshot(app);
const yesterday = () => todayInWarsaw(new Date(Date.now() - 86_400_000));
const future = () => todayInWarsaw(new Date(Date.now() + 20 * 86_400_000));
const long = (n: number) => 'ą'.repeat(n);

beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 11);
  await createUser(app, 'admin@t.test', 'admin');
  await createUser(app, 'tak@t.test', 'unit', ['Toruńska Agenda Kulturalna']);
  admin = new Agent(app);
  await admin.login('admin@t.test');
  unitAgent = new Agent(app);
  await unitAgent.login('tak@t.test');
});
afterAll(async () => {
  await app.close();
});

async function expectRefused(
  agent: Agent,
  url: string,
  form: Record<string, string | string[] | number>,
  message: string,
  fieldId?: string,
) {
  await agent.get(`/staff/proposals/${pid}`);
  const before = writes();
  const res = await agent.post(url, form);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(422);
  expect(res.body).toContain('Popraw błędy w formularzu');
  expect(res.body).toContain(message);
  if (fieldId) {
    expect(res.body).toContain(`href="#${fieldId}"`);
    expect(res.body).toContain(`id="${fieldId}"`);
  }
  expect(writes()).toBe(before);
  return res;
}

describe('assignment form', () => {
  const url = () => `/proposals/${pid}/assignments`;
  it('empty', () =>
    expectRefused(
      admin,
      url(),
      { version: version(), dueDate: '' },
      'Wybierz co najmniej jedną jednostkę.',
      'assign-unitIds',
    ));
  it('past due date', () =>
    expectRefused(
      admin,
      url(),
      { version: version(), unitIds: String(unitId('Toruńska Agenda Kulturalna')), dueDate: yesterday() },
      'Termin stanowiska nie może być w przeszłości.',
      'assign-dueDate',
    ));
  it('impossible date', () =>
    expectRefused(
      admin,
      url(),
      { version: version(), unitIds: String(unitId('Toruńska Agenda Kulturalna')), dueDate: '2026-02-30' },
      'Taka data nie istnieje.',
    ));
  it('unknown unit', () =>
    expectRefused(
      admin,
      url(),
      { version: version(), unitIds: '99999', dueDate: future() },
      'Wybrano jednostkę, której nie ma w katalogu.',
    ));
  it('lead outside the chosen units', () =>
    expectRefused(
      admin,
      url(),
      {
        version: version(),
        unitIds: String(unitId('Toruńska Agenda Kulturalna')),
        leadUnitId: String(unitId('Urbitor')),
        dueDate: future(),
      },
      'Jednostka wiodąca musi być jedną z przypisanych jednostek.',
    ));
  it('keeps what was typed', async () => {
    const res = await expectRefused(
      admin,
      url(),
      { version: version(), unitIds: String(unitId('Toruńska Agenda Kulturalna')), dueDate: yesterday() },
      'nie może być w przeszłości',
    );
    expect(res.body).toContain(`value="${yesterday()}"`);
    expect(res.body).toMatch(new RegExp(`name="unitIds" value="${unitId('Toruńska Agenda Kulturalna')}" checked`));
  });
});

describe('position form', () => {
  beforeAll(async () => {
    await admin.get(`/staff/proposals/${pid}`);
    const res = await admin.post(`/proposals/${pid}/assignments`, {
      version: version(),
      unitIds: String(unitId('Toruńska Agenda Kulturalna')),
      dueDate: future(),
    });
    expect(res.statusCode).toBe(303);
  });
  const url = () => `/proposals/${pid}/positions`;
  const tak = () => unitId('Toruńska Agenda Kulturalna');
  it('submitting without an outcome', () =>
    expectRefused(
      unitAgent,
      url(),
      { unitId: tak(), positionVersion: 0, action: 'submit', outcome: '', justification: '' },
      'Wybierz proponowany sposób rozpatrzenia.',
      `position-${tak()}-outcome`,
    ));
  it('a wrong outcome', () =>
    expectRefused(
      unitAgent,
      url(),
      { unitId: tak(), positionVersion: 0, action: 'submit', outcome: 'odrzucona', justification: 'x' },
      'Wybierz proponowany sposób rozpatrzenia z listy.',
    ));
  it('"nieuwzględniona" without a justification', () =>
    expectRefused(
      unitAgent,
      url(),
      { unitId: tak(), positionVersion: 0, action: 'submit', outcome: 'nieuwzgledniona', justification: '  ' },
      'Uzasadnienie jest wymagane, gdy propozycja ma być nieuwzględniona.',
      `position-${tak()}-justification`,
    ));
  it('too long', () =>
    expectRefused(
      unitAgent,
      url(),
      { unitId: tak(), positionVersion: 0, action: 'submit', outcome: 'uwzgledniona', justification: long(5001) },
      'Uzasadnienie może mieć najwyżej 5000 znaków.',
    ));
});

describe('decision, status, duplicate, correction and note forms', () => {
  beforeAll(async () => {
    const tak = unitId('Toruńska Agenda Kulturalna');
    await unitAgent.get(`/staff/proposals/${pid}`);
    const res = await unitAgent.post(`/proposals/${pid}/positions`, {
      unitId: tak,
      positionVersion: 0,
      action: 'submit',
      outcome: 'uwzgledniona',
      justification: 'TAK obniży stawki.',
    });
    expect(res.statusCode).toBe(303);
    expect(
      (app.database.sqlite.prepare('SELECT status FROM proposals WHERE id = ?').get(pid) as { status: string }).status,
    ).toBe('stanowiska-zebrane');
  });
  it('decision: empty', () =>
    expectRefused(
      admin,
      `/proposals/${pid}/decision`,
      { version: version(), outcome: '', text: '' },
      'Wybierz sposób rozpatrzenia z listy.',
      'decision-outcome',
    ));
  it('decision: wrong outcome and too long', async () => {
    const res = await expectRefused(
      admin,
      `/proposals/${pid}/decision`,
      { version: version(), outcome: 'xyz', text: long(10001) },
      'Wybierz sposób rozpatrzenia z listy.',
    );
    expect(res.body).toContain('Opis może mieć najwyżej 10000 znaków.');
  });
  it('status: not available before a decision', () =>
    expectRefused(
      admin,
      `/proposals/${pid}/status`,
      { version: version(), target: 'zrealizowana' },
      'ręcznie można go zmienić dopiero po publikacji decyzji',
    ));
  it('duplicate: empty LP', () =>
    expectRefused(
      admin,
      `/proposals/${pid}/duplicate`,
      { version: version(), duplicateOfLp: '' },
      'Numer LP musi być dodatni.',
    ));
  it('duplicate: not a number', () =>
    expectRefused(
      admin,
      `/proposals/${pid}/duplicate`,
      { version: version(), duplicateOfLp: 'abc' },
      'Podaj numer LP propozycji, której to jest duplikat.',
    ));
  it('correction: empty reason', () =>
    expectRefused(
      admin,
      `/proposals/${pid}/corrections`,
      { version: version(), field: 'lp', value: '12', reason: '' },
      'Podaj powód poprawki.',
      'correction-reason',
    ));
  it('correction: LP already taken', () =>
    expectRefused(
      admin,
      `/proposals/${pid}/corrections`,
      { version: version(), field: 'lp', value: '12', reason: 'skan' },
      'Numer LP 12 ma już inna propozycja w tych konsultacjach.',
    ));
  it('correction: theme too long', () =>
    expectRefused(
      admin,
      `/proposals/${pid}/corrections`,
      { version: version(), field: 'tableTheme', value: long(301), reason: 'skan' },
      'Temat stolika może mieć najwyżej 300 znaków.',
    ));
  it('note: empty', () =>
    expectRefused(admin, `/proposals/${pid}/notes`, { text: '   ' }, 'Wpisz treść notatki.', 'note-text'));
  it('note: too long', () =>
    expectRefused(admin, `/proposals/${pid}/notes`, { text: long(5001) }, 'Notatka może mieć najwyżej 5000 znaków.'));
});
