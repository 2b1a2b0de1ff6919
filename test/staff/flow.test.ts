import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName } from '../helpers.js';

let app: App;
let lp7: number;
const unitId = (name: string) => unitIdByName(app, name);
const BDIM = 'Biuro Dialogu i Innowacji Miejskich';
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const inDays = (n: number) => todayInWarsaw(new Date(Date.now() + n * 86_400_000));
const versionIn = (html: string) => Number(/name="version" value="(\d+)"/.exec(html)![1]);
const positionVersionIn = (html: string, unit: number) =>
  Number(
    new RegExp(`name="unitId" value="${unit}">\\s*<input type="hidden" name="positionVersion" value="(\\d+)"`).exec(
      html,
    )![1],
  );
const status = (id: number) =>
  (app.database.sqlite.prepare('SELECT status FROM proposals WHERE id = ?').get(id) as { status: string }).status;
const eventTypes = (id: number) =>
  (
    app.database.sqlite.prepare('SELECT type FROM events WHERE proposal_id = ? ORDER BY id').all(id) as {
      type: string;
    }[]
  ).map((e) => e.type);

const admin = () => new Agent(app);
let adminAgent: Agent;
let bdimAgent: Agent;
let zgmAgent: Agent;

beforeAll(async () => {
  app = await build();
  lp7 = idOfLp(app, 7);
  await createUser(app, 'biuro@torun.test', 'admin');
  await createUser(app, 'bdim@torun.test', 'unit', [BDIM]);
  await createUser(app, 'zgm@torun.test', 'unit', [ZGM]);
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  adminAgent = admin();
  await adminAgent.login('biuro@torun.test');
  bdimAgent = new Agent(app);
  await bdimAgent.login('bdim@torun.test');
  zgmAgent = new Agent(app);
  await zgmAgent.login('zgm@torun.test');
});
afterAll(async () => {
  await app.close();
});

