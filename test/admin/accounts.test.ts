import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.js';
import { Agent, build, createUser, TEST_PASSWORD, type App } from '../helpers.js';

let app: App;
let admin: Agent;
const db = () => app.database.sqlite;
const unitIdOf = (name: string) => (db().prepare('SELECT id FROM units WHERE name = ?').get(name) as { id: number }).id;
const userRow = (email: string) =>
  db().prepare('SELECT * FROM users WHERE email = ?').get(email) as
    | {
        id: number;
        email: string;
        name: string;
        role: string;
        active: number;
        password_hash: string;
        updated_at: string;
      }
    | undefined;
const unitsOf = (userId: number) =>
  (
    db()
      .prepare(
        'SELECT u.name FROM user_units uu JOIN units u ON u.id = uu.unit_id WHERE uu.user_id = ? ORDER BY u.name',
      )
      .all(userId) as { name: string }[]
  ).map((r) => r.name);
const allAccounts = () => ({
  users: db().prepare('SELECT * FROM users ORDER BY id').all(),
  userUnits: db().prepare('SELECT * FROM user_units ORDER BY user_id, unit_id').all(),
});

/** POSTs a form after opening one of the admin pages, for a fresh CSRF token. */
async function submit(agent: Agent, url: string, form: Record<string, string | string[]>) {
  await agent.get('/staff/users/new');
  return agent.post(url, form);
}

const valid = (over: Record<string, string | string[]> = {}) => ({
  email: 'anna.nowak@torun.test',
  name: 'Anna Nowak',
  role: 'unit',
  units: [String(unitIdOf('Wydział Edukacji'))],
  password: 'Haslo-dla-Anny-2026',
  ...over,
});

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Edukacji', 'Wydział Kultury']);
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  admin = new Agent(app);
  await admin.login('admin@torun.test');
});
afterAll(async () => {
  await app.close();
});

describe('account list', () => {
  it('lists every account with its role in Polish, units and whether it is active', async () => {
    const res = await admin.get('/staff/users');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Konta pracowników</h1>');
    expect(res.body).toContain('aria-current="page">Konta</a>');
    expect(res.body).toMatch(
      /jednostka@torun\.test<\/a><\/td>\s*<td><\/td>\s*<td>pracownik jednostki<\/td>\s*<td>Wydział Edukacji; Wydział Kultury<\/td>\s*<td>tak<\/td>/,
    );
    expect(res.body).toContain('<td>Biuro Dialogu (administrator)</td>');
    expect(res.body).toContain('<td>członek RDPP (podgląd)</td>');
    expect(res.body).toContain('href="/staff/users/new"');
  });
});

