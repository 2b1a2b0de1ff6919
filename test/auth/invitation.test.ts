import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { authenticate } from '../../src/auth/service.js';
import {
  Agent,
  build,
  createUser,
  idOfLp,
  type App,
  TEST_PASSWORD,
  TEST_SCRYPT_COST,
  unitIdByName,
} from '../helpers.js';
import { later, linkIn } from '../notifications/fixtures.js';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp.js';
import { sendNewPassword, tokenOf } from './links.js';

/**
 * Invitations: an admin makes an account without choosing its password; its owner gets a mail (through the
 * outbox, received here over real SMTP) with a one-time link, valid 72 hours, to choose it. And a password an
 * admin types must be replaced by its owner at the first login.
 */
let app: App;
let sink: SmtpSink;
let admin: Agent;
let adminId: number;
const sqlite = () => app.database.sqlite;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const run = () => app.mailWorker.runOnce(later(1));

type UserRow = { id: number; password_hash: string; must_change_password: number; active: number };
const userRow = (email: string) =>
  sqlite()
    .prepare('SELECT id, password_hash, must_change_password, active FROM users WHERE email = ?')
    .get(email) as UserRow;
const tokensOf = (userId: number) =>
  sqlite()
    .prepare(
      'SELECT token_hash, purpose, created_at, expires_at, used_at FROM account_tokens WHERE user_id = ? ORDER BY id',
    )
    .all(userId) as {
    token_hash: string;
    purpose: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
  }[];
const outboxOf = (email: string) =>
  sqlite().prepare('SELECT kind, state, payload FROM outbox WHERE recipient = ? ORDER BY id').all(email) as {
    kind: string;
    state: string;
    payload: string;
  }[];
const auditOf = (userId: number) =>
  (
    sqlite()
      .prepare('SELECT actor_id, action, after FROM audit_log WHERE subject_type = ? AND subject_id = ? ORDER BY id')
      .all('account', userId) as { actor_id: number | null; action: string; after: string | null }[]
  ).map((r) => ({ ...r, after: r.after && JSON.parse(r.after) }));
/** Every row of every table, as text: to show a raw token is stored nowhere. */
const everything = () =>
  (sqlite().prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
    .map(({ name }) => JSON.stringify(sqlite().prepare(`SELECT * FROM "${name}"`).all()))
    .join('\n');

/** The admin's form, as a browser sends it: no password means an invitation. */
async function invite(email: string, over: Record<string, string> = {}) {
  await admin.get('/staff/users/new');
  return admin.post('/staff/users', {
    email,
    name: 'Ewa Zaproszona',
    role: 'unit',
    units: String(unitIdByName(app, 'Wydział Kultury')),
    password: '',
    ...over,
  });
}

/** The mail received for an address (the last one) and the path of its link. */
function received(email: string) {
  const mail = sink.to(email).at(-1);
  if (!mail) throw new Error(`no mail to ${email}`);
  return { mail, path: linkIn(mail.parsed.text ?? '', '/password/new') };
}

/** Opens a link's page in a fresh browser and sends the password form on it. */
async function choosePassword(path: string, password: string, confirm = password) {
  const agent = new Agent(app);
  const page = await agent.get(path);
  const res = await sendNewPassword(agent, tokenOf(path), password, confirm);
  return { agent, page, res };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await build({ mail: { smtpUrl: sink.url } });
  adminId = await createUser(app, 'admin@torun.test', 'admin');
  admin = new Agent(app);
  await admin.login('admin@torun.test');
});
afterAll(async () => {
  await app.close();
  await sink.stop();
});

