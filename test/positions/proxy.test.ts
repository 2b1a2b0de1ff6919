import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { FORMS } from '../../src/workbench/ids.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName, workflowSnapshot } from '../helpers.js';

/**
 * Positions by the office: an admin records a unit's position on its behalf (with the letter, e-mail or meeting
 * note it rests on), marked as such wherever it appears; nobody else may; drafts autosave through a fragment.
 */
let app: App;
let pid: number;
let adminId: number;
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const KULTURA = 'Wydział Kultury';
const BDIM = 'Biuro Dialogu i Innowacji Miejskich';
const MARK = 'Stanowisko wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026';
const unitId = (name: string) => unitIdByName(app, name);
const inDays = (n: number) => todayInWarsaw(new Date(Date.now() + n * 86_400_000));
const versionIn = (html: string) => Number(/name="version" value="(\d+)"/.exec(html)![1]);
const positionVersionIn = (html: string, unit: number) =>
  Number(
    new RegExp(`name="unitId" value="${unit}">\\s*<input type="hidden" name="positionVersion" value="(\\d+)"`).exec(
      html,
    )![1],
  );
const row = <T>(sql: string, ...args: unknown[]) => app.database.sqlite.prepare(sql).get(...args) as T;

let admin: Agent;
let zgm: Agent;
let kultura: Agent;
let reviewer: Agent;
let anonymous: Agent;

beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 7);
  adminId = await createUser(app, 'biuro@torun.test', 'admin');
  await createUser(app, 'zgm@torun.test', 'unit', [ZGM]);
  await createUser(app, 'kultura@torun.test', 'unit', [KULTURA]);
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  admin = new Agent(app);
  await admin.login('biuro@torun.test');
  zgm = new Agent(app);
  await zgm.login('zgm@torun.test');
  kultura = new Agent(app);
  await kultura.login('kultura@torun.test');
  reviewer = new Agent(app);
  await reviewer.login('rdpp@torun.test');
  anonymous = new Agent(app);
  await anonymous.get('/login');
  const page = await admin.get(`/staff/proposals/${pid}`);
  const res = await admin.post(`/proposals/${pid}/assignments`, {
    version: versionIn(page.body),
    unitIds: [String(unitId(ZGM)), String(unitId(KULTURA))],
    leadUnitId: String(unitId(ZGM)),
    dueDate: inDays(14),
  });
  expect(res.statusCode).toBe(303);
});
afterAll(async () => {
  await app.close();
});

const onBehalf = (extra: Record<string, string | number> = {}) => ({
  unitId: unitId(ZGM),
  positionVersion: 0,
  action: 'submit',
  outcome: 'czesciowo-uwzgledniona',
  justification: 'ZGM przekaże dwa lokale na Rubinkowie; Skarpa po remoncie w 2027 r.',
  basisKind: 'pismo',
  basisDate: '2026-11-20',
  ...extra,
});

