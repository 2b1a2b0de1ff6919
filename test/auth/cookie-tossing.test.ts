import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, TEST_PASSWORD, type App } from '../helpers.js';

/**
 * Cookie tossing: anyone who can set a cookie for this host (a sibling subdomain of the city's domain, a
 * network attacker on plain http) plants their own CSRF cookie in a signed-in person's browser and posts
 * with the token that goes with it. The token is bound to the signed-in account, so such a token is
 * refused; over https the cookies are `__Host-` cookies, which a sibling subdomain cannot set at all.
 */
let app: App;
let pid: number;
beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 11);
  await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Edukacji']);
});
afterAll(async () => {
  await app.close();
});

const notes = (a: App = app) =>
  (a.database.sqlite.prepare("SELECT count(*) AS n FROM events WHERE type = 'note.added'").get() as { n: number }).n;

/** The attacker's own CSRF cookie and token, from an anonymous visit to /login. */
async function attackerForm(a: App = app, agent = new Agent(a)) {
  await agent.get('/login');
  return { cookie: agent.cookies.get([...agent.cookies.keys()].find((k) => k.endsWith('_csrf'))!)!, token: agent.csrf };
}

describe('the CSRF token is bound to the signed-in account', () => {
  it("refuses an anonymous visitor's cookie and token planted in a signed-in admin's browser, writing nothing", async () => {
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    await admin.get(`/staff/proposals/${pid}`);
    const before = notes();
    const planted = await attackerForm();
    admin.cookies.set('_csrf', planted.cookie);
    const res = await admin.post(`/proposals/${pid}/notes`, { text: 'Notatka podrzucona.', _csrf: planted.token });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Formularz wygasł');
    expect(notes()).toBe(before);
  });

  it("refuses another staff member's cookie and token too", async () => {
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    const colleague = new Agent(app);
    await colleague.login('jednostka@torun.test');
    const before = notes();
    admin.cookies.set('_csrf', colleague.cookies.get('_csrf')!);
    const res = await admin.post(`/proposals/${pid}/notes`, { text: 'Notatka podrzucona.', _csrf: colleague.csrf });
    expect(res.statusCode).toBe(403);
    expect(notes()).toBe(before);
  });

  it("accepts the admin's own token, also with the planted cookie's secret once a page was made with it", async () => {
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    const planted = await attackerForm();
    admin.cookies.set('_csrf', planted.cookie);
    // the admin's next page makes a token from the planted secret, bound to the admin: only the admin has it
    await admin.get(`/staff/proposals/${pid}`);
    const before = notes();
    const res = await admin.post(`/proposals/${pid}/notes`, { text: 'Notatka administratora.' });
    expect(res.statusCode).toBe(303);
    expect(notes()).toBe(before + 1);
  });

  it('keeps public forms working for anonymous visitors (their token is bound to nobody)', async () => {
    const visitor = new Agent(app);
    await visitor.get('/login');
    const res = await visitor.post('/login', { email: 'admin@torun.test', password: 'zle-haslo' });
    expect(res.statusCode).toBe(422);
    // and a token from a signed-in page does not sign anyone in on a public form after a logout
    expect((await visitor.post('/login', { email: 'admin@torun.test', password: TEST_PASSWORD })).statusCode).toBe(303);
  });
});

describe('over https the cookies are __Host- cookies', () => {
  let secure: App;
  // the TLS proxy tells the app the request came over https
  const https = { 'x-forwarded-proto': 'https' };
  beforeAll(async () => {
    secure = await build({ baseUrl: 'https://konsultacje.torun.test', trustProxy: ['127.0.0.1'] });
    await createUser(secure, 'admin@torun.test', 'admin');
  });
  afterAll(async () => {
    await secure.close();
  });

  const setCookies = (res: { headers: Record<string, unknown> }) =>
    ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []);

  it('names every cookie of a login __Host-…, Secure, for the whole site and no Domain', async () => {
    const admin = new Agent(secure, { headers: https });
    const page = await admin.get('/login');
    const res = await admin.post('/login', { email: 'admin@torun.test', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(303);
    const cookies = [...setCookies(page), ...setCookies(res)].filter((c) => !/expires=Thu, 01 Jan 1970/i.test(c));
    const names = cookies.map((c) => c.split('=')[0]);
    expect(names).toEqual(
      expect.arrayContaining(['__Host-_csrf', '__Host-sid', '__Host-last_user', '__Host-known_device']),
    );
    for (const cookie of cookies) {
      expect(cookie).toMatch(/^__Host-/);
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/; Path=\/(;|$)/);
      expect(cookie).not.toMatch(/; Domain=/i);
    }
    // cleared cookies are cleared with the attributes a browser needs to accept it for a __Host- name
    for (const cookie of setCookies(res).filter((c) => /expires=Thu, 01 Jan 1970/i.test(c))) {
      expect(cookie).toMatch(/^__Host-.*; Secure/i);
    }
    expect((await admin.get('/staff')).statusCode).toBe(200);
  });

  it('ignores cookies of the old names a sibling subdomain could plant', async () => {
    const admin = new Agent(secure, { headers: https });
    await admin.login('admin@torun.test');
    await admin.get(`/staff/proposals/${idOfLp(secure, 11)}`);
    const planted = await attackerForm(secure, new Agent(secure, { headers: https }));
    // the sibling subdomain can only set a plain `_csrf` (a __Host- cookie cannot be set for another host)
    admin.cookies.set('_csrf', planted.cookie);
    const before = notes(secure);
    const forged = await admin.post(`/proposals/${idOfLp(secure, 11)}/notes`, {
      text: 'Notatka podrzucona.',
      _csrf: planted.token,
    });
    expect(forged.statusCode).toBe(403);
    // a plain `sid` signs nobody in either
    const stranger = new Agent(secure, { headers: https });
    stranger.cookies.set('sid', admin.cookies.get('__Host-sid')!);
    expect((await stranger.get('/staff')).statusCode).toBe(303);
    expect(notes(secure)).toBe(before);
    // the admin's own token still works
    expect((await admin.post(`/proposals/${idOfLp(secure, 11)}/notes`, { text: 'Notatka.' })).statusCode).toBe(303);
    expect(notes(secure)).toBe(before + 1);
  });
});
