import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKeptForm, KEPT_COOKIE, LAST_USER_COOKIE, pruneKeptForms } from '../../src/auth/kept-forms.js';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { FORMS } from '../../src/workbench/ids.js';
import {
  Agent,
  build,
  createUser,
  idOfLp,
  type App,
  TEST_PASSWORD,
  unitIdByName,
  workflowSnapshot,
} from '../helpers.js';

/**
 * No lost work when a session ends: a staff form sent after that is kept (never silently dropped),
 * the browser is sent to log in again, and the same account finds its text back in the form; the
 * keepalive the page script calls moves the idle limit on, but never the absolute one.
 */
let app: App;
let pid: number;
let zgmId: number;
let zgmUnit: number;
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const KULTURA = 'Wydział Kultury';
const LOGIN_MESSAGE = 'Sesja wygasła. Zaloguj się ponownie – Twój tekst został zachowany.';
const RESTORED = 'Przywróciliśmy tekst wpisany przed wygaśnięciem sesji.';
/** a long position, as units write them (over 4,000 characters, Polish letters) */
const LONG_TEXT = `${'Zakład Gospodarki Mieszkaniowej popiera propozycję: lokale na Rubinkowie i Skarpie zostaną przekazane organizacjom w 2027 roku, po remoncie. Zażółć gęślą jaźń. '.repeat(27)}Koniec.`;

const row = <T>(sql: string, ...args: unknown[]) => app.database.sqlite.prepare(sql).get(...args) as T;
const sidOf = (agent: Agent) => decodeURIComponent(agent.cookies.get('sid')!).split('.')[0]!;
const keptCount = () => row<{ n: number }>('SELECT count(*) n FROM kept_forms').n;
const inDays = (n: number) => todayInWarsaw(new Date(Date.now() + n * 86_400_000));
const versionIn = (html: string) => Number(/name="version" value="(\d+)"/.exec(html)![1]);

/** Moves the session's last request (or its login) back in time, as if the user had been away. */
function ageSession(agent: Agent, change: { lastSeen?: number; loginAt?: number }) {
  const sid = sidOf(agent);
  const data = JSON.parse(row<{ data: string }>('SELECT data FROM sessions WHERE sid = ?', sid).data);
  Object.assign(data, change);
  app.database.sqlite.prepare('UPDATE sessions SET data = ? WHERE sid = ?').run(JSON.stringify(data), sid);
}

/** What the browser does after SESSION_IDLE_MINUTES: its session cookie has expired (the row is pruned). */
function dropSessionCookie(agent: Agent) {
  app.database.sqlite.prepare('DELETE FROM sessions WHERE sid = ?').run(sidOf(agent));
  agent.cookies.delete('sid');
}

const position = (justification = LONG_TEXT) => ({
  unitId: String(zgmUnit),
  positionVersion: '0',
  action: 'submit',
  outcome: 'uwzgledniona',
  justification,
});

async function loginOnly(agent: Agent, email: string, next = '') {
  await agent.get('/login');
  return agent.post('/login', { email, password: TEST_PASSWORD, ...(next ? { next } : {}) });
}

async function logout(agent: Agent) {
  await agent.get('/staff');
  await agent.post('/logout');
}

beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 7);
  zgmUnit = unitIdByName(app, ZGM);
  await createUser(app, 'biuro@torun.test', 'admin');
  zgmId = await createUser(app, 'zgm@torun.test', 'unit', [ZGM]);
  await createUser(app, 'zgm2@torun.test', 'unit', [ZGM]);
  await createUser(app, 'kultura@torun.test', 'unit', [KULTURA]);
  const admin = new Agent(app);
  await admin.login('biuro@torun.test');
  const page = await admin.get(`/staff/proposals/${pid}`);
  const res = await admin.post(`/proposals/${pid}/assignments`, {
    version: versionIn(page.body),
    unitIds: [String(zgmUnit), String(unitIdByName(app, KULTURA))],
    leadUnitId: String(zgmUnit),
    dueDate: inDays(14),
  });
  expect(res.statusCode).toBe(303);
});
afterAll(async () => {
  await app.close();
});

