import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/build.js';
import { safeNext } from '../../src/auth/schema.js';
import { FailureThrottle } from '../../src/auth/throttle.js';
import {
  Agent,
  build,
  createUser,
  idOfLp,
  tempDatabasePath,
  TEST_PASSWORD,
  TEST_SCRYPT_COST,
  type App,
} from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Edukacji']);
});
afterAll(async () => {
  await app.close();
});

const sessionRows = (a: App = app) =>
  (a.database.sqlite.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
/** A Location header a browser can only follow to this site. */
const SAME_SITE_PATH = /^\/(?![/\\])[\x21-\x7e]*$/;

/** A CSRF token and its cookie from one anonymous GET /login, reusable for raw injected POSTs. */
async function loginForm(a: App) {
  const agent = new Agent(a);
  await agent.get('/login');
  const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return { token: agent.csrf, cookie };
}

function postLogin(
  a: App,
  form: { token: string; cookie: string },
  email: string,
  password: string,
  extra: {
    remoteAddress?: string;
    headers?: Record<string, string>;
    next?: string;
  } = {},
) {
  const body = new URLSearchParams({ _csrf: form.token, email, password, ...(extra.next ? { next: extra.next } : {}) });
  return a.inject({
    method: 'POST',
    url: '/login',
    payload: body.toString(),
    remoteAddress: extra.remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, ...extra.headers },
  });
}

describe('next after login: one check, same-site paths only', () => {
  // raw query strings as an attacker sends them
  const payloads = [
    '%2F%09%2Fevil.example%2Fx',
    '%2F%C4%85',
    '%0A',
    '%0D%0A',
    '%00',
    '%2F%0A',
    '%2F%0D%0Aset-cookie:x=1',
    '%2F%00',
    '%2F%2Fevil.example',
    '%2F%5Cevil.example',
    '%2F.%2F%2Fevil.example',
    'https%3A%2F%2Fevil.example',
    '%2F%E2%80%A8x',
  ];

  it('a signed-in GET /login?next=… redirects to a safe path, never elsewhere and never a 500', async () => {
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    for (const raw of payloads) {
      const res = await agent.get(`/login?next=${raw}`);
      expect(res.statusCode, raw).toBe(303);
      expect(res.headers.location, raw).toMatch(SAME_SITE_PATH);
    }
    expect((await agent.get('/login?next=%2F%09%2Fevil.example%2Fx')).headers.location).toBe('/staff');
    // non-ASCII is kept, percent-encoded
    expect((await agent.get('/login?next=%2F%C4%85')).headers.location).toBe('/%C4%85');
    expect((await agent.get('/login?next=%2Fstaff%2Fproposals%2F5%3Fa%3Db')).headers.location).toBe(
      '/staff/proposals/5?a=b',
    );
  });

  it('the login POST does the same with every payload', async () => {
    for (const raw of payloads) {
      const agent = new Agent(app);
      const page = await agent.get(`/login?next=${raw}`);
      expect(page.statusCode, raw).toBe(200);
      const res = await agent.post('/login', {
        email: 'admin@torun.test',
        password: TEST_PASSWORD,
        next: decodeURIComponent(raw),
      });
      expect(res.statusCode, raw).toBe(303);
      expect(res.headers.location, raw).toMatch(SAME_SITE_PATH);
    }
  });

  it('safeNext refuses tabs, newlines, backslashes, other origins and "//" after normalisation', () => {
    expect(safeNext('/\t/evil.example/x')).toBe('/staff');
    expect(safeNext('/\\evil.example')).toBe('/staff');
    expect(safeNext('/.//evil.example')).toBe('/staff');
    expect(safeNext('//evil.example')).toBe('/staff');
    expect(safeNext('http://evil.example/')).toBe('/staff');
    expect(safeNext('/\r\nLocation: x')).toBe('/staff');
    expect(safeNext(undefined)).toBe('/staff');
    expect(safeNext('/staff/proposals/3?q=łąka z')).toBe('/staff/proposals/3?q=%C5%82%C4%85ka%20z');
    expect(safeNext('/staff/users')).toBe('/staff/users');
  });
});