describe('an invitation', () => {
  it('is what an account made without a password gets: a mail with a one-time link, only its hash stored', async () => {
    const res = await invite('ewa@torun.test');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/users?saved=invited');
    const list = await admin.get(res.headers.location!);
    expect(list.body).toContain('Za kilka minut ta osoba dostanie e-mailem zaproszenie');
    expect(list.body).toMatch(
      /ewa@torun\.test<\/a>[\s\S]*?<strong>czeka na ustalenie<\/strong> \(zaproszenie w kolejce/,
    );
    const user = userRow('ewa@torun.test');
    expect(user).toMatchObject({ password_hash: '', must_change_password: 0, active: 1 });
    // the outbox row names the account, never a token
    expect(outboxOf('ewa@torun.test')).toEqual([
      { kind: 'account-invitation', state: 'queued', payload: JSON.stringify({ userId: user.id }) },
    ]);
    expect(auditOf(user.id).map((e) => [e.actor_id, e.action, e.after?.by])).toEqual([
      [adminId, 'account.created', undefined],
      [adminId, 'account.invitation-sent', 'admin'],
    ]);
    // without a password nobody logs in, and the answer is the usual one
    const guess = new Agent(app);
    await guess.get('/login');
    const wrong = await guess.post('/login', { email: 'ewa@torun.test', password: 'cokolwiek-123' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('Nieprawidłowy adres e-mail lub hasło.');

    expect(await run()).toMatchObject({ sent: 1 });
    const { mail, path } = received('ewa@torun.test');
    expect(mail.parsed.subject).toBe('Zaproszenie: ustal hasło do konta – Konsultacje Toruń');
    expect(mail.parsed.text).toContain('Rola: pracownik jednostki (Wydział Kultury)');
    expect(mail.parsed.text).toContain('link jest ważny przez 72 godziny i działa tylko raz');
    expect(mail.parsed.html).toContain(`href="http://127.0.0.1:3000${path.replace(/&/g, '&amp;')}"`);
    const token = tokenOf(path);
    const [stored] = tokensOf(user.id);
    expect(stored).toMatchObject({ token_hash: sha256(token), purpose: 'invitation', used_at: null });
    expect(Date.parse(stored!.expires_at) - Date.parse(stored!.created_at)).toBe(72 * 3_600_000);
    expect(everything()).not.toContain(token);
    expect((await admin.get('/staff/users')).body).toMatch(
      /<strong>czeka na ustalenie<\/strong> \(zaproszenie wysłane/,
    );
  });

  it('opens a form to choose the password, refuses bad input in Polish, and works once', async () => {
    const user = userRow('ewa@torun.test');
    const { path } = received('ewa@torun.test');
    const token = tokenOf(path);
    const visitor = new Agent(app);
    const page = await visitor.get(path);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1>Ustal hasło do konta</h1>');
    expect(page.body).toContain('<strong>ewa@torun.test</strong>');
    // a mail scanner opening the link changes nothing
    expect(tokensOf(user.id)[0]!.used_at).toBeNull();

    const cases: [Record<string, string>, string][] = [
      [{ newPassword: '', confirmPassword: '' }, '<a href="#newPassword">Podaj hasło.</a>'],
      [{ newPassword: 'krotkie', confirmPassword: 'krotkie' }, 'Hasło musi mieć co najmniej 12 znaków.'],
      [
        { newPassword: 'Ewy-wlasne-haslo-1', confirmPassword: 'Ewy-inne-haslo-1' },
        '<a href="#confirmPassword">Powtórzone hasło różni się od nowego hasła.</a>',
      ],
    ];
    for (const [form, message] of cases) {
      const res = await visitor.post('/password/new', { token, ...form });
      expect(res.statusCode, message).toBe(422);
      expect(res.body).toContain('<title>Błąd: Ustal hasło do konta');
      expect(res.body).toContain('Popraw błędy w formularzu');
      expect(res.body).toContain(message);
    }
    const forged = await visitor.post('/password/new', {
      _csrf: null,
      token,
      newPassword: 'Ewy-wlasne-haslo-1',
      confirmPassword: 'Ewy-wlasne-haslo-1',
    });
    expect(forged.statusCode).toBe(403);
    expect(userRow('ewa@torun.test').password_hash).toBe('');

    const res = await sendNewPassword(visitor, token, 'Ewy-wlasne-haslo-1');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?password=chosen');
    expect((await visitor.get(res.headers.location!)).body).toContain('Hasło zostało ustalone. Zaloguj się');
    const after = userRow('ewa@torun.test');
    expect(await verifyPassword('Ewy-wlasne-haslo-1', after.password_hash)).toBe(true);
    expect(after.must_change_password).toBe(0);
    expect(tokensOf(user.id)[0]!.used_at).not.toBeNull();
    expect(auditOf(user.id).at(-1)).toEqual({
      actor_id: user.id,
      action: 'account.password-changed',
      after: { by: 'invitation', endedSessions: 0 },
    });

    // once: the page and the form refuse it now, and the password stays
    const again = await visitor.get(path);
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('<h1>Ten link już nie działa</h1>');
    const replay = await sendNewPassword(visitor, token, 'Ktos-inny-probuje-1');
    expect(replay.statusCode).toBe(410);
    expect(userRow('ewa@torun.test').password_hash).toBe(after.password_hash);

    // the owner logs in as usual, straight to work
    const ewa = new Agent(app);
    const login = await ewa.login('ewa@torun.test', 'Ewy-wlasne-haslo-1');
    expect(login.headers.location).toBe('/staff');
    expect((await ewa.get('/staff/users')).statusCode).toBe(403);
    expect((await admin.get('/staff/users')).body).toMatch(/ewa@torun\.test<\/a>[\s\S]*?ustalone przez właściciela/);
  });

  it('that expired says so and offers a new one, once; the new link works', async () => {
    await invite('jan@torun.test');
    await run();
    const user = userRow('jan@torun.test');
    const { path: oldPath } = received('jan@torun.test');
    // 73 hours have passed since the mail was sent
    const sent = Date.now() - 73 * 3_600_000;
    sqlite()
      .prepare('UPDATE account_tokens SET created_at = ?, expires_at = ? WHERE user_id = ?')
      .run(new Date(sent).toISOString(), new Date(sent + 72 * 3_600_000).toISOString(), user.id);
    const visitor = new Agent(app);
    const page = await visitor.get(oldPath);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('<h1>Link wygasł</h1>');
    expect(page.body).toContain('<form method="post" action="/password/new/renewal">');
    const token = tokenOf(oldPath);
    const expiredPost = await sendNewPassword(visitor, token, 'Jana-haslo-2026!');
    expect(expiredPost.statusCode).toBe(410);
    expect(userRow('jan@torun.test').password_hash).toBe('');

    await visitor.get(oldPath);
    const renewed = await visitor.post('/password/new/renewal', { token });
    expect(renewed.statusCode).toBe(200);
    expect(renewed.body).toContain('<h1>Wysłaliśmy nowy link</h1>');
    expect(auditOf(user.id).at(-1)).toEqual({
      actor_id: null,
      action: 'account.invitation-sent',
      after: { by: 'link' },
    });
    // one old link asks once
    await visitor.get(oldPath);
    expect((await visitor.post('/password/new/renewal', { token })).statusCode).toBe(410);
    expect(outboxOf('jan@torun.test').map((r) => r.kind)).toEqual(['account-invitation', 'account-invitation']);

    const before = sink.to('jan@torun.test').length;
    await run();
    expect(sink.to('jan@torun.test').length).toBe(before + 1);
    const { path } = received('jan@torun.test');
    expect(path).not.toBe(oldPath);
    const { res } = await choosePassword(path, 'Jana-haslo-2026!');
    expect(res.statusCode).toBe(303);
    await new Agent(app).login('jan@torun.test', 'Jana-haslo-2026!');
  });

  it('is sent again in one click; using one link revokes the others', async () => {
    await invite('ola@torun.test');
    await run();
    const user = userRow('ola@torun.test');
    const { path: first } = received('ola@torun.test');
    const list = await admin.get('/staff/users');
    expect(list.body).toContain(`<form method="post" action="/staff/users/${user.id}/invitation">`);
    // accounts with a password offer no invitation
    expect(list.body).not.toContain(`action="/staff/users/${adminId}/invitation"`);
    const res = await admin.post(`/staff/users/${user.id}/invitation`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/users?saved=reinvited');
    expect((await admin.get(res.headers.location!)).body).toContain('Wysłano nowe zaproszenie');
    await run();
    const { path: second } = received('ola@torun.test');
    expect(second).not.toBe(first);
    expect((await choosePassword(second, 'Oli-haslo-wlasne-1')).res.statusCode).toBe(303);
    const old = await new Agent(app).get(first);
    expect(old.statusCode).toBe(410);
    expect(old.body).toContain('Ten link już nie działa');
    // now that it has a password, a resend is refused, in Polish, and queues nothing
    const queued = outboxOf('ola@torun.test').length;
    await admin.get(`/staff/users/${user.id}`);
    const refused = await admin.post(`/staff/users/${user.id}/invitation`, {});
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('Popraw błędy w formularzu');
    expect(refused.body).toContain('Ta osoba ustaliła już hasło, więc zaproszenie nie jest potrzebne.');
    expect(outboxOf('ola@torun.test').length).toBe(queued);
  });

  it('is not sent to an account closed before the mail left, and its link dies with the account', async () => {
    await invite('odwolana@torun.test');
    const user = userRow('odwolana@torun.test');
    await admin.get(`/staff/users/${user.id}`);
    const closed = await admin.post(`/staff/users/${user.id}`, {
      name: '',
      role: 'unit',
      units: String(unitIdByName(app, 'Wydział Kultury')),
    });
    expect(closed.statusCode).toBe(303);
    expect(await run()).toMatchObject({ dropped: 1 });
    expect(sink.to('odwolana@torun.test')).toEqual([]);
    expect(tokensOf(user.id)).toEqual([]);
    // a closed account's invitation is not resent either
    await admin.get(`/staff/users/${user.id}`);
    const refused = await admin.post(`/staff/users/${user.id}/invitation`, {});
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('To konto jest nieaktywne');
  });

  it('shows in "Poczta" with a link that does not work', async () => {
    await invite('podglad@torun.test');
    const user = userRow('podglad@torun.test');
    const id = (
      sqlite().prepare('SELECT id FROM outbox WHERE recipient = ?').get('podglad@torun.test') as { id: number }
    ).id;
    const preview = await admin.get(`/staff/mail/${id}`);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('zaproszenie do konta');
    expect(preview.body).toContain('/password/new?token=podglad-bez-prawdziwego-linku');
    expect(tokensOf(user.id)).toEqual([]);
  });
});

describe('logging in to an account without a password yet', () => {
  it('checks the dummy hash, as for an unknown address, and never lets the dummy password in', async () => {
    let dummyChecks = 0;
    const dummy = () => {
      dummyChecks += 1;
      return hashPassword('nie-ma-takiego-konta', TEST_SCRYPT_COST);
    };
    const { db } = app.database;
    await invite('bez-hasla@torun.test');
    expect(userRow('bez-hasla@torun.test').password_hash).toBe('');
    expect(await authenticate(db, 'bez-hasla@torun.test', 'nie-ma-takiego-konta', dummy)).toBeNull();
    expect(dummyChecks).toBe(1);
    expect(await authenticate(db, 'nieznany@torun.test', 'nie-ma-takiego-konta', dummy)).toBeNull();
    expect(dummyChecks).toBe(2);
    expect(await authenticate(db, 'admin@torun.test', TEST_PASSWORD, dummy)).not.toBeNull();
    expect(dummyChecks).toBe(2);
  });
});

describe('a password an admin types', () => {
  it('must be replaced at the first login: only "Moje konto" opens until then', async () => {
    await admin.get('/staff/users/new');
    const created = await admin.post('/staff/users', {
      email: 'reczne@torun.test',
      name: '',
      role: 'unit',
      units: String(unitIdByName(app, 'Wydział Kultury')),
      password: 'Haslo-od-Biura-2026',
    });
    expect(created.headers.location).toBe('/staff/users?saved=created');
    expect(userRow('reczne@torun.test').must_change_password).toBe(1);
    expect(outboxOf('reczne@torun.test')).toEqual([]);
    expect((await admin.get('/staff/users')).body).toMatch(
      /reczne@torun\.test<\/a>[\s\S]*?nadane przez Biuro – do zmiany przy pierwszym logowaniu/,
    );

    const person = new Agent(app);
    const login = await person.login('reczne@torun.test', 'Haslo-od-Biura-2026');
    expect(login.headers.location).toBe('/account');
    const account = await person.get('/account');
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('Zanim zaczniesz pracę, ustal własne hasło');
    for (const url of ['/staff', '/staff/queue', `/staff/proposals/${idOfLp(app, 7)}`]) {
      const res = await person.get(url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe('/account');
    }
    await person.get('/account');
    const note = await person.post(`/proposals/${idOfLp(app, 7)}/notes`, { text: 'Próba' });
    expect(note.statusCode).toBe(403);
    expect(note.body).toContain('Zanim zaczniesz pracę, ustal własne hasło w „Moje konto”.');

    await person.get('/account');
    const changed = await person.post('/account/password', {
      currentPassword: 'Haslo-od-Biura-2026',
      newPassword: 'Moje-wlasne-haslo-1',
      confirmPassword: 'Moje-wlasne-haslo-1',
    });
    expect(changed.statusCode).toBe(303);
    expect(userRow('reczne@torun.test').must_change_password).toBe(0);
    expect((await person.get('/staff')).statusCode).toBe(200);
    expect((await person.get('/account')).body).not.toContain('Zanim zaczniesz pracę');
  });

  it('set again on the account page must be replaced again', async () => {
    const { id } = userRow('reczne@torun.test');
    await admin.get(`/staff/users/${id}`);
    const res = await admin.post(`/staff/users/${id}`, {
      name: '',
      role: 'unit',
      units: String(unitIdByName(app, 'Wydział Kultury')),
      active: '1',
      password: 'Nowe-haslo-od-Biura',
    });
    expect(res.statusCode).toBe(303);
    expect(userRow('reczne@torun.test').must_change_password).toBe(1);
    const login = await new Agent(app).login('reczne@torun.test', 'Nowe-haslo-od-Biura');
    expect(login.headers.location).toBe('/account');
  });
});
