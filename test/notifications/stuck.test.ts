import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { assign, later, subscribe } from './fixtures.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';

/** An SMTP server that never answers one mail: that connection is stuck, the rest of the mail must still go. */
const STUCK = 'zawieszona@ngo.pl';
const OTHERS = ['ngo-a@ngo.pl', 'ngo-b@ngo.pl', 'ngo-c@ngo.pl'];

async function adminOf(app: App) {
  await createUser(app, 'biuro@torun.test', 'admin');
  const admin = new Agent(app);
  await admin.login('biuro@torun.test');
  return admin;
}

describe('the server loop, while one mail is stuck on its way', { timeout: 120_000 }, () => {
  let app: App;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ hangFor: (address) => address === STUCK });
    // the per-mail deadline far away: only the loop itself can let the other mail past the stuck one
    app = await build({ mail: { smtpUrl: sink.url, worker: true, sendTimeoutSeconds: 600 } });
  });
  afterAll(async () => {
    sink?.release();
    await app?.close();
    await sink?.stop();
  });

  it('sends mail that becomes due meanwhile, over the other connections', async () => {
    const admin = await adminOf(app);
    const lp7 = idOfLp(app, 7);
    subscribe(app, STUCK, { kind: 'proposal', id: lp7 });
    await assign(app, admin, lp7);
    await sink.until(() => sink.hanging === 1);

    const lp8 = idOfLp(app, 8);
    for (const address of OTHERS) subscribe(app, address, { kind: 'proposal', id: lp8 });
    await assign(app, admin, lp8);
    await sink.until(() => OTHERS.every((address) => sink.to(address).length === 1), 30_000);
    expect(sink.hanging).toBe(1);
    expect(sink.to(STUCK)).toHaveLength(0);

    // answered at last: it arrives once, and every row is marked sent
    sink.release();
    const unsent = app.database.sqlite.prepare(`SELECT count(*) FROM outbox WHERE state <> 'sent'`).pluck();
    await sink.until(() => unsent.get() === 0);
    expect(sink.to(STUCK)).toHaveLength(1);
  });
});

describe('a mail past MAIL_SEND_TIMEOUT_SECONDS', { timeout: 30_000 }, () => {
  let app: App;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ hangFor: (address) => address === STUCK });
    app = await build({ mail: { smtpUrl: sink.url, sendTimeoutSeconds: 1 } });
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('is given up on: its connection is closed, the others are sent, it is tried again later', async () => {
    const admin = await adminOf(app);
    const lp9 = idOfLp(app, 9);
    for (const address of [STUCK, ...OTHERS]) subscribe(app, address, { kind: 'proposal', id: lp9 });
    await assign(app, admin, lp9);

    const counts = await app.mailWorker.runOnce(later(1));
    expect(counts).toMatchObject({ retrying: 1, dead: 0 });
    for (const address of OTHERS) expect(sink.to(address)).toHaveLength(1);
    await sink.until(() => sink.cutWhileHanging === 1);
    const stuck = app.database.sqlite
      .prepare(`SELECT state, attempts, last_error AS lastError, locked_by AS lockedBy FROM outbox WHERE recipient = ?`)
      .all(STUCK);
    expect(stuck).not.toHaveLength(0);
    for (const row of stuck) {
      expect(row).toMatchObject({ state: 'queued', attempts: 1, lockedBy: null });
      expect((row as { lastError: string }).lastError).toContain('nie przyjął wiadomości w ciągu 1 s');
    }
  });
});