describe('failed logins per account', () => {
  it('refuses guesses at one account from 30 addresses after 30 failures in all, with a Polish 429', async () => {
    const form = await loginForm(app);
    const codes: number[] = [];
    for (let i = 0; i < 90; i++) {
      const res = await postLogin(app, form, 'Jednostka@torun.test', `zgadywane-${i}`, {
        remoteAddress: `203.0.113.${i % 30}`,
      });
      codes.push(res.statusCode);
      if (res.statusCode === 429) expect(res.body).toContain('Zbyt wiele nieudanych prób logowania na to konto.');
    }
    expect(codes.slice(0, 30)).toEqual(Array(30).fill(422));
    expect(codes.slice(30)).toEqual(Array(60).fill(429));
    // the right password too, from a browser that never signed in to the account (test/auth/lockout.test.ts:
    // the owner's browser still gets in)
    expect(
      (await postLogin(app, form, 'jednostka@torun.test', TEST_PASSWORD, { remoteAddress: '198.51.100.7' })).statusCode,
    ).toBe(429);
    // other accounts are not affected
    expect(
      (await postLogin(app, form, 'admin@torun.test', TEST_PASSWORD, { remoteAddress: '203.0.113.1' })).statusCode,
    ).toBe(303);
  });

  it('answers an unknown e-mail the same way, so the limit tells nothing about which accounts exist', async () => {
    const form = await loginForm(app);
    const fromOne: number[] = [];
    for (let i = 0; i < 12; i++)
      fromOne.push((await postLogin(app, form, 'nikt@torun.test', 'x', { remoteAddress: '192.0.2.1' })).statusCode);
    expect(fromOne).toEqual([...Array(10).fill(422), 429, 429]);
    const fromMany: number[] = [];
    for (let i = 0; i < 25; i++)
      fromMany.push(
        (await postLogin(app, form, 'nikt@torun.test', 'x', { remoteAddress: `192.0.2.${i + 2}` })).statusCode,
      );
    expect(fromMany).toEqual([...Array(20).fill(422), ...Array(5).fill(429)]);
  });

  it('counts in a window: after it, the account may try again; a success starts afresh', () => {
    let now = 0;
    const throttle = new FailureThrottle({ max: 3, windowMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) throttle.recordFailure('a@b.c');
    expect(throttle.isBlocked('a@b.c')).toBe(true);
    expect(throttle.isBlocked('d@e.f')).toBe(false);
    now = 999;
    expect(throttle.isBlocked('a@b.c')).toBe(true);
    now = 1000;
    expect(throttle.isBlocked('a@b.c')).toBe(false);
    throttle.recordFailure('a@b.c');
    throttle.reset('a@b.c');
    expect(throttle.size).toBe(0);
  });

  it('keeps a bounded number of e-mails in memory', () => {
    const throttle = new FailureThrottle({ max: 3, windowMs: 1000, maxKeys: 100, now: () => 0 });
    for (let i = 0; i < 1000; i++) throttle.recordFailure(`x${i}@y.z`);
    expect(throttle.size).toBeLessThanOrEqual(100);
  });

  it('logs failed logins at warn with the e-mail and the address, never the password', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logged = await buildServer(
      {
        databasePath: tempDatabasePath(),
        baseUrl: 'http://127.0.0.1:3000',
        viewCache: true,
        passwordHashCost: TEST_SCRYPT_COST,
        loginRateLimit: 1000,
      },
      { logger: { level: 'warn', stream } },
    );
    try {
      const form = await loginForm(logged);
      await postLogin(logged, form, 'Kto@torun.test', 'Sekretne-haslo-987', { remoteAddress: '198.51.100.23' });
      const entry = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'failed login');
      expect(entry).toMatchObject({ level: 40, email: 'kto@torun.test', ip: '198.51.100.23' });
      expect(lines.join('\n')).not.toContain('Sekretne-haslo-987');
    } finally {
      await logged.close();
    }
  });
});

