import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, TEST_PASSWORD, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Edukacji']);
});
afterAll(async () => {
  await app.close();
});

describe('login', () => {
  it('logs in with e-mail and password, rotates the session, redirects 303 to the staff home', async () => {
    // a session id planted before login (here: another person's) must not be the one used after it
    const planted = new Agent(app);
    await planted.login('jednostka@torun.test');
    const before = planted.cookies.get('sid')!;
    const agent = new Agent(app);
    const page = await agent.get('/login');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="email">Adres e-mail</label>');
    // nobody is signed in yet: no session cookie, no session row
    expect(agent.cookies.get('sid')).toBeUndefined();
    // the planter's cookies and a CSRF token of theirs (a token is bound to the account signed in)
    for (const [name, value] of planted.cookies) agent.cookies.set(name, value);
    agent.csrf = planted.csrf;
    const res = await agent.post('/login', { email: 'Admin@Torun.test ', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff');
    // (the planted session's cookie may be cleared first: the last one for the name is what the browser keeps)
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] as string | string[])
      .filter((c) => c.startsWith('sid='))
      .at(-1)!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(agent.cookies.get('sid')).not.toBe(before);
    // the old session id does not log anyone in any more
    const old = await app.inject({ url: '/staff', headers: { cookie: `sid=${before}` } });
    expect(old.statusCode).toBe(303);
    expect(old.headers.location).toBe('/login?next=%2Fstaff');
    expect((await agent.get('/staff')).body).toContain('admin@torun.test');
  });

  it('gives one message for a wrong e-mail and for a wrong password, and keeps the e-mail', async () => {
    const agent = new Agent(app);
    await agent.get('/login');
    const wrongPassword = await agent.post('/login', { email: 'admin@torun.test', password: 'zle' });
    const wrongEmail = await agent.post('/login', { email: 'nikt@torun.test', password: TEST_PASSWORD });
    for (const res of [wrongPassword, wrongEmail]) {
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain('Nieprawidłowy adres e-mail lub hasło.');
    }
    expect(wrongEmail.body).toContain('value="nikt@torun.test"');
  });

  it('shows empty fields back in Polish', async () => {
    const agent = new Agent(app);
    await agent.get('/login');
    const res = await agent.post('/login', { email: '', password: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Podaj adres e-mail.');
    expect(res.body).toContain('Podaj hasło.');
    expect(res.body).toContain('<a href="#email">');
  });

  it('refuses a login POST without a CSRF token', async () => {
    const agent = new Agent(app);
    await agent.get('/login');
    const res = await agent.post('/login', { _csrf: null, email: 'admin@torun.test', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Formularz wygasł');
  });

  it('does not redirect to another site after login', async () => {
    const agent = new Agent(app);
    await agent.get('/login?next=//evil.example/x');
    const res = await agent.post('/login', {
      email: 'admin@torun.test',
      password: TEST_PASSWORD,
      next: '//evil.example/x',
    });
    expect(res.headers.location).toBe('/staff');
  });

  it('logs out: the session ends', async () => {
    const agent = new Agent(app);
    await agent.login('jednostka@torun.test');
    const sid = agent.cookies.get('sid');
    const out = await agent.post('/logout');
    expect(out.statusCode).toBe(303);
    const after = await app.inject({ url: '/staff', headers: { cookie: `sid=${sid}` } });
    expect(after.statusCode).toBe(303);
  });
});

describe('idle sessions', () => {
  it('end after the idle time: the next request is sent to the login page', async () => {
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    expect((await agent.get('/staff')).statusCode).toBe(200);
    // pretend the last request was 31 minutes ago (the idle limit is 30)
    const sid = decodeURIComponent(agent.cookies.get('sid')!).split('.')[0]!;
    const row = app.database.sqlite.prepare('SELECT data FROM sessions WHERE sid = ?').get(sid) as { data: string };
    const data = JSON.parse(row.data);
    data.lastSeen = Date.now() - 31 * 60_000;
    app.database.sqlite.prepare('UPDATE sessions SET data = ? WHERE sid = ?').run(JSON.stringify(data), sid);
    const res = await agent.get('/staff');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fstaff');
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM sessions WHERE sid = ?').get(sid)).toEqual({ n: 0 });
  });
});

describe('login rate limit', () => {
  it('refuses more than the allowed attempts per minute with 429', async () => {
    const limited = await build({ seed: false, loginRateLimit: 3 });
    const agent = new Agent(limited);
    await agent.get('/login');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await agent.post('/login', { email: 'x@y.z', password: 'zle' })).statusCode);
    expect(codes).toEqual([422, 422, 422, 429, 429]);
    const last = await agent.post('/login', { email: 'x@y.z', password: 'zle' });
    expect(last.body).toContain('Zbyt wiele prób');
    await limited.close();
  });
});