describe('refused: nothing is written', () => {
  async function refused(agent: Agent, form: Record<string, string | number>, status: number, text?: string) {
    await agent.get(`/staff/proposals/${pid}`);
    const before = workflowSnapshot(app);
    const res = await agent.post(`/proposals/${pid}/positions`, form);
    if (!Number.isNaN(status)) expect(res.statusCode, res.body.slice(0, 400)).toBe(status);
    if (text) expect(res.body).toContain(text);
    expect(workflowSnapshot(app)).toBe(before);
    return res;
  }

  it('a unit member cannot record the position of another unit', () =>
    refused(kultura, onBehalf({ basisKind: '', basisDate: '' }), 403, 'tylko w imieniu swojej jednostki'));
  it('a unit member cannot set the basis fields, even for its own unit', async () => {
    await refused(zgm, onBehalf(), 403, 'Podstawę wpisu');
    await refused(zgm, onBehalf({ basisKind: '', basisDate: '2026-11-20' }), 403, 'Podstawę wpisu');
  });
  it('a reviewer and the public are refused', async () => {
    await refused(reviewer, onBehalf(), 403);
    // without a session: 401, or (keeping the typed text for after the login) a redirect to the login page
    const res = await refused(anonymous, onBehalf(), Number.NaN);
    expect([401, 303]).toContain(res.statusCode);
  });
  it('the admin cannot record a position for a unit that was not assigned', () =>
    refused(admin, onBehalf({ unitId: unitId(BDIM) }), 403, 'do której przekazano'));
  it('a letter dated in the future: 422 in Polish, the values kept', async () => {
    const future = inDays(3);
    const res = await refused(
      admin,
      onBehalf({ basisDate: future }),
      422,
      'Data pisma, e-maila lub spotkania nie może być późniejsza niż dzisiejsza.',
    );
    const pfx = `${FORMS.position(unitId(ZGM))}-`;
    expect(res.body).toContain(`href="#${pfx}basisDate"`);
    expect(res.body).toMatch(new RegExp(`id="${pfx}basisDate" name="basisDate"[^>]*value="${future}"`));
    expect(res.body).toContain('<option value="pismo" selected>');
    expect(res.body).toContain('ZGM przekaże dwa lokale na Rubinkowie; Skarpa po remoncie w 2027 r.');
    expect(res.body).toMatch(/<details class="on-behalf" open>/);
  });
  it('submitting on behalf without a basis: 422 naming the field', async () => {
    await refused(admin, onBehalf({ basisKind: '' }), 422, 'Wybierz, na jakiej podstawie wpisujesz stanowisko');
    await refused(admin, onBehalf({ basisDate: '' }), 422, 'Podaj datę pisma, e-maila lub spotkania.');
    await refused(admin, onBehalf({ basisKind: 'telefon' }), 422, 'Wybierz podstawę wpisu z listy');
    await refused(admin, onBehalf({ basisDate: '2026-02-30' }), 422, 'Taki dzień nie istnieje w kalendarzu.');
  });
});

describe('the admin records a position on behalf of a unit', () => {
  it('offers the folded on-behalf form with the basis on each unit card', async () => {
    const page = await admin.get(`/staff/proposals/${pid}`);
    expect(page.body).toContain('Wpisz stanowisko w imieniu jednostki');
    expect(page.body).toContain('<option value="notatka">notatka ze spotkania</option>');
    expect(page.body).toContain(`max="${todayInWarsaw()}"`);
    // a unit member writes as the unit: no basis fields
    const own = await zgm.get(`/staff/proposals/${pid}`);
    expect(own.body).not.toContain('name="basisKind"');
    expect(own.body).toContain('Złóż stanowisko');
  });

  it('stores the basis with the version, emits the event, lands on the confirmation', async () => {
    await admin.get(`/staff/proposals/${pid}`);
    const res = await admin.post(`/proposals/${pid}/positions`, onBehalf());
    expect(res.statusCode, res.body.slice(0, 400)).toBe(303);
    expect(res.headers.location).toBe(`/staff/proposals/${pid}?ok=stanowisko-wpisane#stanowiska`);
    expect(
      row(
        `SELECT v.number, v.outcome, v.on_behalf AS onBehalf, v.basis_kind AS basisKind, v.basis_date AS basisDate,
           v.submitted_by AS submittedBy FROM position_versions v JOIN positions p ON p.id = v.position_id
         WHERE p.proposal_id = ? AND p.unit_id = ?`,
        pid,
        unitId(ZGM),
      ),
    ).toEqual({
      number: 1,
      outcome: 'czesciowo-uwzgledniona',
      onBehalf: 1,
      basisKind: 'pismo',
      basisDate: '2026-11-20',
      submittedBy: adminId,
    });
    const event = row<{ type: string; after: string; actor: number }>(
      "SELECT type, after, actor_id AS actor FROM events WHERE proposal_id = ? AND type LIKE 'position.%'",
      pid,
    );
    expect(event.type).toBe('position.submitted');
    expect(event.actor).toBe(adminId);
    expect(JSON.parse(event.after)).toMatchObject({ onBehalf: true, basisKind: 'pismo', basisDate: '2026-11-20' });

    const page = await admin.get(res.headers.location as string);
    expect(page.body).toContain('wszędzie jest oznaczone jako wpisane przez Biuro Dialogu');
    expect(page.body).toContain(`${MARK}.`);
    expect(page.body).toContain(
      `Stanowisko jednostki ${ZGM} wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026: częściowo uwzględniona`,
    );
    // the unit sees the same mark on its card
    expect((await zgm.get(`/staff/proposals/${pid}`)).body).toContain(MARK);
  });
});

