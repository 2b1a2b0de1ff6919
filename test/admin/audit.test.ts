import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, unitIdByName, type App } from '../helpers.js';

let app: App;
let admin: Agent;
let adminId: number;
type Row = {
  actor_id: number | null;
  action: string;
  subject_type: string;
  subject_id: number;
  subject_label: string;
  before: string | null;
  after: string | null;
};
const entries = () => app.database.sqlite.prepare('SELECT * FROM audit_log ORDER BY id').all() as Row[];
const parse = (r: Row) => ({ ...r, before: r.before && JSON.parse(r.before), after: r.after && JSON.parse(r.after) });

beforeAll(async () => {
  app = await build();
  adminId = await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Edukacji']);
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  admin = new Agent(app);
  await admin.login('admin@torun.test');
});
afterAll(async () => {
  await app.close();
});

describe('audit log of accounts and units', () => {
  it('records an account created, changed and given a new password through the web, without the hash', async () => {
    const from = entries().length;
    await admin.get('/staff/users/new');
    expect(
      (
        await admin.post('/staff/users', {
          email: 'anna@torun.test',
          name: 'Anna',
          role: 'unit',
          units: String(unitIdByName(app, 'Wydział Kultury')),
          password: 'Haslo-dla-Anny-2026',
        })
      ).statusCode,
    ).toBe(303);
    const id = (
      app.database.sqlite.prepare('SELECT id FROM users WHERE email = ?').get('anna@torun.test') as { id: number }
    ).id;
    await admin.get(`/staff/users/${id}`);
    expect(
      (
        await admin.post(`/staff/users/${id}`, {
          name: 'Anna Nowak',
          role: 'reviewer',
          active: '1',
          password: 'Inne-haslo-Anny-2026',
        })
      ).statusCode,
    ).toBe(303);
    const added = entries().slice(from).map(parse);
    expect(added).toEqual([
      {
        ...added[0],
        actor_id: adminId,
        action: 'account.created',
        subject_type: 'account',
        subject_id: id,
        subject_label: 'anna@torun.test',
        before: null,
        after: { email: 'anna@torun.test', name: 'Anna', role: 'unit', active: true, units: ['Wydział Kultury'] },
      },
      {
        ...added[1],
        actor_id: adminId,
        action: 'account.updated',
        subject_id: id,
        before: { name: 'Anna', role: 'unit', units: ['Wydział Kultury'] },
        after: { name: 'Anna Nowak', role: 'reviewer', units: [] },
      },
      {
        ...added[2],
        actor_id: adminId,
        action: 'account.password-changed',
        subject_id: id,
        before: null,
        after: { by: 'admin', endedSessions: 0 },
      },
    ]);
    expect(JSON.stringify(entries())).not.toMatch(/scrypt|Haslo-dla-Anny|Inne-haslo/);
  });

  it('records unit changes, and a refused change records nothing', async () => {
    const from = entries().length;
    await admin.get('/staff/units/new');
    expect((await admin.post('/staff/units', { name: 'Wydział Audytu', kind: 'wydział', email: '' })).statusCode).toBe(
      303,
    );
    const id = unitIdByName(app, 'Wydział Audytu');
    await admin.get(`/staff/units/${id}`);
    expect(
      (
        await admin.post(`/staff/units/${id}`, {
          name: 'Wydział Audytu Wewnętrznego',
          kind: 'wydział',
          email: 'audyt@um.torun.pl',
        })
      ).statusCode,
    ).toBe(303);
    await admin.get(`/staff/units/${id}`);
    expect(
      (await admin.post(`/staff/units/${id}`, { name: 'Wydział Kultury', kind: 'wydział', email: '' })).statusCode,
    ).toBe(422);
    const added = entries().slice(from).map(parse);
    expect(added.map((e) => [e.action, e.actor_id, e.subject_id])).toEqual([
      ['unit.created', adminId, id],
      ['unit.updated', adminId, id],
    ]);
    expect(added[1]).toMatchObject({
      subject_label: 'Wydział Audytu',
      before: { name: 'Wydział Audytu', email: '' },
      after: { name: 'Wydział Audytu Wewnętrznego', email: 'audyt@um.torun.pl' },
    });
  });

  it('shows the log to admins, newest first, in Polish, linked from the admin navigation', async () => {
    const res = await admin.get('/staff/audit');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Dziennik zmian</h1>');
    expect(res.body).toContain('aria-current="page">Dziennik zmian</a>');
    // the entries, not the action filter's options (which name the same actions)
    const table = res.body.slice(res.body.indexOf('<tbody>'));
    const newest = table.indexOf('zmiana jednostki w katalogu');
    const older = table.indexOf('utworzenie konta');
    expect(newest).toBeGreaterThan(0);
    expect(older).toBeGreaterThan(newest);
    expect(res.body).toContain('nazwa: „Wydział Audytu” → „Wydział Audytu Wewnętrznego”');
    expect(res.body).toContain('imię i nazwisko: „Anna” → „Anna Nowak”');
    expect(res.body).toContain('rola: pracownik jednostki → członek RDPP (podgląd)');
    expect(res.body).toContain('zmiana hasła');
    expect(res.body).toContain('wiersz poleceń lub system');
    expect(res.body).not.toContain('scrypt');
    expect((await admin.get('/staff')).body).toContain('<a href="/staff/audit">Dziennik zmian</a>');
  });

  it('pages 50 entries at a time', async () => {
    const insert = app.database.sqlite.prepare(
      'INSERT INTO audit_log (actor_id, action, subject_type, subject_id, subject_label, created_at) ' +
        "VALUES (NULL, 'account.updated', 'account', 1, ?, ?)",
    );
    for (let i = 0; i < 60; i++)
      insert.run(`wpis-${i}@torun.test`, `2020-01-01T00:00:${String(i).padStart(2, '0')}.000Z`);
    const first = await admin.get('/staff/audit');
    expect(first.body).toContain('Strona 1 z 2');
    expect(first.body).toContain('href="/staff/audit?page=2"');
    expect(first.body).toContain('wpis-59@torun.test');
    expect(first.body).not.toContain('wpis-0@torun.test');
    const second = await admin.get('/staff/audit?page=2');
    expect(second.body).toContain('wpis-0@torun.test');
    expect(second.body).toContain('Strona 2 z 2');
    expect((await admin.get('/staff/audit?page=abc')).statusCode).toBe(200);
  });

  it('is for admins only', async () => {
    for (const email of ['jednostka@torun.test', 'rdpp@torun.test']) {
      const agent = new Agent(app);
      await agent.login(email);
      expect((await agent.get('/staff/audit')).statusCode, email).toBe(403);
      expect((await agent.get('/staff')).body).not.toContain('href="/staff/audit"');
    }
    expect((await app.inject('/staff/audit')).statusCode).toBe(303);
  });
});