describe('creating an account', () => {
  it('offers single units, not groups, as workplaces', async () => {
    const res = await admin.get('/staff/users/new');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Wydział Edukacji</label>');
    expect(res.body).not.toContain('działy, jednostki GMT');
    expect(res.body).toContain('name="_csrf"');
  });

  it('shows an empty form back in Polish with 422 and writes nothing', async () => {
    const before = allAccounts();
    const res = await submit(admin, '/staff/users', {});
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<title>Błąd: Nowe konto');
    expect(res.body).toContain('Popraw błędy w formularzu');
    expect(res.body).toContain('<a href="#email">Podaj adres e-mail.</a>');
    expect(res.body).toContain('<a href="#role">Wybierz rolę konta');
    // no password is no error: the person is then invited to choose one
    expect(res.body).not.toContain('href="#password"');
    expect(res.body).toContain('id="email-error"');
    expect(allAccounts()).toEqual(before);
  });

  it('refuses values that are too long, keeping what was typed', async () => {
    const before = allAccounts();
    const longEmail = `${'a'.repeat(250)}@torun.test`;
    const res = await submit(
      admin,
      '/staff/users',
      valid({ email: longEmail, name: 'N'.repeat(201), password: 'x'.repeat(1001) }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Adres e-mail może mieć najwyżej 254 znaków.');
    expect(res.body).toContain('Imię i nazwisko może mieć najwyżej 200 znaków.');
    expect(res.body).toContain('Hasło może mieć najwyżej 1000 znaków.');
    expect(res.body).toContain(`value="${'N'.repeat(201)}"`);
    expect(allAccounts()).toEqual(before);
  });

  it('refuses a malformed e-mail, a short password and a role that does not exist', async () => {
    const before = allAccounts();
    const res = await submit(
      admin,
      '/staff/users',
      valid({ email: 'nie-adres', password: 'krotkie', role: 'superadmin' }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Podaj prawidłowy adres e-mail');
    expect(res.body).toContain('Hasło musi mieć co najmniej 12 znaków.');
    expect(res.body).toContain('Wybierz rolę konta: administrator, pracownik jednostki albo członek RDPP.');
    expect(res.body).toContain('value="nie-adres"');
    // the password is never sent back
    expect(res.body).not.toContain('krotkie');
    expect(allAccounts()).toEqual(before);
  });

  it('refuses an unknown unit id, a non-numeric one and a unit group, keeping the ticks', async () => {
    const before = allAccounts();
    const education = String(unitIdOf('Wydział Edukacji'));
    for (const units of [
      [education, '999999'],
      ['abc'],
      [String(unitIdOf('działy, jednostki GMT posiadające dokumenty strategiczne'))],
    ]) {
      const res = await submit(admin, '/staff/users', valid({ units }));
      expect(res.statusCode, units.join()).toBe(422);
      expect(res.body).toMatch(
        /<a href="#units">(Wybrano jednostkę, której nie ma w katalogu\.|Grupa jednostek nie może być miejscem pracy)/,
      );
      if (units[0] === education) expect(res.body).toContain(`value="${education}" checked`);
    }
    expect(allAccounts()).toEqual(before);
  });

  it('requires a unit for unit staff', async () => {
    const before = allAccounts();
    const res = await submit(admin, '/staff/users', valid({ units: [] }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<a href="#units">Zaznacz co najmniej jedną jednostkę, w której pracuje ta osoba.</a>');
    expect(allAccounts()).toEqual(before);
  });

  it('refuses an e-mail already in use, whatever its letter case', async () => {
    const before = allAccounts();
    const res = await submit(admin, '/staff/users', valid({ email: ' Jednostka@TORUN.test ' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<a href="#email">Konto z tym adresem e-mail już istnieje.</a>');
    expect(res.body).toContain('value=" Jednostka@TORUN.test "');
    expect(allAccounts()).toEqual(before);
  });

  it('creates the account (e-mail lower-cased), redirects 303 to the list with a notice, and the person can log in', async () => {
    const res = await submit(admin, '/staff/users', valid({ email: 'Anna.Nowak@Torun.test', name: '  Anna Nowak ' }));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/users?saved=created');
    const row = userRow('anna.nowak@torun.test')!;
    expect(row).toMatchObject({ name: 'Anna Nowak', role: 'unit', active: 1 });
    expect(await verifyPassword('Haslo-dla-Anny-2026', row.password_hash)).toBe(true);
    expect(unitsOf(row.id)).toEqual(['Wydział Edukacji']);
    const list = await admin.get(res.headers.location!);
    expect(list.body).toContain(
      '<p class="flash" role="status">Konto zostało utworzone. Przekaż hasło tej osobie bezpiecznym kanałem: przy ' +
        'pierwszym logowaniu ustali własne.</p>',
    );
    expect(list.body).toContain('anna.nowak@torun.test</a>');
    // the password the admin typed works once, to replace it (test/auth/invitation.test.ts)
    const login = await new Agent(app).login('anna.nowak@torun.test', 'Haslo-dla-Anny-2026');
    expect(login.headers.location).toBe('/account');
  });

  it('drops ticked units for roles other than unit staff', async () => {
    const res = await submit(admin, '/staff/users', valid({ email: 'rdpp2@torun.test', role: 'reviewer' }));
    expect(res.statusCode).toBe(303);
    expect(unitsOf(userRow('rdpp2@torun.test')!.id)).toEqual([]);
  });
});

describe('editing an account', () => {
  it('shows the account with its current values', async () => {
    const id = userRow('jednostka@torun.test')!.id;
    const res = await admin.get(`/staff/users/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Konto jednostka@torun.test</h1>');
    expect(res.body).toContain('value="unit" checked');
    expect(res.body).toContain(`value="${unitIdOf('Wydział Kultury')}" checked`);
    expect(res.body).toContain('id="active" name="active" value="1" checked');
    expect(res.body).not.toContain('name="email"');
  });

  it('changes name, role and units, keeping the password when none is given', async () => {
    const id = await createUser(app, 'zmiana@torun.test', 'unit', ['Wydział Kultury']);
    const hash = userRow('zmiana@torun.test')!.password_hash;
    const res = await submit(admin, `/staff/users/${id}`, {
      name: 'Jan Zmiana',
      role: 'unit',
      units: [String(unitIdOf('Wydział Prawny')), String(unitIdOf('Urbitor'))],
      active: '1',
      password: '',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/users?saved=updated');
    expect(userRow('zmiana@torun.test')).toMatchObject({
      name: 'Jan Zmiana',
      role: 'unit',
      active: 1,
      password_hash: hash,
    });
    expect(unitsOf(id)).toEqual(['Urbitor', 'Wydział Prawny']);
    expect((await admin.get(res.headers.location!)).body).toContain('Zmiany w koncie zostały zapisane.');

    const toReviewer = await submit(admin, `/staff/users/${id}`, {
      name: 'Jan Zmiana',
      role: 'reviewer',
      units: [String(unitIdOf('Urbitor'))],
      active: '1',
    });
    expect(toReviewer.statusCode).toBe(303);
    expect(userRow('zmiana@torun.test')!.role).toBe('reviewer');
    expect(unitsOf(id)).toEqual([]);
  });

  it('sets a new password and signs the person out of their open sessions', async () => {
    const id = await createUser(app, 'haslo@torun.test', 'reviewer');
    const person = new Agent(app);
    await person.login('haslo@torun.test');
    expect((await person.get('/login')).statusCode).toBe(303); // signed in: the login page sends them on
    const res = await submit(admin, `/staff/users/${id}`, {
      name: '',
      role: 'reviewer',
      active: '1',
      password: 'Nowe-haslo-od-biura',
    });
    expect(res.statusCode).toBe(303);
    expect(await verifyPassword('Nowe-haslo-od-biura', userRow('haslo@torun.test')!.password_hash)).toBe(true);
    expect((await person.get('/login')).statusCode).toBe(200); // signed out
    await expect(new Agent(app).login('haslo@torun.test', TEST_PASSWORD)).rejects.toThrow();
    await new Agent(app).login('haslo@torun.test', 'Nowe-haslo-od-biura');
  });

  it('deactivates an account: the person is signed out and cannot log in', async () => {
    const id = await createUser(app, 'odchodzi@torun.test', 'unit', ['Wydział Kultury']);
    const person = new Agent(app);
    await person.login('odchodzi@torun.test');
    const res = await submit(admin, `/staff/users/${id}`, {
      name: '',
      role: 'unit',
      units: String(unitIdOf('Wydział Kultury')),
    });
    expect(res.statusCode).toBe(303);
    expect(userRow('odchodzi@torun.test')!.active).toBe(0);
    expect((await person.get('/login')).statusCode).toBe(200);
    await expect(new Agent(app).login('odchodzi@torun.test')).rejects.toThrow();
    expect((await admin.get('/staff/users')).body).toMatch(/odchodzi@torun\.test<\/a>[\s\S]*?<strong>nie<\/strong>/);
  });

  it('shows bad input back with 422 and changes nothing', async () => {
    const id = userRow('jednostka@torun.test')!.id;
    const before = allAccounts();
    const cases: [Record<string, string | string[]>, string][] = [
      [
        { name: 'x'.repeat(201), role: 'unit', units: String(unitIdOf('Wydział Kultury')), active: '1' },
        'Imię i nazwisko może mieć najwyżej 200 znaków.',
      ],
      [{ name: '', role: 'wladca', active: '1' }, 'Wybierz rolę konta'],
      [{ name: '', role: 'unit', active: '1' }, 'Zaznacz co najmniej jedną jednostkę'],
      [{ name: '', role: 'unit', units: '424242', active: '1' }, 'Wybrano jednostkę, której nie ma w katalogu.'],
      [
        { name: '', role: 'unit', units: String(unitIdOf('Wydział Kultury')), active: '1', password: 'za-krotkie' },
        'Hasło musi mieć co najmniej 12 znaków.',
      ],
    ];
    for (const [form, message] of cases) {
      const res = await submit(admin, `/staff/users/${id}`, form);
      expect(res.statusCode, message).toBe(422);
      expect(res.body).toContain(message);
      expect(res.body).toContain('Popraw błędy w formularzu');
    }
    expect(allAccounts()).toEqual(before);
  });
});

describe('the last active admin', () => {
  it('can be neither demoted nor deactivated, until there is another admin', async () => {
    const fresh = await build({ seed: false });
    try {
      const id = await createUser(fresh, 'jedyny@torun.test', 'admin');
      const agent = new Agent(fresh);
      await agent.login('jedyny@torun.test');
      const row = () => fresh.database.sqlite.prepare('SELECT role, active FROM users WHERE id = ?').get(id);

      await agent.get(`/staff/users/${id}`);
      const demote = await agent.post(`/staff/users/${id}`, { name: '', role: 'reviewer', active: '1' });
      expect(demote.statusCode).toBe(422);
      expect(demote.body).toContain(
        '<a href="#role">To jedyne aktywne konto administratora: nie można odebrać mu tej roli.',
      );
      await agent.get(`/staff/users/${id}`);
      const deactivate = await agent.post(`/staff/users/${id}`, { name: '', role: 'admin' });
      expect(deactivate.statusCode).toBe(422);
      expect(deactivate.body).toContain(
        '<a href="#active">To jedyne aktywne konto administratora: nie można go dezaktywować.',
      );
      expect(row()).toEqual({ role: 'admin', active: 1 });

      // a second, inactive admin does not count
      const second = await createUser(fresh, 'drugi@torun.test', 'admin');
      fresh.database.sqlite.prepare('UPDATE users SET active = 0 WHERE id = ?').run(second);
      await agent.get(`/staff/users/${id}`);
      expect((await agent.post(`/staff/users/${id}`, { name: '', role: 'reviewer', active: '1' })).statusCode).toBe(
        422,
      );

      fresh.database.sqlite.prepare('UPDATE users SET active = 1 WHERE id = ?').run(second);
      await agent.get(`/staff/users/${id}`);
      const ok = await agent.post(`/staff/users/${id}`, { name: '', role: 'reviewer', active: '1' });
      expect(ok.statusCode).toBe(303);
      expect(row()).toEqual({ role: 'reviewer', active: 1 });
    } finally {
      await fresh.close();
    }
  });
});
