import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFiles } from '../../src/db/client.js';
import { Agent, build, createUser, idOfLp, tempDatabasePath, type App } from '../helpers.js';
import { assign, later, linkIn, subscribe } from '../notifications/fixtures.js';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp.js';
import { follow } from './helpers.js';

/**
 * "Usuń adres" must erase: after it, a copy of the database file and its write-ahead log holds no byte of the
 * address – not in live rows, not in free space, not in old log frames. The address goes through the real pages and
 * a real SMTP server first: followed, confirmed from the mail, sent mail, a mail refused as dead.
 */
const TYPED = 'Usun.Mnie+rodo@Example.pl';
const EMAIL = TYPED.toLowerCase();
const OTHERS = 200;

let app: App;
let sink: SmtpSink;
let databasePath: string;
let admin: Agent;
const visitor = () => new Agent(app);
const run = (seconds: number) => app.mailWorker.runOnce(later(seconds));
const one = <T>(sql: string, ...args: unknown[]) => app.database.sqlite.prepare(sql).get(...args) as T;
const n = (sql: string, ...args: unknown[]) => one<{ n: number }>(sql, ...args).n;

/** Where in the database's files (as a copy would have them) a byte string occurs: file name → count. */
function tracesOf(needles: string[]): Record<string, number> {
  const found: Record<string, number> = {};
  for (const file of databaseFiles(databasePath)) {
    if (!fs.existsSync(file)) continue;
    const bytes = fs.readFileSync(file);
    for (const needle of needles) {
      const pattern = Buffer.from(needle, 'utf8');
      let count = 0;
      for (let at = bytes.indexOf(pattern); at >= 0; at = bytes.indexOf(pattern, at + 1)) count++;
      if (count) found[`${file.slice(databasePath.length) || 'db'} ${needle}`] = count;
    }
  }
  return found;
}
// the local part alone finds the address however it was spelt or cut
const NEEDLES = ['usun.mnie', 'Usun.Mnie'];

beforeAll(async () => {
  sink = await startSmtpSink();
  databasePath = tempDatabasePath('erasure');
  app = await build({ databasePath, mail: { smtpUrl: sink.url } });
  await createUser(app, 'biuro@torun.test', 'admin');
  admin = new Agent(app);
  await admin.login('biuro@torun.test');
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

describe('Usuń adres', () => {
  const lp7 = () => idOfLp(app, 7);
  const consultationId = () => one<{ c: number }>('SELECT consultation_id c FROM proposals WHERE id = ?', lp7()).c;
  let manageUrl: string;

  it('starts from an address that followed, confirmed, got mail and had one refused', async () => {
    // others follow the whole consultation, so the address shares pages and indexes with theirs
    for (let i = 0; i < OTHERS; i++) subscribe(app, `inny${i}@ngo.pl`, { kind: 'consultation', id: consultationId() });

    for (const scope of [
      { kind: 'proposal', id: lp7() },
      { kind: 'consultation', id: consultationId() },
      { kind: 'proposal', id: idOfLp(app, 9) }, // left unconfirmed
    ]) {
      expect((await follow(visitor(), scope, TYPED, { ip: '10.7.0.1' })).statusCode).toBe(303);
    }
    await run(1);
    const confirmations = sink.to(EMAIL);
    expect(confirmations).toHaveLength(3);
    for (const mail of confirmations.slice(0, 2)) {
      const agent = visitor();
      const url = linkIn(mail.parsed.text ?? '', '/subscriptions/confirm');
      await agent.get(url);
      const token = new URL(url, 'http://x').searchParams.get('token')!;
      expect((await agent.post('/subscriptions/confirm', { token })).statusCode).toBe(200);
    }

    await assign(app, admin, lp7());
    await run(2);
    const news = sink.to(EMAIL).slice(3);
    expect(news).toHaveLength(1);
    manageUrl = linkIn(news[0]!.parsed.text ?? '', '/subscriptions/manage');

    sink.setFailure((address) =>
      address === EMAIL ? { code: 550, message: `Mailbox <${address}> unavailable` } : null,
    );
    await assign(app, admin, idOfLp(app, 8));
    await run(3);
    sink.setFailure(undefined);
    // three confirmations and LP 7's events (one mail) sent; LP 8's events refused for good
    expect(n(`SELECT count(*) n FROM outbox WHERE recipient = ? AND state = 'sent'`, EMAIL)).toBeGreaterThan(3);
    expect(n(`SELECT count(*) n FROM outbox WHERE recipient = ? AND state = 'dead'`, EMAIL)).toBeGreaterThan(0);
    expect(n(`SELECT count(*) n FROM outbox WHERE last_error LIKE ?`, `%${EMAIL}%`)).toBeGreaterThan(0);
    expect(Object.keys(tracesOf(NEEDLES)).length).toBeGreaterThan(0);
  });

  it('leaves no byte of the address in the database file or its write-ahead log', async () => {
    const sentBefore = n(`SELECT count(*) n FROM outbox WHERE state = 'sent'`);
    const deadBefore = n(`SELECT count(*) n FROM outbox WHERE state = 'dead'`);
    const othersMail = () => n(`SELECT count(*) n FROM outbox WHERE recipient LIKE 'inny%' AND state = 'sent'`);
    const othersBefore = othersMail();
    expect(othersBefore).toBeGreaterThanOrEqual(2 * OTHERS);
    const agent = visitor();
    const page = await agent.get(manageUrl);
    expect(page.body).toContain('Przestań obserwować wszystko i usuń mój adres');
    const res = await agent.post('/subscriptions/erasure', {
      token: new URL(manageUrl, 'http://x').searchParams.get('token')!,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/subscriptions/erased');

    // a copy taken now, while the server runs
    expect(tracesOf(NEEDLES)).toEqual({});
    expect(fs.statSync(`${databasePath}-wal`).size).toBe(0);
    // the register of sent and refused mail still counts them, without the address
    expect(n(`SELECT count(*) n FROM outbox WHERE state = 'sent'`)).toBe(sentBefore);
    expect(n(`SELECT count(*) n FROM outbox WHERE state = 'dead'`)).toBe(deadBefore);
    // nobody else was erased
    expect(n(`SELECT count(*) n FROM subscriptions WHERE email LIKE 'inny%'`)).toBe(OTHERS);
    expect(othersMail()).toBe(othersBefore);
    expect(one<{ r: string }>('PRAGMA integrity_check').r ?? 'ok').toBe('ok');
  });

  it('does not reset the daily limit of confirmation mails of the mailbox', async () => {
    sink.clear();
    for (const lp of [20, 21, 22]) {
      const res = await follow(visitor(), { kind: 'proposal', id: idOfLp(app, lp) }, EMAIL, { ip: '10.7.0.2' });
      expect(res.statusCode).toBe(303);
    }
    await run(4);
    // 3 of the 5 went out before the erasure
    expect(sink.to(EMAIL)).toHaveLength(2);
  });
});