describe('from proposal to published decision (LP 7)', () => {
  it('admin assigns to two units with a lead and a due date', async () => {
    const page = await adminAgent.get(`/staff/proposals/${lp7}`);
    expect(page.statusCode).toBe(200);
    const res = await adminAgent.post(`/proposals/${lp7}/assignments`, {
      version: versionIn(page.body),
      unitIds: [String(unitId(BDIM)), String(unitId(ZGM))],
      leadUnitId: String(unitId(BDIM)),
      dueDate: inDays(14),
    });
    expect(res.statusCode).toBe(303);
    expect(status(lp7)).toBe('przekazana');
    expect(eventTypes(lp7)).toEqual(['assignment.added', 'assignment.added', 'status.changed']);
    const rows = app.database.sqlite
      .prepare('SELECT unit_id, lead, due_date FROM assignments WHERE proposal_id = ? ORDER BY unit_id')
      .all(lp7);
    expect(rows).toEqual(
      expect.arrayContaining([
        { unit_id: unitId(BDIM), lead: 1, due_date: inDays(14) },
        { unit_id: unitId(ZGM), lead: 0, due_date: inDays(14) },
      ]),
    );
    const pub = await app.inject(`/proposals/${lp7}`);
    expect(pub.body).toContain(`Przekazano do: ${BDIM} (wiodące), ${ZGM} – termin stanowisk`);
  });

  it('unit staff see it among "our proposals", awaiting their position', async () => {
    const home = await bdimAgent.get('/staff');
    expect(home.body).toContain('Nasze propozycje');
    expect(home.body).toContain(`/staff/proposals/${lp7}`);
    expect(home.body).toContain('czeka na nasze stanowisko');
  });

  it('a draft is kept but not submitted; submitting by both units collects the positions', async () => {
    let page = await bdimAgent.get(`/staff/proposals/${lp7}`);
    const draft = await bdimAgent.post(`/proposals/${lp7}/positions`, {
      unitId: unitId(BDIM),
      positionVersion: positionVersionIn(page.body, unitId(BDIM)),
      action: 'draft',
      outcome: 'uwzgledniona',
      justification: 'Szkic.',
    });
    expect(draft.statusCode).toBe(303);
    expect(draft.headers.location).toContain('ok=szkic');
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM position_versions').get()).toEqual({ n: 0 });

    page = await bdimAgent.get(`/staff/proposals/${lp7}`);
    expect(page.body).toContain('Szkic.');
    const submit = await bdimAgent.post(`/proposals/${lp7}/positions`, {
      unitId: unitId(BDIM),
      positionVersion: positionVersionIn(page.body, unitId(BDIM)),
      action: 'submit',
      outcome: 'czesciowo-uwzgledniona',
      justification: 'Biuro przygotuje wykaz lokali we współpracy z ZGM.',
    });
    expect(submit.statusCode).toBe(303);
    expect(status(lp7)).toBe('przekazana');

    page = await zgmAgent.get(`/staff/proposals/${lp7}`);
    const zgm = await zgmAgent.post(`/proposals/${lp7}/positions`, {
      unitId: unitId(ZGM),
      positionVersion: positionVersionIn(page.body, unitId(ZGM)),
      action: 'submit',
      outcome: 'juz-realizowana',
      justification: 'Lokale na Rubinkowie i Skarpie są oferowane w konkursach ZGM.',
    });
    expect(zgm.statusCode).toBe(303);
    expect(status(lp7)).toBe('stanowiska-zebrane');
  });

  it('a submitted position can be revised and every version is kept', async () => {
    const page = await bdimAgent.get(`/staff/proposals/${lp7}`);
    expect(page.body).toContain('Złóż poprawione stanowisko');
    const res = await bdimAgent.post(`/proposals/${lp7}/positions`, {
      unitId: unitId(BDIM),
      positionVersion: positionVersionIn(page.body, unitId(BDIM)),
      action: 'submit',
      outcome: 'uwzgledniona',
      justification: 'Biuro opublikuje wykaz lokali miejskich dla NGO w 2026 r.',
    });
    expect(res.statusCode).toBe(303);
    const versions = app.database.sqlite
      .prepare(`SELECT v.number, v.outcome FROM position_versions v JOIN positions p ON p.id = v.position_id
      WHERE p.proposal_id = ? AND p.unit_id = ? ORDER BY v.number`)
      .all(lp7, unitId(BDIM));
    expect(versions).toEqual([
      { number: 1, outcome: 'czesciowo-uwzgledniona' },
      { number: 2, outcome: 'uwzgledniona' },
    ]);
    expect(eventTypes(lp7).filter((t) => t.startsWith('position.'))).toEqual([
      'position.submitted',
      'position.submitted',
      'position.revised',
    ]);
  });

  it('admin reads positions side by side and publishes the decision', async () => {
    const page = await adminAgent.get(`/staff/proposals/${lp7}`);
    expect(page.body).toContain('Biuro opublikuje wykaz lokali miejskich dla NGO w 2026 r.');
    expect(page.body).toContain('Lokale na Rubinkowie i Skarpie są oferowane w konkursach ZGM.');
    const positionIds = [...page.body.matchAll(/name="citedPositionIds" value="(\d+)"/g)].map((m) => m[1]!);
    expect(positionIds).toHaveLength(2);
    const res = await adminAgent.post(`/proposals/${lp7}/decision`, {
      version: versionIn(page.body),
      outcome: 'uwzgledniona',
      text: 'W 2026 r. Biuro opublikuje wykaz lokali dla NGO na Rubinkowie i Skarpie.',
      citedPositionIds: positionIds,
    });
    expect(res.statusCode).toBe(303);
    expect(status(lp7)).toBe('rozstrzygnieta');
  });

  it('the public page and the JSON export show the decision, the positions and the timeline', async () => {
    const pub = await app.inject(`/proposals/${lp7}`);
    expect(pub.body).toContain('Propozycja uwzględniona');
    expect(pub.body).toContain('W 2026 r. Biuro opublikuje wykaz lokali dla NGO na Rubinkowie i Skarpie.');
    expect(pub.body).toContain('Lokale na Rubinkowie i Skarpie są oferowane w konkursach ZGM.');
    expect(pub.body).not.toContain('Szkic.');
    const rows = (await app.inject('/export/proposals.json?q=rubinkowie')).json() as Record<string, any>[];
    const p = rows.find((r) => r.lp === 7)!;
    expect(p.status).toBe('rozstrzygnieta');
    expect(p.decision).toMatchObject({
      outcome: 'uwzgledniona',
      text: 'W 2026 r. Biuro opublikuje wykaz lokali dla NGO na Rubinkowie i Skarpie.',
    });
    expect(p.decision.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(p.positions.map((x: { unit: string }) => x.unit).sort()).toEqual([BDIM, ZGM]);
    expect(p.positions.find((x: { unit: string }) => x.unit === BDIM).text).toBe(
      'Biuro opublikuje wykaz lokali miejskich dla NGO w 2026 r.',
    );
    // who answers is public (the assignments); drafts, submissions before the decision and notes are not
    expect(p.events.map((e: { type: string }) => e.type)).toEqual([
      'assignment.added',
      'assignment.added',
      'status.changed',
      'status.changed',
      'status.changed',
      'decision.published',
      'position.published',
      'position.published',
    ]);
    expect(JSON.stringify(p.events)).not.toContain('position.submitted');
    expect(JSON.stringify(p.events)).not.toContain('note.added');
    expect(JSON.stringify(p.events)).not.toContain('Szkic.');
  });

  it('after the decision, positions can no longer be changed', async () => {
    const before = app.database.sqlite.prepare('SELECT count(*) n FROM position_versions').get();
    const page = await bdimAgent.get(`/staff/proposals/${lp7}`);
    expect(page.body).not.toContain('Złóż poprawione stanowisko');
    const res = await bdimAgent.post(`/proposals/${lp7}/positions`, {
      unitId: unitId(BDIM),
      positionVersion: 99,
      action: 'submit',
      outcome: 'nieuwzgledniona',
      justification: 'x',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Decyzja w tej sprawie została już opublikowana');
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM position_versions').get()).toEqual(before);
  });

  it('moves to implementation and done; reopening needs a reason', async () => {
    let page = await adminAgent.get(`/staff/proposals/${lp7}`);
    expect(
      (await adminAgent.post(`/proposals/${lp7}/status`, { version: versionIn(page.body), target: 'w-realizacji' }))
        .statusCode,
    ).toBe(303);
    expect(status(lp7)).toBe('w-realizacji');
    page = await adminAgent.get(`/staff/proposals/${lp7}`);
    const noReason = await adminAgent.post(`/proposals/${lp7}/status`, {
      version: versionIn(page.body),
      target: 'reopen',
      reason: '',
    });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.body).toContain('Podaj powód ponownego otwarcia.');
    expect(status(lp7)).toBe('w-realizacji');
    const reopen = await adminAgent.post(`/proposals/${lp7}/status`, {
      version: versionIn(page.body),
      target: 'reopen',
      reason: 'ZGM zmienia zasady najmu.',
    });
    expect(reopen.statusCode).toBe(303);
    expect(status(lp7)).toBe('stanowiska-zebrane');
    const pub = await app.inject(`/proposals/${lp7}`);
    expect(pub.body).toContain('ZGM zmienia zasady najmu.');
    expect(pub.body).toContain('gdy propozycję otwarto ponownie; nowa decyzja nie została jeszcze opublikowana');
  });
});

describe('refusals', () => {
  it('a disallowed status change is refused with a message and changes nothing', async () => {
    const id = idOfLp(app, 1);
    const page = await adminAgent.get(`/staff/proposals/${id}`);
    const before = eventTypes(id).length;
    const res = await adminAgent.post(`/proposals/${id}/status`, {
      version: versionIn(page.body),
      target: 'zrealizowana',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('ręcznie można go zmienić dopiero po publikacji decyzji');
    expect(status(id)).toBe('nowa');
    expect(eventTypes(id)).toHaveLength(before);
  });

  it('after reopening, manual status changes are refused until a new decision', async () => {
    const id = lp7;
    const current = status(id);
    const page = await adminAgent.get(`/staff/proposals/${id}`);
    const res = await adminAgent.post(`/proposals/${id}/status`, {
      version: versionIn(page.body),
      target: 'w-realizacji',
    });
    expect(res.statusCode).toBe(422);
    expect(status(id)).toBe(current);
  });

  it('an LP the source has no row for cannot be assigned', async () => {
    const id = idOfLp(app, 54);
    const page = await adminAgent.get(`/staff/proposals/${id}`);
    const res = await adminAgent.post(`/proposals/${id}/assignments`, {
      version: versionIn(page.body),
      unitIds: String(unitId(BDIM)),
      dueDate: inDays(5),
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Źródło nie pokazuje wiersza o tym numerze LP');
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM assignments WHERE proposal_id = ?').get(id)).toEqual({
      n: 0,
    });
  });

  it('a decision cannot be published before the positions are in', async () => {
    const id = idOfLp(app, 2);
    const page = await adminAgent.get(`/staff/proposals/${id}`);
    const res = await adminAgent.post(`/proposals/${id}/decision`, {
      version: versionIn(page.body),
      outcome: 'uwzgledniona',
      text: 'Tekst.',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Decyzję można opublikować, gdy wszystkie przypisane jednostki złożą stanowiska');
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM decisions WHERE proposal_id = ?').get(id)).toEqual({
      n: 0,
    });
  });

  it('the second of two concurrent saves is refused and nothing is overwritten (optimistic locking)', async () => {
    const id = idOfLp(app, 3);
    const second = admin();
    await second.login('biuro@torun.test');
    const pageA = await adminAgent.get(`/staff/proposals/${id}`);
    const pageB = await second.get(`/staff/proposals/${id}`);
    const first = await adminAgent.post(`/proposals/${id}/assignments`, {
      version: versionIn(pageA.body),
      unitIds: String(unitId(BDIM)),
      dueDate: inDays(10),
    });
    expect(first.statusCode).toBe(303);
    const late = await second.post(`/proposals/${id}/assignments`, {
      version: versionIn(pageB.body),
      unitIds: String(unitId(ZGM)),
      dueDate: inDays(20),
    });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('Ktoś inny zmienił tę propozycję');
    const rows = app.database.sqlite.prepare('SELECT unit_id, due_date FROM assignments WHERE proposal_id = ?').all(id);
    expect(rows).toEqual([{ unit_id: unitId(BDIM), due_date: inDays(10) }]);
  });

  it('two unit members saving the same position: the second is refused', async () => {
    const id = idOfLp(app, 3);
    const colleague = new Agent(app);
    await createUser(app, 'bdim2@torun.test', 'unit', [BDIM]);
    await colleague.login('bdim2@torun.test');
    const a = await bdimAgent.get(`/staff/proposals/${id}`);
    const b = await colleague.get(`/staff/proposals/${id}`);
    expect(
      (
        await bdimAgent.post(`/proposals/${id}/positions`, {
          unitId: unitId(BDIM),
          positionVersion: positionVersionIn(a.body, unitId(BDIM)),
          action: 'draft',
          outcome: 'uwzgledniona',
          justification: 'pierwszy',
        })
      ).statusCode,
    ).toBe(303);
    const late = await colleague.post(`/proposals/${id}/positions`, {
      unitId: unitId(BDIM),
      positionVersion: positionVersionIn(b.body, unitId(BDIM)),
      action: 'draft',
      outcome: 'nieuwzgledniona',
      justification: 'drugi',
    });
    expect(late.statusCode).toBe(409);
    expect(app.database.sqlite.prepare('SELECT justification FROM positions WHERE proposal_id = ?').get(id)).toEqual({
      justification: 'pierwszy',
    });
  });
});

describe('groups, duplicates, corrections, notes', () => {
  it('assigning a unit group asks which member units it means, proposing its members', async () => {
    const id = idOfLp(app, 12);
    const group = unitId(
      'działy, jednostki GMT, pełnomocnicy prowadzący działania z sektorem pozarządowym (konkursy dla NGO)',
    );
    app.database.sqlite
      .prepare('INSERT INTO unit_group_members (group_id, unit_id) VALUES (?, ?), (?, ?)')
      .run(group, unitId('Wydział Edukacji'), group, unitId('Wydział Kultury'));
    const page = await adminAgent.get(`/staff/proposals/${id}`);
    const res = await adminAgent.post(`/proposals/${id}/assignments`, {
      version: versionIn(page.body),
      unitIds: [String(group)],
      dueDate: inDays(7),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain(`/staff/proposals/${id}/assignments/new?`);
    const pick = await adminAgent.get(res.headers.location as string);
    expect(pick.statusCode).toBe(200);
    expect(pick.body).toMatch(
      new RegExp(
        `id="pick-${unitId('Wydział Edukacji')}" name="unitIds" value="${unitId('Wydział Edukacji')}" checked`,
      ),
    );
    expect(pick.body).toMatch(
      new RegExp(`id="pick-${unitId('Wydział Kultury')}" name="unitIds" value="${unitId('Wydział Kultury')}" checked`),
    );
    expect(pick.body).not.toMatch(new RegExp(`id="pick-${unitId(ZGM)}" name="unitIds" value="${unitId(ZGM)}" checked`));
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM assignments WHERE proposal_id = ?').get(id)).toEqual({
      n: 0,
    });
    const done = await adminAgent.post(`/proposals/${id}/assignments`, {
      version: versionIn(pick.body),
      unitIds: [String(unitId('Wydział Edukacji')), String(unitId('Wydział Kultury'))],
      leadUnitId: String(unitId('Wydział Kultury')),
      dueDate: inDays(7),
    });
    expect(done.statusCode).toBe(303);
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM assignments WHERE proposal_id = ?').get(id)).toEqual({
      n: 2,
    });
  });

  it('marks a duplicate (closed, linked) and undoes it', async () => {
    const id = idOfLp(app, 24);
    let page = await adminAgent.get(`/staff/proposals/${id}`);
    const res = await adminAgent.post(`/proposals/${id}/duplicate`, {
      version: versionIn(page.body),
      duplicateOfLp: '4',
      reason: 'Ten sam postulat mikrograntów.',
    });
    expect(res.statusCode).toBe(303);
    expect(status(id)).toBe('duplikat');
    const pub = await app.inject(`/proposals/${id}`);
    expect(pub.body).toContain(`href="/proposals/${idOfLp(app, 4)}">LP 4</a>`);
    page = await adminAgent.get(`/staff/proposals/${id}`);
    expect(
      (await adminAgent.post(`/proposals/${id}/duplicate/removal`, { version: versionIn(page.body) })).statusCode,
    ).toBe(303);
    expect(status(id)).toBe('nowa');
    expect(eventTypes(id)).toEqual(['status.changed', 'duplicate.marked', 'status.changed', 'duplicate.unmarked']);
  });

  it('refuses a duplicate of itself or of a missing LP', async () => {
    const id = idOfLp(app, 24);
    const page = await adminAgent.get(`/staff/proposals/${id}`);
    const self = await adminAgent.post(`/proposals/${id}/duplicate`, {
      version: versionIn(page.body),
      duplicateOfLp: '24',
    });
    expect(self.statusCode).toBe(422);
    expect(self.body).toContain('nie może być duplikatem samej siebie');
    const gap = await adminAgent.post(`/proposals/${id}/duplicate`, {
      version: versionIn(page.body),
      duplicateOfLp: '54',
    });
    expect(gap.body).toContain('nie ma propozycji o LP 54');
  });

  it('corrects an illegible table theme with a recorded reason', async () => {
    const id = idOfLp(app, 1);
    const page = await adminAgent.get(`/staff/proposals/${id}`);
    const res = await adminAgent.post(`/proposals/${id}/corrections`, {
      version: versionIn(page.body),
      field: 'tableTheme',
      value: 'Wsparcie organizacji',
      reason: 'Według notatek moderatorki.',
    });
    expect(res.statusCode).toBe(303);
    const ev = app.database.sqlite
      .prepare("SELECT before, after, note FROM events WHERE proposal_id = ? AND type = 'metadata.corrected'")
      .get(id) as Record<string, string>;
    expect(JSON.parse(ev.before!)).toMatchObject({ field: 'tableTheme', value: '' });
    expect(JSON.parse(ev.after!)).toMatchObject({ field: 'tableTheme', value: 'Wsparcie organizacji' });
    expect(ev.note).toBe('Według notatek moderatorki.');
    expect((await app.inject('/?table=1')).body).toContain('Stolik 1: Wsparcie organizacji');
  });

  it('internal notes are visible to staff and RDPP, never to the public', async () => {
    const page = await adminAgent.get(`/staff/proposals/${lp7}`);
    expect(page.statusCode).toBe(200);
    const res = await adminAgent.post(
      `/proposals/${lp7}/notes`,
      { text: 'Zadzwonić do ZGM w sprawie terminów.' },
      { 'hx-request': 'true', 'hx-target': 'zdarzenia' },
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('Zadzwonić do ZGM w sprawie terminów.');
    const reviewer = new Agent(app);
    await reviewer.login('rdpp@torun.test');
    expect((await reviewer.get(`/staff/proposals/${lp7}`)).body).toContain('Zadzwonić do ZGM w sprawie terminów.');
    expect((await app.inject(`/proposals/${lp7}`)).body).not.toContain('Zadzwonić do ZGM');
    expect((await app.inject('/export/proposals.json')).body).not.toContain('Zadzwonić do ZGM');
  });
});
