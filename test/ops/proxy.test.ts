import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_TRANSPORT_SECURITY } from '../../src/plugins/security.js';
import { Agent, build, createUser, TEST_PASSWORD, type App } from '../helpers.js';

/**
 * Behind the city's TLS proxy (nginx, deploy/nginx-konsultacje.conf): the app speaks plain http to it and is told
 * the rest in X-Forwarded-Proto and X-Forwarded-For, believed from the hops TRUST_PROXY names.
 */
const overHttps = { 'x-forwarded-proto': 'https' };

const setCookies = (res: { headers: Record<string, unknown> }) =>
  ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []);

describe('behind a TLS proxy trusted as one hop, BASE_URL not set', () => {
  let app: App;
  beforeAll(async () => {
    // build()'s default BASE_URL is http://127.0.0.1:3000, as the app's own without BASE_URL
    app = await build({ trustProxy: 1, loginRateLimit: 3 });
    await createUser(app, 'admin@torun.test', 'admin');
  });
  afterAll(async () => {
    await app.close();
  });

  it('signs in over https with Secure __Host- cookies, and says Strict-Transport-Security', async () => {
    const admin = new Agent(app, { headers: overHttps });
    const page = await admin.get('/login');
    expect(page.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
    const res = await admin.post('/login', { email: 'admin@torun.test', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(303);
    const session = setCookies(res).find((c) => c.startsWith('__Host-sid='));
    expect(session).toMatch(/; Secure/i);
    expect(res.headers['strict-transport-security']).toBe(STRICT_TRANSPORT_SECURITY);
    const staff = await admin.get('/staff');
    expect(staff.statusCode).toBe(200);
    expect(staff.body).toContain('admin@torun.test');
  });

  it('answers a plain http request with plain cookies and no HSTS (a check on the server itself)', async () => {
    const local = new Agent(app);
    const page = await local.get('/login');
    expect(page.headers['strict-transport-security']).toBeUndefined();
    const res = await local.post('/login', { email: 'admin@torun.test', password: TEST_PASSWORD });
    expect(res.statusCode).toBe(303);
    const cookies = setCookies(res);
    expect(cookies.some((c) => c.startsWith('sid='))).toBe(true);
    for (const cookie of cookies) {
      expect(cookie).not.toMatch(/^__Host-/);
      expect(cookie).not.toMatch(/; Secure/i);
    }
    expect((await local.get('/staff')).statusCode).toBe(200);
  });

  it('takes the client address from the hop before the proxy, not from what the client wrote', async () => {
    // nginx appends the address it saw to whatever X-Forwarded-For the client sent
    const attempt = (forged: string) =>
      new Agent(app, { headers: { ...overHttps, 'x-forwarded-for': `${forged}, 198.51.100.7` } }).post(
        '/login',
        { email: 'ktos@torun.test', password: 'zle' },
        // the login form's token is not what is counted here: the rate limit comes first
      );
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await attempt(`203.0.113.${i}`)).statusCode);
    // one client, whatever it forged: the fourth attempt within the minute is refused
    expect(codes.at(-1)).toBe(429);
    const other = new Agent(app, { headers: { ...overHttps, 'x-forwarded-for': '198.51.100.8' } });
    expect((await other.post('/login', { email: 'ktos@torun.test', password: 'zle' })).statusCode).not.toBe(429);
  });
});

describe('without a trusted proxy', () => {
  let app: App;
  beforeAll(async () => {
    app = await build({ seed: false });
  });
  afterAll(async () => {
    await app.close();
  });

  it('believes no X-Forwarded-Proto: no Secure cookies, no HSTS for a forged header', async () => {
    const visitor = new Agent(app, { headers: overHttps });
    const page = await visitor.get('/login');
    expect(page.headers['strict-transport-security']).toBeUndefined();
    for (const cookie of setCookies(page)) expect(cookie).not.toMatch(/^__Host-|; Secure/i);
  });
});