describe('TRUST_PROXY: the rate limit sees the client behind the proxy', () => {
  it('throttles X-Forwarded-For clients separately when the proxy is trusted', async () => {
    const proxied = await build({ seed: false, loginRateLimit: 3, trustProxy: ['127.0.0.1'] });
    try {
      const form = await loginForm(proxied);
      const attempt = (client: string, i: number) =>
        postLogin(proxied, form, `osoba${i}@torun.test`, 'zle', {
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': client },
        });
      const a: number[] = [];
      for (let i = 0; i < 4; i++) a.push((await attempt('198.51.100.1', i)).statusCode);
      expect(a).toEqual([422, 422, 422, 429]);
      // another client behind the same proxy still gets its own attempts
      expect((await attempt('198.51.100.2', 9)).statusCode).toBe(422);
    } finally {
      await proxied.close();
    }
  });

  it('without it every client behind the proxy shares one limit (and a forged header changes nothing)', async () => {
    const direct = await build({ seed: false, loginRateLimit: 3 });
    try {
      const form = await loginForm(direct);
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        codes.push(
          (
            await postLogin(direct, form, `osoba${i}@torun.test`, 'zle', {
              remoteAddress: '127.0.0.1',
              headers: { 'x-forwarded-for': `198.51.100.${i}` },
            })
          ).statusCode,
        );
      }
      expect(codes).toEqual([422, 422, 422, 429]);
    } finally {
      await direct.close();
    }
  });
});

describe('sessions only for people who log in', () => {
  it('stores nothing for 50 anonymous visits to /login and /', async () => {
    const before = sessionRows();
    for (let i = 0; i < 50; i++) {
      const agent = new Agent(app);
      const login = await agent.get('/login');
      expect(login.statusCode).toBe(200);
      expect(login.body).toMatch(/name="_csrf" value="[^"]+"/);
      expect((await agent.get('/')).statusCode).toBe(200);
      expect(agent.cookies.has('sid')).toBe(false);
    }
    expect(sessionRows()).toBe(before);
  });

  it('a failed login stores nothing either; a login stores the account and the login time', async () => {
    const before = sessionRows();
    const agent = new Agent(app);
    await agent.get('/login');
    expect((await agent.post('/login', { email: 'admin@torun.test', password: 'zle-haslo' })).statusCode).toBe(422);
    expect(sessionRows()).toBe(before);
    await agent.login('admin@torun.test');
    const sid = decodeURIComponent(agent.cookies.get('sid')!).split('.')[0]!;
    const row = app.database.sqlite
      .prepare('SELECT user_id, created_at, expires_at FROM sessions WHERE sid = ?')
      .get(sid) as { user_id: number; created_at: number; expires_at: number };
    const adminId = (
      app.database.sqlite.prepare('SELECT id FROM users WHERE email = ?').get('admin@torun.test') as { id: number }
    ).id;
    expect(row.user_id).toBe(adminId);
    expect(row.created_at).toBeGreaterThan(0);
    expect(row.expires_at).toBeLessThanOrEqual(row.created_at + 12 * 3_600_000);
  });

  it('the CSRF secret is a signed, httpOnly, SameSite=Lax cookie and a forged one is refused', async () => {
    const agent = new Agent(app);
    const page = await agent.get('/login');
    const cookie = ([] as string[])
      .concat(page.headers['set-cookie'] as string | string[])
      .find((c) => c.startsWith('_csrf='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    agent.cookies.set('_csrf', 'podrobiony');
    const res = await agent.post('/login', { email: 'admin@torun.test', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(403);
  });
});

describe('absolute session lifetime', () => {
  it('ends a session 12 hours after login, however active', async () => {
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    const sid = decodeURIComponent(agent.cookies.get('sid')!).split('.')[0]!;
    const row = app.database.sqlite.prepare('SELECT data FROM sessions WHERE sid = ?').get(sid) as { data: string };
    const data = JSON.parse(row.data);
    // logged in 12 hours and a minute ago, active a moment ago
    data.loginAt = Date.now() - (12 * 60 + 1) * 60_000;
    app.database.sqlite.prepare('UPDATE sessions SET data = ? WHERE sid = ?').run(JSON.stringify(data), sid);
    const res = await agent.get('/staff');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fstaff');
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM sessions WHERE sid = ?').get(sid)).toEqual({ n: 0 });
  });
});

describe('Cache-Control: no-store on pages of signed-in people and on the login page', () => {
  it('sends no-store for /login, staff pages, /account and a public page seen signed in', async () => {
    expect((await app.inject('/login')).headers['cache-control']).toBe('no-store');
    const agent = new Agent(app);
    await agent.login('admin@torun.test');
    for (const url of ['/staff', `/staff/proposals/${idOfLp(app, 7)}`, '/account', '/staff/audit', '/', '/units']) {
      const res = await agent.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toMatch(/no-store/);
    }
    // the public, anonymous list stays cacheable (revalidated by ETag)
    expect((await app.inject('/')).headers['cache-control']).toBe('no-cache');
  });
});
