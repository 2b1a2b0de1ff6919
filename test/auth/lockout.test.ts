import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressGroup, LoginLockout } from '../../src/auth/throttle.js';
import { Agent, build, createUser, TEST_PASSWORD, type App } from '../helpers.js';

/**
 * Strangers cannot lock a staff member out (OWASP's device cookies): failed logins are counted per
 * account and address, and for the browsers that signed in to the account before, per browser. An address
 * with no failures, and the owner's browser, still get in while someone guesses from elsewhere; the
 * guessing itself stays slow (at most 30 password checks per account in 15 minutes from all addresses
 * without such a browser together).
 */
let app: App;
beforeAll(async () => {
  app = await build({ seed: false });
  await createUser(app, 'admin@torun.test', 'admin');
  await createUser(app, 'jednostka@torun.test', 'reviewer');
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  await createUser(app, 'druga@torun.test', 'reviewer');
});
afterAll(async () => {
  await app.close();
});

const THROTTLED = 'Zbyt wiele nieudanych prób logowania na to konto.';
const creds = (email: string, password: string) => ({ email, password });

/** A browser at one address. */
class Browser extends Agent {
  constructor(address: string) {
    super(app, { remoteAddress: address });
  }
  async open() {
    await this.get('/login');
    return this;
  }
  /** Signs in with the right password and out again: the browser is now one the account used. */
  async signInAndOut(email: string) {
    await this.open();
    const res = await this.post('/login', { email, password: TEST_PASSWORD });
    expect(res.statusCode).toBe(303);
    await this.get('/staff');
    await this.post('/logout');
    await this.open();
  }
}

async function guess(email: string, address: string, password = 'zgadywane-haslo') {
  const stranger = await new Browser(address).open();
  return stranger.post('/login', creds(email, password));
}

describe('failed logins from strangers', () => {
  it("ten wrong passwords from ten other addresses do not keep the owner's browser or a clean address out", async () => {
    const owner = new Browser('198.51.100.10');
    await owner.signInAndOut('admin@torun.test');
    for (let i = 0; i < 10; i++) expect((await guess('admin@torun.test', `203.0.113.${i}`)).statusCode).toBe(422);
    // the owner's browser, which signed in before, gets in with the right password
    const back = await owner.post('/login', creds('admin@torun.test', TEST_PASSWORD));
    expect(back.statusCode, back.body.slice(0, 300)).toBe(303);
    // and so does an address that has no failures, from a new browser
    const clean = await new Browser('198.51.100.77').open();
    expect((await clean.post('/login', creds('admin@torun.test', TEST_PASSWORD))).statusCode).toBe(303);
  });

  it('an address that failed ten times is refused for that account, with a Polish 429, even with the password', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await guess('jednostka@torun.test', '203.0.113.50')).statusCode);
    expect(codes).toEqual([...Array(10).fill(422), 429, 429]);
    const res = await guess('jednostka@torun.test', '203.0.113.50', TEST_PASSWORD);
    expect(res.statusCode).toBe(429);
    expect(res.body).toContain(THROTTLED);
    // the same address may still sign in to another account; another address to this one
    expect((await guess('rdpp@torun.test', '203.0.113.50', TEST_PASSWORD)).statusCode).toBe(303);
    expect((await guess('jednostka@torun.test', '203.0.113.51', TEST_PASSWORD)).statusCode).toBe(303);
  });

  it('counts an IPv6 network (/64) as one address, so hopping inside it gains nothing', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) codes.push((await guess('druga@torun.test', `2001:db8:1:2::${i + 1}`)).statusCode);
    expect(codes).toEqual([...Array(10).fill(422), 429]);
    expect((await guess('druga@torun.test', '2001:db8:1:3::1', TEST_PASSWORD)).statusCode).toBe(303);
  });

  it('guessing stays slow: 30 password checks per account in 15 minutes from all unknown browsers together', async () => {
    const owner = new Browser('198.51.100.20');
    await createUser(app, 'biuro@torun.test', 'admin');
    await owner.signInAndOut('biuro@torun.test');
    const codes: number[] = [];
    // three guesses from each of 40 addresses
    for (let i = 0; i < 120; i++) codes.push((await guess('biuro@torun.test', `192.0.2.${i % 40}`)).statusCode);
    expect(codes.filter((c) => c === 422)).toHaveLength(30);
    expect(codes.slice(30)).toEqual(Array(90).fill(429));
    // a new browser, even at a clean address and with the right password, now waits
    const late = await guess('biuro@torun.test', '198.51.100.99', TEST_PASSWORD);
    expect(late.statusCode).toBe(429);
    expect(late.body).toContain(THROTTLED);
    // the owner's browser does not
    expect((await owner.post('/login', creds('biuro@torun.test', TEST_PASSWORD))).statusCode).toBe(303);
  });

  it("the owner's browser has its own limit, and its cookie is worth nothing for another account or forged", async () => {
    const owner = new Browser('198.51.100.30');
    await createUser(app, 'kadry@torun.test', 'admin');
    await createUser(app, 'inne@torun.test', 'admin');
    await owner.signInAndOut('kadry@torun.test');
    const codes: number[] = [];
    for (let i = 0; i < 11; i++)
      codes.push((await owner.post('/login', creds('kadry@torun.test', `zle-${i}`))).statusCode);
    // ten on the browser's own count, then it is an unknown browser at an address that has not failed yet
    expect(codes).toEqual(Array(11).fill(422));
    expect((await owner.post('/login', creds('kadry@torun.test', TEST_PASSWORD))).statusCode).toBe(303);
    await owner.get('/staff');
    await owner.post('/logout');
    await owner.open();
    const device = [...owner.cookies].find(([name]) => name.includes('known_device'));
    expect(device, [...owner.cookies.keys()].join()).toBeDefined();

    // for another account the cookie counts for nothing: the address's ten failures apply
    for (let i = 0; i < 10; i++) await owner.post('/login', creds('inne@torun.test', `zle-${i}`));
    expect((await owner.post('/login', creds('inne@torun.test', TEST_PASSWORD))).statusCode).toBe(429);

    // a stranger's address that failed ten times: a device cookie with a forged signature does not help it…
    const stranger = await new Browser('203.0.113.200').open();
    for (let i = 0; i < 10; i++) await stranger.post('/login', creds('kadry@torun.test', `zle-${i}`));
    const [name, value] = device!;
    stranger.cookies.set(name, `${value.slice(0, value.lastIndexOf('.'))}.podpis`);
    expect((await stranger.post('/login', creds('kadry@torun.test', TEST_PASSWORD))).statusCode).toBe(429);
    // …the real one (copied from the owner's browser) does
    stranger.cookies.set(name, value);
    expect((await stranger.post('/login', creds('kadry@torun.test', TEST_PASSWORD))).statusCode).toBe(303);
  });
});

