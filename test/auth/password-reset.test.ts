import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.js';
import { Agent, build, createUser, type App, TEST_PASSWORD } from '../helpers.js';
import { later, linkIn } from '../notifications/fixtures.js';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp.js';
import { sendNewPassword, tokenOf } from './links.js';

/**
 * "Nie pamiętasz hasła?": the same answer for every address (no enumeration, not by timing either: the same work
 * is done), a mail (through the outbox, over real SMTP here) only to an active account, a one-time link valid for
 * an hour, limits per address and per client address; the new password ends every session and is audited.
 */
let app: App;
let sink: SmtpSink;
let userId: number;
const USER = 'zapominalska@torun.test';
const sqlite = () => app.database.sqlite;
const run = () => app.mailWorker.runOnce(later(1));
const resetMails = () =>
  (
    sqlite().prepare("SELECT recipient FROM outbox WHERE kind = 'account-password-reset' ORDER BY id").all() as {
      recipient: string;
    }[]
  ).map((r) => r.recipient);
const requestRows = () =>
  (sqlite().prepare('SELECT count(*) AS n FROM password_reset_requests').get() as { n: number }).n;
const hashOf = (id: number) =>
  (sqlite().prepare('SELECT password_hash FROM users WHERE id = ?').get(id) as { password_hash: string }).password_hash;