describe('drafts autosave (htmx fragment)', () => {
  const kulturaId = () => unitId(KULTURA);
  const autosave = (form: Record<string, string | number>) =>
    kultura.post(`/proposals/${pid}/positions`, form, {
      'hx-request': 'true',
      'hx-target': FORMS.positionDraftState(kulturaId()),
    });

  it('the unit form says the justification becomes public with a decision citing it, and keeps the text open', async () => {
    const page = await kultura.get(`/staff/proposals/${pid}`);
    expect(page.body).toContain(
      'Jeśli Biuro Dialogu przywoła to stanowisko w decyzji, uzasadnienie zostanie opublikowane razem z nią',
    );
    expect(page.body).toContain('Treść propozycji LP 7');
    expect(page.body).toContain(`hx-target="#${FORMS.positionDraftState(kulturaId())}"`);
    expect(page.body).toMatch(
      new RegExp(`<p class="draft-state" role="status" id="${FORMS.positionDraftState(kulturaId())}">\\s*</p>`),
    );
  });

  it('returns the draft-state line and the new version; a second autosave with it works', async () => {
    const page = await kultura.get(`/staff/proposals/${pid}`);
    const v0 = positionVersionIn(page.body, kulturaId());
    expect(v0).toBe(0);
    const first = await autosave({
      unitId: kulturaId(),
      positionVersion: v0,
      action: 'draft',
      outcome: '',
      justification: 'Wydział Kultury',
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers.vary).toContain('HX-Target');
    expect(first.body).not.toContain('<html');
    expect(first.body).toMatch(
      /Szkic zapisany \d{1,2} [a-ząćęłńóśźż]+ \d{4}, \d{2}:\d{2} – niezłożony \(zapisano automatycznie\)/,
    );
    const oob = new RegExp(
      `<input type="hidden" name="positionVersion" value="(\\d+)" id="position-${kulturaId()}-positionVersion" hx-swap-oob="true">`,
    ).exec(first.body);
    expect(oob?.[1]).toBe('1');

    const second = await autosave({
      unitId: kulturaId(),
      positionVersion: 1,
      action: 'draft',
      outcome: 'uwzgledniona',
      justification: 'Wydział Kultury ogłosi nabór w 2026 r.',
    });
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('value="2" id="position-');
    expect(
      row(
        'SELECT justification, version, submitted_at AS s FROM positions WHERE proposal_id = ? AND unit_id = ?',
        pid,
        kulturaId(),
      ),
    ).toEqual({
      justification: 'Wydział Kultury ogłosi nabór w 2026 r.',
      version: 2,
      s: null,
    });
    // a draft is not a submission: no event, no new version
    expect(row("SELECT count(*) AS n FROM events WHERE proposal_id = ? AND type = 'position.submitted'", pid)).toEqual({
      n: 1,
    });
  });

  it('a stale version is refused in the line (422), nothing saved', async () => {
    const before = workflowSnapshot(app);
    const stale = await autosave({ unitId: kulturaId(), positionVersion: 1, action: 'draft', justification: 'stare' });
    expect(stale.statusCode).toBe(422);
    expect(stale.body).toContain('Szkic nie został zapisany automatycznie: Ktoś inny zmienił');
    expect(workflowSnapshot(app)).toBe(before);
  });

  it('the autosave is refused to others like the form, and saves only drafts', async () => {
    const form = { unitId: kulturaId(), positionVersion: 2, action: 'draft', justification: 'x' };
    const headers = { 'hx-request': 'true', 'hx-target': FORMS.positionDraftState(kulturaId()) };
    const before = workflowSnapshot(app);
    await zgm.get(`/staff/proposals/${pid}`);
    expect((await zgm.post(`/proposals/${pid}/positions`, form, headers)).statusCode).toBe(403);
    await reviewer.get(`/staff/proposals/${pid}`);
    expect((await reviewer.post(`/proposals/${pid}/positions`, form, headers)).statusCode).toBe(403);
    // no session: 401, or nothing swapped (204) while the text is kept for after the login
    expect([401, 204]).toContain((await anonymous.post(`/proposals/${pid}/positions`, form, headers)).statusCode);
    expect((await autosave({ ...form, action: 'submit', outcome: 'uwzgledniona' })).statusCode).toBe(400);
    expect(workflowSnapshot(app)).toBe(before);
  });

  it('without JS, "Zapisz szkic" redirects and the card shows the draft state', async () => {
    await kultura.get(`/staff/proposals/${pid}`);
    const res = await kultura.post(`/proposals/${pid}/positions`, {
      unitId: kulturaId(),
      positionVersion: 2,
      action: 'draft',
      outcome: 'uwzgledniona',
      justification: 'Wydział Kultury ogłosi nabór w 2026 r. Szkic.',
    });
    expect(res.statusCode).toBe(303);
    const page = await kultura.get(res.headers.location as string);
    expect(page.body).toMatch(/role="status" id="position-\d+-szkic">\s*Szkic zapisany [^<]+ – niezłożony\./);
    expect(page.body).not.toContain('(zapisano automatycznie)');
    expect(positionVersionIn(page.body, kulturaId())).toBe(3);
    // the office's page shows the same state on the unit's card
    expect((await admin.get(`/staff/proposals/${pid}`)).body).toMatch(/Szkic zapisany [^<]+ – niezłożony/);
  });
});

describe('marked everywhere once published', () => {
  beforeAll(async () => {
    const page = await kultura.get(`/staff/proposals/${pid}`);
    const res = await kultura.post(`/proposals/${pid}/positions`, {
      unitId: unitId(KULTURA),
      positionVersion: positionVersionIn(page.body, unitId(KULTURA)),
      action: 'submit',
      outcome: 'uwzgledniona',
      justification: 'Wydział Kultury ogłosi nabór w 2026 r.',
    });
    expect(res.statusCode).toBe(303);
    const staffPage = await admin.get(`/staff/proposals/${pid}`);
    const ids = [...staffPage.body.matchAll(/name="citedPositionIds" value="(\d+)"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    const decided = await admin.post(`/proposals/${pid}/decision`, {
      version: versionIn(staffPage.body),
      outcome: 'czesciowo-uwzgledniona',
      text: 'ZGM udostępni dwa lokale na Rubinkowie; Wydział Kultury ogłosi nabór.',
      citedPositionIds: ids,
    });
    expect(decided.statusCode, decided.body.slice(0, 400)).toBe(303);
  });

  it('the public page marks the position and its history entry', async () => {
    const pub = await app.inject(`/proposals/${pid}`);
    expect(pub.body).toContain(`${MARK}.`);
    expect(pub.body.split(MARK)).toHaveLength(2); // the Kultura position carries no mark
    expect(pub.body).toContain(
      `${ZGM} (częściowo uwzględniona; stanowisko wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026)`,
    );
  });

  it('the JSON export carries recordedOnBehalf, basis and basisDate', async () => {
    const rows = (await app.inject('/export/proposals.json?q=rubinkowie')).json() as Record<string, any>[];
    const p = rows.find((r) => r.lp === 7)!;
    const byUnit = Object.fromEntries(p.positions.map((x: { unit: string }) => [x.unit, x]));
    expect(byUnit[ZGM]).toMatchObject({
      recordedOnBehalf: true,
      basis: 'pismo',
      basisDate: '2026-11-20',
      recordedNote: MARK,
    });
    expect(byUnit[KULTURA]).toMatchObject({ recordedOnBehalf: false, basis: null, basisDate: null, recordedNote: '' });
    const published = p.events.find(
      (e: { type: string; description: string }) => e.type === 'position.published' && e.description.includes(ZGM),
    );
    expect(published.description).toContain(
      '(wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026)',
    );
  });

  it('the report names who answered with the mark', async () => {
    const res = await app.inject('/raport');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(
      `${ZGM} (stanowisko wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026)`,
    );
  });
});
