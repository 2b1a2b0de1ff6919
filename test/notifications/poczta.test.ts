import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { PREVIEW_TOKEN } from '../../src/notifications/worker.js';
import { assign, BDIM, inDays, subscribe, ZGM } from './fixtures.js';

/** "Poczta" (who sees what), previews, confirmation mails, reminders, and the .eml default without SMTP_URL. */
let app: App;
let lp7: number;
const agents: Record<string, Agent> = {};
const mailDir = () => path.join(path.dirname(app.database.sqlite.name), 'mail');
const tokens = () => (app.database.sqlite.prepare('SELECT count(*) n FROM subscriber_tokens').get() as { n: number }).n;
const emlFiles = () => (fs.existsSync(mailDir()) ? fs.readdirSync(mailDir()).filter((f) => f.endsWith('.eml')) : []);

beforeAll(async () => {
  // no SMTP_URL: every mail is written as an .eml file
  app = await build({ mail: {} });
  lp7 = idOfLp(app, 7);
  await createUser(app, 'biuro@torun.test', 'admin');
  await createUser(app, 'rdpp@torun.test', 'reviewer');
  await createUser(app, 'bdim@torun.test', 'unit', [BDIM]);
  const logins: [string, string][] = [
    ['admin', 'biuro@torun.test'],
    ['reviewer', 'rdpp@torun.test'],
    ['unit', 'bdim@torun.test'],
  ];
  for (const [who, email] of logins) {
    agents[who] = new Agent(app);
    await agents[who].login(email);
  }
  agents.anonymous = new Agent(app);
  subscribe(app, 'anna@ngo.pl', { kind: 'proposal', id: lp7 });
  await assign(app, agents.admin!, lp7);
  await app.mailWorker.runOnce(new Date(Date.now() + 1000));
});
afterAll(async () => {
  await app?.close();
});

describe('without SMTP_URL', () => {
  it('writes each mail as a private .eml file under the mail folder', async () => {
    const files = emlFiles();
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect(fs.statSync(path.join(mailDir(), f)).mode & 0o777).toBe(0o600);
    const parsed = await Promise.all(files.map((f) => simpleParser(fs.readFileSync(path.join(mailDir(), f)))));
    const toAnna = parsed.filter((m) => m.to && !Array.isArray(m.to) && m.to.text === 'anna@ngo.pl');
    expect(toAnna).toHaveLength(1);
    expect(toAnna[0]!.subject).toContain('Propozycja LP 7');
    expect(toAnna[0]!.text).toContain(`Przekazano do: ${ZGM}`);
  });
});