const sessionsOf = (id: number) =>
  (sqlite().prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').get(id) as { n: number }).n;

let address = 0;
/** A browser from its own client address, so the per-address limit of one test does not reach another. */
const visitor = () => new Agent(app, { remoteAddress: `198.51.100.${++address}` });

/** Opens the form and asks for a link for `email`. */
async function ask(email: string, agent = visitor()) {
  await agent.get('/password-reset');
  return agent.post('/password-reset', { email });
}

/** An answer as a comparison sees it: the CSRF token (random per browser) taken out, the date header too. */
function comparable(res: Awaited<ReturnType<typeof ask>>) {
  const { date: _date, ...headers } = res.headers;
  const body = res.body.replace(/("X-CSRF-Token": ")[^"]+"/g, '$1…"').replace(/(name="_csrf" value=")[^"]+"/g, '$1…"');
  return { statusCode: res.statusCode, headers, body };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await build({ mail: { smtpUrl: sink.url } });
  userId = await createUser(app, USER, 'unit', ['Wydział Edukacji']);
  await createUser(app, 'admin@torun.test', 'admin');
  const closed = await createUser(app, 'odszedl@torun.test', 'reviewer');
  sqlite().prepare('UPDATE users SET active = 0 WHERE id = ?').run(closed);
});
afterAll(async () => {
  await app.close();
  await sink.stop();
});

describe('"Nie pamiętasz hasła?"', () => {
  it('is linked from the login form and asks for the address', async () => {
    const login = await visitor().get('/login');
    expect(login.body).toContain('<a href="/password-reset">Nie pamiętasz hasła?</a>');
    const page = await visitor().get('/password-reset');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1>Nie pamiętasz hasła?</h1>');
    expect(page.body).toContain('<label for="email">Adres e-mail</label>');
    expect(page.body).toContain('name="_csrf"');
  });

  it('answers byte for byte the same for a known, an unknown and a closed account, doing the same work', async () => {
    const answers = [];
    for (const email of [USER, 'nikt-taki@torun.test', 'odszedl@torun.test']) {
      const mails = resetMails().length;
      const rows = requestRows();
      const res = await ask(email);
      // the same writes: a request row for every address; a mail row only for the active account
      expect(requestRows(), email).toBe(rows + 1);
      expect(resetMails().length - mails, email).toBe(email === USER ? 1 : 0);
      answers.push(comparable(res));
    }
    expect(answers[0]!.statusCode).toBe(200);
    expect(answers[0]!.body).toContain('<h1>Sprawdź skrzynkę</h1>');
    expect(answers[0]!.body).toContain('Jeśli podany adres należy do aktywnego konta');
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    // the address typed is kept only as a hash
    expect(JSON.stringify(sqlite().prepare('SELECT * FROM password_reset_requests').all())).not.toContain('nikt-taki');
    expect(resetMails()).toEqual([USER]);
  });

  it('sends a one-time link valid for an hour; the new password ends every session, the old one stops working', async () => {
    const phone = new Agent(app);
    await phone.login(USER);
    const laptop = new Agent(app);
    await laptop.login(USER);
    expect(sessionsOf(userId)).toBe(2);
    expect(await run()).toMatchObject({ sent: 1 });
    const mail = sink.to(USER).at(-1)!;
    expect(mail.parsed.subject).toBe('Ustaw nowe hasło – Konsultacje Toruń');
    expect(mail.parsed.text).toContain('link jest ważny przez godzinę i działa tylko raz');
    const path = linkIn(mail.parsed.text ?? '', '/password/new');
    const token = tokenOf(path);
    const stored = sqlite()
      .prepare('SELECT token_hash, purpose, created_at, expires_at FROM account_tokens WHERE user_id = ?')
      .get(userId) as { token_hash: string; purpose: string; created_at: string; expires_at: string };
    expect(stored.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(stored.purpose).toBe('password-reset');
    expect(Date.parse(stored.expires_at) - Date.parse(stored.created_at)).toBe(3_600_000);
    // until the link is used the old password goes on working
    await new Agent(app).login(USER);

    const browser = visitor();
    const page = await browser.get(path);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Ustaw nowe hasło</h1>');
    const short = await sendNewPassword(browser, token, 'za-krotkie');
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('Hasło musi mieć co najmniej 12 znaków.');
    const res = await sendNewPassword(browser, token, 'Nowe-haslo-po-resecie');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?password=reset');
    expect((await browser.get(res.headers.location!)).body).toContain('Nowe hasło zostało ustawione');

    expect(sessionsOf(userId)).toBe(0);
    for (const device of [phone, laptop]) {
      const after = await device.get('/staff');
      expect(after.statusCode).toBe(303);
      expect(after.headers.location).toBe('/login?next=%2Fstaff');
    }
    await expect(new Agent(app).login(USER, TEST_PASSWORD)).rejects.toThrow();
    expect(await verifyPassword('Nowe-haslo-po-resecie', hashOf(userId))).toBe(true);
    const login = await new Agent(app).login(USER, 'Nowe-haslo-po-resecie');
    expect(login.headers.location).toBe('/staff');

    const entry = sqlite()
      .prepare("SELECT actor_id, after FROM audit_log WHERE subject_id = ? AND action = 'account.password-changed'")
      .all(userId);
    expect(entry).toEqual([{ actor_id: userId, after: JSON.stringify({ by: 'reset', endedSessions: 3 }) }]);
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    const audit = await admin.get('/staff/audit');
    expect(audit.body).toContain('sposób: przez właściciela konta, linkiem z „Nie pamiętasz hasła?”');

    // works once
    const replay = await sendNewPassword(browser, token, 'Jeszcze-inne-haslo-1');
    expect(replay.statusCode).toBe(410);
    expect(await verifyPassword('Nowe-haslo-po-resecie', hashOf(userId))).toBe(true);
  });

  it('says so when the link has expired, pointing to a new one, and changes nothing', async () => {
    await ask(USER);
    await run();
    const path = linkIn(sink.to(USER).at(-1)!.parsed.text ?? '', '/password/new');
    const token = tokenOf(path);
    // an hour and a minute have passed since the mail was sent
    const sent = Date.now() - 61 * 60_000;
    sqlite()
      .prepare('UPDATE account_tokens SET created_at = ?, expires_at = ? WHERE used_at IS NULL AND user_id = ?')
      .run(new Date(sent).toISOString(), new Date(sent + 3_600_000).toISOString(), userId);
    const browser = visitor();
    const page = await browser.get(path);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('<h1>Link wygasł</h1>');
    expect(page.body).toContain('<a href="/password-reset">Zamów nowy link</a>');
    // a reset is asked for again from the form, not renewed from the link
    expect(page.body).not.toContain('/password/new/renewal');
    const hash = hashOf(userId);
    await browser.get('/password-reset');
    const res = await sendNewPassword(browser, token, 'Po-terminie-2026');
    expect(res.statusCode).toBe(410);
    expect(hashOf(userId)).toBe(hash);
  });

  it('sends at most 3 links an hour to one address, answering the same all along', async () => {
    await createUser(app, 'limit@torun.test', 'reviewer');
    const rows = requestRows();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(comparable(await ask('limit@torun.test')));
    for (let i = 0; i < 4; i++) answers.push(comparable(await ask('limit-nieznany@torun.test')));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(requestRows()).toBe(rows + 8);
    expect(resetMails().filter((r) => r === 'limit@torun.test')).toHaveLength(3);
  });

  it('takes at most 10 requests in 15 minutes from one client address (an IPv6 /64 as one)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 11; i++) {
      const agent = new Agent(app, { remoteAddress: `2001:db8:1:2::${i + 1}` });
      codes.push((await ask(`ktos${i}@torun.test`, agent)).statusCode);
    }
    expect(codes).toEqual([...Array(10).fill(200), 429]);
    const refused = await ask('ktos@torun.test', new Agent(app, { remoteAddress: '2001:db8:1:2::99' }));
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain('zbyt wiele próśb o link do ustawienia hasła');
    // another network is not held back
    expect((await ask('ktos@torun.test', new Agent(app, { remoteAddress: '2001:db8:9:9::1' }))).statusCode).toBe(200);
  });

  it('refuses a bad address in Polish, keeping it, and a post without a CSRF token', async () => {
    const rows = requestRows();
    for (const [email, message] of [
      ['', 'Podaj adres e-mail.'],
      ['nie-adres', 'Podaj prawidłowy adres e-mail'],
    ] as const) {
      const res = await ask(email);
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain('<title>Błąd: Nie pamiętasz hasła?');
      expect(res.body).toContain('Popraw błędy w formularzu');
      expect(res.body).toContain(`<a href="#email">${message}`);
      expect(res.body).toContain(`value="${email}"`);
    }
    const agent = visitor();
    await agent.get('/password-reset');
    const forged = await agent.post('/password-reset', { _csrf: null, email: USER });
    expect(forged.statusCode).toBe(403);
    expect(requestRows()).toBe(rows);
  });
});