describe('a form sent after the session ended', () => {
  it('keeps the text, says so on the login page, and gives it back to the same account after logging in', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    ageSession(zgm, { lastSeen: Date.now() - 31 * 60_000 });
    const before = workflowSnapshot(app);

    // refused as before (401, nothing written), but the answer is the login form, and the text is kept
    const sent = await zgm.post(`/proposals/${pid}/positions`, position());
    expect(sent.statusCode).toBe(401);
    expect(sent.body).toContain(LOGIN_MESSAGE);
    expect(sent.body).toContain(`<input type="hidden" name="next" value="/staff/proposals/${pid}">`);
    expect(workflowSnapshot(app)).toBe(before);
    const kept = row<{ user_id: number; fields: string; expires_at: number; created_at: number }>(
      'SELECT * FROM kept_forms',
    );
    expect(kept.user_id).toBe(zgmId);
    expect(JSON.parse(kept.fields)).toEqual(position());
    expect(kept.fields).not.toContain('_csrf');
    expect(kept.expires_at - kept.created_at).toBe(24 * 3_600_000);
    // the database holds a hash of the browser's key, not the key
    expect(row<{ id: string }>('SELECT id FROM kept_forms').id).not.toBe(zgm.cookies.get(KEPT_COOKIE));

    // the login page says so too, as long as the text waits
    const login = await zgm.get('/login');
    expect(login.body).toContain(LOGIN_MESSAGE);
    // even with a next address elsewhere, the login returns to the form
    const back = await zgm.post('/login', { email: 'zgm@torun.test', password: TEST_PASSWORD, next: '/staff/mail' });
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe(`/staff/proposals/${pid}`);

    const page = await zgm.get(`/staff/proposals/${pid}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(RESTORED);
    expect(page.body).toContain(`>${LONG_TEXT}</textarea>`);
    expect(page.body).toContain(`href="#position-${zgmUnit}-justification"`);
    expect(page.body).not.toContain('<title>Błąd');
    // not submitted: still nothing written
    expect(workflowSnapshot(app)).toBe(before);
    // shown once: the key is used up
    expect(keptCount()).toBe(0);
    expect(zgm.cookies.has(KEPT_COOKIE)).toBe(false);
    expect((await zgm.get(`/staff/proposals/${pid}`)).body).not.toContain(LONG_TEXT);

    // sent again, with the new page's token: saved
    await zgm.get(`/staff/proposals/${pid}`);
    const saved = await zgm.post(`/proposals/${pid}/positions`, position());
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toContain('ok=stanowisko');
    expect(
      row<{ justification: string }>('SELECT justification FROM position_versions ORDER BY id DESC LIMIT 1')
        .justification,
    ).toBe(LONG_TEXT.trim());
  });

  it('knows the account after the browser dropped the expired session cookie, and shows nobody else the text', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    dropSessionCookie(zgm);
    const text = 'Poprawione stanowisko: tekst pisany przez godzinę.';
    const sent = await zgm.post(`/proposals/${pid}/positions`, { ...position(text), positionVersion: '1' });
    expect(sent.statusCode).toBe(401);
    expect(sent.body).toContain(LOGIN_MESSAGE);
    expect(row<{ user_id: number }>('SELECT user_id FROM kept_forms').user_id).toBe(zgmId);

    // a colleague from the same unit logs in at this computer: not their text
    const colleague = await loginOnly(zgm, 'zgm2@torun.test');
    expect(colleague.headers.location).toBe('/staff');
    expect((await zgm.get(`/staff/proposals/${pid}`)).body).not.toContain(text);
    expect(keptCount()).toBe(1);
    await logout(zgm);

    // the author does get it back
    const author = await loginOnly(zgm, 'zgm@torun.test');
    expect(author.headers.location).toBe(`/staff/proposals/${pid}`);
    const page = await zgm.get(`/staff/proposals/${pid}`);
    expect(page.body).toContain(`>${text}</textarea>`);
    expect(keptCount()).toBe(0);
  });

  it('keeps the text when the browser lost the CSRF cookie too (restarted), by the signed last-login cookie', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    dropSessionCookie(zgm);
    zgm.cookies.delete('_csrf');
    const text = 'Po ponownym uruchomieniu przeglądarki.';
    const sent = await zgm.post(`/proposals/${pid}/positions`, { ...position(text), positionVersion: '1' });
    expect(sent.statusCode).toBe(401);
    expect(row<{ user_id: number }>('SELECT user_id FROM kept_forms').user_id).toBe(zgmId);
    await loginOnly(zgm, 'zgm@torun.test');
    expect((await zgm.get(`/staff/proposals/${pid}`)).body).toContain(`>${text}</textarea>`);
  });

  it('without any trace of the account but the form, knows it from the CSRF token the page made for it', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    dropSessionCookie(zgm);
    zgm.cookies.delete(LAST_USER_COOKIE);
    const text = 'Tekst z przeglądarki, która zapomniała, kto był zalogowany.';
    const sent = await zgm.post(`/proposals/${pid}/positions`, { ...position(text), positionVersion: '1' });
    expect(sent.statusCode).toBe(401);
    // the token is bound to the account it was made for: the text is that account's
    expect(row<{ user_id: number | null }>('SELECT user_id FROM kept_forms').user_id).toBe(zgmId);

    // Wydział Kultury may not write ZGM's position, and a ZGM colleague may but did not write this: nothing for them
    for (const other of ['kultura@torun.test', 'zgm2@torun.test']) {
      expect((await loginOnly(zgm, other)).headers.location).toBe('/staff');
      expect((await zgm.get(`/staff/proposals/${pid}`)).body).not.toContain(text);
      await logout(zgm);
    }

    expect((await loginOnly(zgm, 'zgm@torun.test')).headers.location).toBe(`/staff/proposals/${pid}`);
    expect((await zgm.get(`/staff/proposals/${pid}`)).body).toContain(`>${text}</textarea>`);
  });

  it('keeps a form sent with the stale token of an ended session while signed in again in another tab', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    const staleToken = zgm.csrf;
    // another tab: logged in again (a new session and a new CSRF secret)
    await zgm.login('zgm@torun.test');
    const before = workflowSnapshot(app);
    const text = 'Pisane w starej karcie.';
    const sent = await zgm.post(`/proposals/${pid}/positions`, {
      ...position(text),
      positionVersion: '1',
      _csrf: staleToken,
    });
    // CSRF is still enforced: refused, nothing saved; the text comes back in the form to be sent again
    expect(sent.statusCode).toBe(403);
    expect(sent.body).toContain('Twój tekst został zachowany');
    expect(sent.body).toContain(`href="/staff/proposals/${pid}">Wróć do formularza</a>`);
    expect(workflowSnapshot(app)).toBe(before);
    const page = await zgm.get(`/staff/proposals/${pid}`);
    expect(page.body).toContain(RESTORED);
    expect(page.body).toContain(`>${text}</textarea>`);
  });

  it('keeps an htmx note: the browser is sent to the login page, not a fragment', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    dropSessionCookie(zgm);
    const res = await zgm.post(
      `/proposals/${pid}/notes`,
      { text: 'Notatka: dzwoniłam do stowarzyszenia.' },
      { 'hx-request': 'true', 'hx-target': 'zdarzenia' },
    );
    expect(res.statusCode).toBe(401);
    expect(res.headers['hx-redirect']).toBe(`/login?next=${encodeURIComponent(`/staff/proposals/${pid}`)}`);
    await loginOnly(zgm, 'zgm@torun.test');
    const page = await zgm.get(`/staff/proposals/${pid}`);
    expect(page.body).toContain('>Notatka: dzwoniłam do stowarzyszenia.</textarea>');
    expect(page.body).toContain('href="#note-text"');
  });

  it('an autosave that finds the session ended keeps the text without navigating away from the typing', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    dropSessionCookie(zgm);
    const headers = { 'hx-request': 'true', 'hx-target': FORMS.positionDraftState(zgmUnit) };
    const text = 'Szkic w trakcie pisania.';
    const res = await zgm.post(
      `/proposals/${pid}/positions`,
      { ...position(text), action: 'draft', positionVersion: '1' },
      headers,
    );
    expect(res.statusCode).toBe(401);
    expect(res.headers['hx-trigger']).toBe('session-ended');
    expect(res.headers['hx-redirect']).toBeUndefined();
    await loginOnly(zgm, 'zgm@torun.test');
    expect((await zgm.get(`/staff/proposals/${pid}`)).body).toContain(`>${text}</textarea>`);
  });

  it('keeps nothing from a forged cross-site post (no token, no cookie of this site)', async () => {
    const before = keptCount();
    const res = await app.inject({
      method: 'POST',
      url: `/proposals/${pid}/positions`,
      payload: new URLSearchParams(position('podrzucony tekst')).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['set-cookie'] ?? '').not.toContain(KEPT_COOKIE);
    expect(keptCount()).toBe(before);
  });

  it('refuses a crafted return address: after the login only a same-site staff page', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    dropSessionCookie(zgm);
    await zgm.post(`/proposals/${pid}/positions`, { ...position('x'), positionVersion: '1' });
    for (const next of ['https://evil.example/', '//evil.example/staff', '/\\evil.example']) {
      const res = await loginOnly(zgm, 'zgm@torun.test', next);
      expect(res.headers.location).toBe(`/staff/proposals/${pid}`);
      await logout(zgm);
    }
    // without a kept form the next address is still checked
    const agent = new Agent(app);
    const plain = await loginOnly(agent, 'zgm@torun.test', 'https://evil.example/');
    expect(plain.headers.location).toBe('/staff');
    // a made-up key is nobody's form
    const guess = new Agent(app);
    guess.cookies.set(KEPT_COOKIE, 'zgadywany-klucz');
    expect((await guess.get('/login')).body).not.toContain(LOGIN_MESSAGE);
    expect((await loginOnly(guess, 'zgm@torun.test')).headers.location).toBe('/staff');
  });

  it('purges kept forms after a day', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    dropSessionCookie(zgm);
    await zgm.post(`/proposals/${pid}/positions`, { ...position('stary tekst'), positionVersion: '1' });
    const key = zgm.cookies.get(KEPT_COOKIE)!;
    expect(findKeptForm(app.database.db, key)).not.toBeNull();
    app.database.sqlite.prepare('UPDATE kept_forms SET expires_at = ?').run(Date.now() - 1);
    // expired: no longer offered, even before the purge
    expect(findKeptForm(app.database.db, key)).toBeNull();
    expect((await zgm.get('/login')).body).not.toContain(LOGIN_MESSAGE);
    expect(pruneKeptForms(app.database.db)).toBeGreaterThan(0);
    expect(keptCount()).toBe(0);
  });
});

describe('keepalive', () => {
  const keepalive = (agent: Agent, headers: Record<string, string> = { 'x-csrf-token': agent.csrf }) =>
    app.inject({
      method: 'POST',
      url: '/session/keepalive',
      headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...headers },
    });
  const sessionRow = (agent: Agent) =>
    row<{ data: string; expires_at: number }>('SELECT data, expires_at FROM sessions WHERE sid = ?', sidOf(agent));

  it('moves the idle limit on for a valid session', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    const tenMinutesAgo = Date.now() - 10 * 60_000;
    ageSession(zgm, { lastSeen: tenMinutesAgo });
    const res = await keepalive(zgm);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ signedIn: true, idleSeconds: 30 * 60 });
    expect(body.remainingSeconds).toBeGreaterThan(11 * 3600);
    const after = sessionRow(zgm);
    expect(JSON.parse(after.data).lastSeen).toBeGreaterThan(tenMinutesAgo + 9 * 60_000);
    expect(after.expires_at).toBeGreaterThan(tenMinutesAgo + 39 * 60_000);
  });

  it('needs the CSRF token', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get('/staff');
    const res = await keepalive(zgm, {});
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('signedIn');
  });

  it('does not bring back an ended session', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get('/staff');
    ageSession(zgm, { lastSeen: Date.now() - 31 * 60_000 });
    const sid = sidOf(zgm);
    const res = await keepalive(zgm);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ signedIn: false });
    expect(row<{ n: number }>('SELECT count(*) n FROM sessions WHERE sid = ?', sid).n).toBe(0);
    // nor one that never was
    const anonymous = new Agent(app);
    await anonymous.get('/login');
    expect((await keepalive(anonymous)).statusCode).toBe(401);
  });

  it('cannot pass the absolute limit: a session 12 hours after login ends however active, and its form is kept', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await zgm.get(`/staff/proposals/${pid}`);
    ageSession(zgm, { loginAt: Date.now() - (12 * 60 + 1) * 60_000, lastSeen: Date.now() - 60_000 });
    const sid = sidOf(zgm);
    expect((await keepalive(zgm)).statusCode).toBe(401);
    expect(row<{ n: number }>('SELECT count(*) n FROM sessions WHERE sid = ?', sid).n).toBe(0);
    const sent = await zgm.post(`/proposals/${pid}/positions`, {
      ...position('po dwunastu godzinach'),
      positionVersion: '1',
    });
    expect(sent.statusCode).toBe(401);
    expect(sent.body).toContain(LOGIN_MESSAGE);
  });

  it('the page carries the session script with the limits it needs, only for signed-in people', async () => {
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    const page = await zgm.get(`/staff/proposals/${pid}`);
    expect(page.body).toMatch(
      /<script src="\/static\/session\.[0-9a-f]{12}\.js" defer data-idle-seconds="1800" data-remaining-seconds="\d+"><\/script>/,
    );
    expect((await app.inject('/')).body).not.toContain('session.');
  });
});