describe('LoginLockout', () => {
  it("counts in a 15-minute window; a success takes back its own try, and a known browser's count starts afresh", () => {
    let now = 0;
    const lockout = new LoginLockout({ now: () => now });
    const stranger = (i: number) => ({ email: 'a@b.c', address: `203.0.113.${i}`, device: null });
    for (let i = 0; i < 30; i++) expect(lockout.begin(stranger(i))).not.toBeNull();
    expect(lockout.begin(stranger(99))).toBeNull();
    // a known browser is not held up by them
    const owner = { email: 'a@b.c', address: '198.51.100.1', device: 'przegladarka' };
    for (let i = 0; i < 10; i++) expect(lockout.begin(owner)).not.toBeNull();
    const ticket = lockout.begin(owner);
    // its own ten are used up: it is an unknown browser now, and those wait
    expect(ticket).toBeNull();
    now = 15 * 60_000;
    const right = lockout.begin(owner);
    expect(right).toEqual({ device: 'przegladarka' });
    lockout.succeeded(right!);
    for (let i = 0; i < 10; i++) expect(lockout.begin(owner)).not.toBeNull();
    // the shared ceiling after the window: 29 failures and one success leave room for one more failure
    for (let i = 0; i < 29; i++) lockout.begin(stranger(i));
    const ok = lockout.begin(stranger(50));
    lockout.succeeded(ok!);
    expect(lockout.begin(stranger(51))).not.toBeNull();
    expect(lockout.begin(stranger(52))).toBeNull();
  });

  it('takes an IPv4 address as it is, an IPv6 one by its /64, an IPv4-mapped one as IPv4', () => {
    expect(addressGroup('203.0.113.7')).toBe('203.0.113.7');
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2::ffff')).toBe(addressGroup('2001:0db8:0001:0002:1:2:3:4'));
    expect(addressGroup('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressGroup('nie-adres')).toBe('nie-adres');
  });
});
