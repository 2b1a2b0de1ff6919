import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.js';
import { Agent, build, createUser, TEST_PASSWORD, type App } from '../helpers.js';

let app: App;
let userId: number;
const sessionsOf = (id: number) =>
  (app.database.sqlite.prepare('SELECT sid FROM sessions WHERE user_id = ?').all(id) as { sid: string }[]).map(
    (r) => r.sid,
  );
const sidOf = (agent: Agent) => decodeURIComponent(agent.cookies.get('sid')!).split('.')[0]!;
const hashOf = (id: number) =>
  (app.database.sqlite.prepare('SELECT password_hash FROM users WHERE id = ?').get(id) as { password_hash: string })
    .password_hash;
const audit = () =>
  app.database.sqlite
    .prepare('SELECT actor_id, action, subject_id, before, after FROM audit_log ORDER BY id')
    .all() as {
    actor_id: number | null;
    action: string;
    subject_id: number;
    before: string | null;
    after: string | null;
  }[];

beforeAll(async () => {
  app = await build();
  userId = await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Edukacji']);
  await createUser(app, 'admin@torun.test', 'admin');
});
afterAll(async () => {
  await app.close();
});

describe('Moje konto', () => {
  it('shows who I am, with a link in the header; the public is sent to the login page', async () => {
    const anonymous = await app.inject('/account');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/login?next=%2Faccount');
    const agent = new Agent(app);
    await agent.login('jednostka@torun.test');
    expect((await agent.get('/staff')).body).toContain('<a href="/account">Moje konto</a>');
    const res = await agent.get('/account');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Moje konto</h1>');
    expect(res.body).toContain('aria-current="page">Moje konto</a>');
    expect(res.body).toContain('<dd>jednostka@torun.test</dd>');
    expect(res.body).toContain('<dd>pracownik jednostki</dd>');
    expect(res.body).toContain('<dd>Wydział Edukacji</dd>');
    expect(res.body).toContain('Wyloguj ze wszystkich urządzeń');
  });

  it('refuses a wrong current password, a short or mismatched new one, in Polish, changing nothing', async () => {
    const agent = new Agent(app);
    await agent.login('jednostka@torun.test');
    const hash = hashOf(userId);
    const cases: [Record<string, string>, string, string][] = [
      [{ currentPassword: '', newPassword: '', confirmPassword: '' }, 'currentPassword', 'Podaj obecne hasło.'],
      [
        { currentPassword: 'zle-haslo-obecne', newPassword: 'Nowe-haslo-2026!', confirmPassword: 'Nowe-haslo-2026!' },
        'currentPassword',
        'Obecne hasło jest nieprawidłowe.',
      ],
      [
        { currentPassword: TEST_PASSWORD, newPassword: 'krotkie', confirmPassword: 'krotkie' },
        'newPassword',
        'Hasło musi mieć co najmniej 12 znaków.',
      ],
      [
        { currentPassword: TEST_PASSWORD, newPassword: 'Nowe-haslo-2026!', confirmPassword: 'Inne-haslo-2026!' },
        'confirmPassword',
        'Powtórzone hasło różni się od nowego hasła.',
      ],
    ];
    for (const [form, field, message] of cases) {
      await agent.get('/account');
      const res = await agent.post('/account/password', form);
      expect(res.statusCode, message).toBe(422);
      expect(res.body).toContain('<title>Błąd: Moje konto');
      expect(res.body).toContain('Popraw błędy w formularzu');
      expect(res.body).toContain(`<a href="#${field}">${message}</a>`);
      expect(res.body).toContain(`id="${field}-error"`);
    }
    expect(hashOf(userId)).toBe(hash);
  });

  it('changes my password: my other sessions end, this one stays, the change is in the audit log', async () => {
    const here = new Agent(app);
    await here.login('jednostka@torun.test');
    const elsewhere = new Agent(app);
    await elsewhere.login('jednostka@torun.test');
    const entries = audit().length;
    await here.get('/account');
    const res = await here.post('/account/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: 'Moje-nowe-haslo-2026',
      confirmPassword: 'Moje-nowe-haslo-2026',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account?saved=password');
    expect(await verifyPassword('Moje-nowe-haslo-2026', hashOf(userId))).toBe(true);
    expect(sessionsOf(userId)).toEqual([sidOf(here)]);
    expect((await here.get('/account?saved=password')).body).toContain('Hasło zostało zmienione.');
    expect((await elsewhere.get('/staff')).statusCode).toBe(303);
    const added = audit().slice(entries);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      actor_id: userId,
      action: 'account.password-changed',
      subject_id: userId,
      before: null,
    });
    // the sessions of the two earlier tests and `elsewhere`
    expect(JSON.parse(added[0]!.after!)).toEqual({ by: 'self', endedSessions: 3 });
    expect(JSON.stringify(added)).not.toContain('scrypt');
    await expect(new Agent(app).login('jednostka@torun.test', TEST_PASSWORD)).rejects.toThrow();
    await new Agent(app).login('jednostka@torun.test', 'Moje-nowe-haslo-2026');
  });

  it('logs out everywhere: every session of the account ends, this one too', async () => {
    const here = new Agent(app);
    await here.login('jednostka@torun.test', 'Moje-nowe-haslo-2026');
    const elsewhere = new Agent(app);
    await elsewhere.login('jednostka@torun.test', 'Moje-nowe-haslo-2026');
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    expect(sessionsOf(userId).length).toBeGreaterThanOrEqual(2);
    await here.get('/account');
    const res = await here.post('/account/sessions/removal');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?signedOut=everywhere');
    expect(sessionsOf(userId)).toEqual([]);
    expect((await here.get('/login?signedOut=everywhere')).body).toContain('Wylogowano Cię ze wszystkich urządzeń.');
    expect((await elsewhere.get('/staff')).statusCode).toBe(303);
    // someone else's session is untouched
    expect((await admin.get('/staff')).statusCode).toBe(200);
    expect(audit().at(-1)).toMatchObject({ actor_id: userId, action: 'account.signed-out-everywhere' });
  });

  it('refuses both actions without a CSRF token', async () => {
    const agent = new Agent(app);
    await agent.login('jednostka@torun.test', 'Moje-nowe-haslo-2026');
    expect((await agent.post('/account/sessions/removal', { _csrf: null })).statusCode).toBe(403);
    expect((await agent.post('/account/password', { _csrf: null, currentPassword: 'x' })).statusCode).toBe(403);
    expect(sessionsOf(userId)).toContain(sidOf(agent));
  });
});