describe('Poczta: who sees what', () => {
  it('the public is sent to log in; unit staff are refused', async () => {
    const anon = await agents.anonymous!.get('/staff/mail');
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/login?next=%2Fstaff%2Fmail');
    const unit = await agents.unit!.get('/staff/mail');
    expect(unit.statusCode).toBe(403);
    expect(unit.body).toContain('Stronę „Poczta” widzą tylko');
    expect((await agents.unit!.get('/staff')).body).not.toContain('href="/staff/mail"');
  });

  it('RDPP reviewers see the counts only: no addresses, no subjects, no buttons', async () => {
    const res = await agents.reviewer!.get('/staff/mail');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Stan wysyłki');
    expect(res.body).toContain('Subskrypcje');
    expect(res.body).not.toContain('Ostatnie wiadomości');
    expect(res.body).not.toContain('@ngo.pl');
    expect(res.body).not.toContain('Propozycja LP 7:');
    const forms = [...res.body.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]);
    expect(forms.filter((a) => a !== '/logout')).toEqual([]);
    for (const url of ['/staff/mail/1', '/staff/mail/1/html']) {
      expect((await agents.reviewer!.get(url)).statusCode).toBe(403);
    }
    expect((await agents.reviewer!.post('/staff/mail/1/retry')).statusCode).toBe(403);
  });

  it('admins see counts, the latest mails with masked recipients, and subscriptions per scope', async () => {
    const res = await agents.admin!.get('/staff/mail');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('aria-current="page">Poczta</a>');
    expect(res.body).toContain('a***@ngo.pl');
    expect(res.body).not.toContain('anna@ngo.pl');
    expect(res.body).toContain('Propozycja LP 7:');
    expect(res.body).toMatch(/<td>propozycja<\/td><td>propozycję LP 7: „[^<]+”<\/td><td>1<\/td>/);
    const sent = await agents.admin!.get('/staff/mail?state=dead');
    expect(sent.body).toContain('Brak wiadomości.');
  });

  it('a preview renders the mail as sent, with placeholder links and no new token', async () => {
    const id = (
      app.database.sqlite.prepare(`SELECT id FROM outbox WHERE recipient = 'anna@ngo.pl' LIMIT 1`).get() as {
        id: number;
      }
    ).id;
    const before = tokens();
    const res = await agents.admin!.get(`/staff/mail/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Podgląd wiadomości');
    expect(res.body).toContain(`Przekazano do: ${BDIM}`);
    expect(res.body).toContain(PREVIEW_TOKEN);
    expect(res.body).toContain('List-Unsubscribe-Post');
    expect(res.body).not.toContain('anna@ngo.pl');
    const html = await agents.admin!.get(`/staff/mail/${id}/html`);
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('<html lang="pl">');
    expect(tokens()).toBe(before);
    expect((await agents.admin!.get('/staff/mail/999999')).statusCode).toBe(404);
  });

  it('"Wyślij ponownie" needs a CSRF token', async () => {
    const id = (app.database.sqlite.prepare(`SELECT id FROM outbox LIMIT 1`).get() as { id: number }).id;
    app.database.sqlite.prepare(`UPDATE outbox SET state = 'dead' WHERE id = ?`).run(id);
    const res = await agents.admin!.post(`/staff/mail/${id}/retry`, { _csrf: null });
    expect(res.statusCode).toBe(403);
    expect(app.database.sqlite.prepare('SELECT state FROM outbox WHERE id = ?').get(id)).toEqual({ state: 'dead' });
  });
});

describe('confirmation mails', () => {
  it('carry a confirm link and a manage link, minted at send time; none once the request is gone', async () => {
    const subId = subscribe(app, 'nowa@ngo.pl', { kind: 'proposal', id: lp7 }, { state: 'pending' });
    const gone = subscribe(app, 'rozmyslila@ngo.pl', { kind: 'proposal', id: lp7 }, { state: 'pending' });
    const now = new Date().toISOString();
    const insert = app.database.sqlite.prepare(`INSERT INTO outbox
      (dedup_key, kind, recipient, subscription_id, payload,
      available_at, message_id, created_at) VALUES (?, 'confirmation', ?, ?, '{}', ?, lower(hex(randomblob(12))), ?)`);
    insert.run(`confirm:${subId}:1`, 'nowa@ngo.pl', subId, now, now);
    insert.run(`confirm:${gone}:1`, 'rozmyslila@ngo.pl', gone, now, now);
    app.database.sqlite.prepare('DELETE FROM subscriptions WHERE id = ?').run(gone);
    const before = emlFiles().length;
    const counts = await app.mailWorker.runOnce(new Date(Date.now() + 1000));
    expect(counts).toMatchObject({ sent: 1, dropped: 1 });
    const files = emlFiles();
    expect(files.length).toBe(before + 1);
    const mails = await Promise.all(files.map((f) => simpleParser(fs.readFileSync(path.join(mailDir(), f)))));
    const mail = mails.find((m) => m.subject === 'Potwierdź obserwowanie – Konsultacje Toruń')!;
    expect(mail.text).toMatch(/\/subscriptions\/confirm\?token=[\w-]{20,64}/);
    expect(mail.text).toMatch(/\/subscriptions\/manage\?token=[\w-]{20,64}/);
    expect(mail.text).toContain('obserwować propozycję LP 7');
    const purposes = app.database.sqlite
      .prepare(`SELECT purpose FROM subscriber_tokens WHERE subscription_id = ?
      ORDER BY purpose`)
      .all(subId);
    expect(purposes).toEqual([{ purpose: 'confirm' }, { purpose: 'manage' }]);
  });
});

describe('the weekly reminder', () => {
  it("on Monday from 07:00 lists each address's positions due within 7 days, once per week", async () => {
    const id = idOfLp(app, 8);
    const page = await agents.admin!.get(`/staff/proposals/${id}`);
    const version = Number(/name="version" value="(\d+)"/.exec(page.body)![1]);
    const bdimId = (app.database.sqlite.prepare('SELECT id FROM units WHERE name = ?').get(BDIM) as { id: number }).id;
    expect(
      (
        await agents.admin!.post(`/proposals/${id}/assignments`, {
          version,
          unitIds: String(bdimId),
          dueDate: inDays(3),
        })
      ).statusCode,
    ).toBe(303);
    // LP 7 (due in 14 days, at least 8 days after the coming Monday) is not yet in the window; LP 8 (3 days) is
    const monday = new Date();
    while (!(monday.getUTCDay() === 1)) monday.setUTCDate(monday.getUTCDate() + 1);
    monday.setUTCHours(4, 0, 0, 0); // 05:00 or 06:00 in Warsaw: too early
    expect(app.mailWorker.enqueueReminders(monday)).toBe(0);
    const at = new Date(monday.getTime() + 3 * 3600_000);
    // overdue counts too: LP 8 is listed whether that Monday is before or after its due date
    expect(app.mailWorker.enqueueReminders(at)).toBe(1);
    expect(app.mailWorker.enqueueReminders(new Date(at.getTime() + 3600_000))).toBe(0);
    const row = app.database.sqlite
      .prepare(`SELECT recipient, payload FROM outbox WHERE kind = 'staff-reminder'`)
      .get() as { recipient: string; payload: string };
    expect(row.recipient).toBe('bdim@torun.test');
    expect(JSON.parse(row.payload).items.map((i: { lp: number }) => i.lp)).toEqual([8]);
  });
});
