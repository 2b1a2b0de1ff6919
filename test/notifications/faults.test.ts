import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { assign, BDIM, inDays, later, publishDecision, submitPosition, subscribe, versionIn, ZGM } from './fixtures.js';
import { header, startSmtpSink, type SmtpSink } from './smtp.js';

/** Delivery when things go wrong: the server is down, refuses for good, answers "try later"; the coalescing window. */
let app: App;
let sink: SmtpSink;
let admin: Agent;
let bdim: Agent;
let zgm: Agent;
let consultationId: number;

const FOLLOWER = 'wszystko@ngo.pl';
const REFUSED = 'nie-ma-takiej@ngo.pl';
const GREYLISTED = 'pozniej@ngo.pl';
const rows = (recipient: string) =>
  app.database.sqlite
    .prepare(`SELECT id, state, attempts, last_error AS lastError,
  available_at AS availableAt FROM outbox WHERE recipient = ? ORDER BY id`)
    .all(recipient) as { id: number; state: string; attempts: number; lastError: string | null; availableAt: string }[];

/** Assigned, both positions in: ready for a decision. */
async function readyForDecision(lp: number) {
  const id = idOfLp(app, lp);
  await assign(app, admin, id);
  await submitPosition(app, bdim, id, BDIM, 'submit', 'uwzgledniona', `BDIM o LP ${lp}.`);
  await submitPosition(app, zgm, id, ZGM, 'submit', 'uwzgledniona', `ZGM o LP ${lp}.`);
  return id;
}

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await build({ mail: { smtpUrl: sink.url, maxAttempts: 3, retryBaseSeconds: 60 } });
  await createUser(app, 'biuro@torun.test', 'admin');
  await createUser(app, 'bdim@torun.test', 'unit', [BDIM]);
  await createUser(app, 'zgm@torun.test', 'unit', [ZGM]);
  admin = new Agent(app);
  await admin.login('biuro@torun.test');
  bdim = new Agent(app);
  await bdim.login('bdim@torun.test');
  zgm = new Agent(app);
  await zgm.login('zgm@torun.test');
  consultationId = (app.database.sqlite.prepare('SELECT id FROM consultations').get() as { id: number }).id;
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

describe('the SMTP server is down while three decisions are published', () => {
  it('nothing is lost, and every mail arrives exactly once when it comes back', async () => {
    const ids = [];
    for (const lp of [12, 13, 14]) ids.push(await readyForDecision(lp));
    subscribe(app, FOLLOWER, { kind: 'consultation', id: consultationId });
    await app.mailWorker.runOnce(later(1));
    sink.clear();

    await sink.stop();
    for (const id of ids) await publishDecision(admin, id, 'uwzgledniona', `Decyzja w sprawie propozycji ${id}.`);
    const failed = await app.mailWorker.runOnce(later(1));
    expect(failed).toMatchObject({ sent: 0, dead: 0 });
    expect(failed.retrying).toBeGreaterThanOrEqual(3);
    const queued = rows(FOLLOWER).filter((r) => r.state === 'queued');
    expect(queued.length).toBeGreaterThanOrEqual(3);
    expect(queued.every((r) => r.attempts === 1 && r.lastError)).toBe(true);

    // still in the backoff (60 s): nothing is tried
    await sink.start();
    expect(await app.mailWorker.runOnce(later(30))).toMatchObject({ sent: 0, retrying: 0 });
    expect(sink.received).toHaveLength(0);

    const back = await app.mailWorker.runOnce(later(62));
    expect(back.dead).toBe(0);
    await app.mailWorker.runOnce(later(120));
    const mails = sink.to(FOLLOWER);
    expect(mails).toHaveLength(3);
    for (const id of ids) {
      expect(mails.filter((m) => m.parsed.text!.includes(`Decyzja w sprawie propozycji ${id}.`))).toHaveLength(1);
    }
    const messageIds = sink.received.map((m) => header(m.raw, 'Message-ID'));
    expect(new Set(messageIds).size).toBe(messageIds.length);
    expect(rows(FOLLOWER).filter((r) => r.state !== 'sent')).toEqual([]);
  });
});

describe('a permanent refusal (SMTP 550)', () => {
  let rowId: number;

  it('ends as dead at once, with the error on "Poczta"', async () => {
    sink.clear();
    const refusal = { code: 550, message: 'Mailbox unavailable: no such user' };
    sink.setFailure((address) => (address === REFUSED ? refusal : null));
    const id = idOfLp(app, 20);
    subscribe(app, REFUSED, { kind: 'proposal', id });
    await assign(app, admin, id);
    const counts = await app.mailWorker.runOnce(later(1));
    expect(counts.dead).toBe(1);
    const [row] = rows(REFUSED);
    expect(row).toMatchObject({ state: 'dead', attempts: 1 });
    expect(row!.lastError).toContain('550');
    rowId = row!.id;
    const page = await admin.get('/staff/mail');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Mailbox unavailable: no such user');
    expect(page.body).toContain('n***@ngo.pl');
    expect(page.body).not.toContain(REFUSED);
    expect(page.body).toContain(`action="/staff/mail/${rowId}/retry"`);
  });

  it('"Wyślij ponownie" puts it back in the queue, and it is delivered once the server accepts it', async () => {
    sink.setFailure(undefined);
    const res = await admin.post(`/staff/mail/${rowId}/retry`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff/mail?ok=ponowiono');
    expect(rows(REFUSED)[0]).toMatchObject({ state: 'queued', attempts: 0, lastError: null });
    await app.mailWorker.runOnce(later(1));
    expect(sink.to(REFUSED)).toHaveLength(1);
    expect(rows(REFUSED)[0]).toMatchObject({ state: 'sent' });
    // a row that is not dead cannot be "sent again"
    await admin.get('/staff/mail');
    expect((await admin.post(`/staff/mail/${rowId}/retry`)).statusCode).toBe(409);
  });
});

describe('a temporary refusal (SMTP 451)', () => {
  it('is retried with growing waits and ends as dead after MAIL_MAX_ATTEMPTS', async () => {
    sink.clear();
    sink.setFailure((address) => (address === GREYLISTED ? { code: 451, message: 'Greylisted, try later' } : null));
    const id = idOfLp(app, 21);
    subscribe(app, GREYLISTED, { kind: 'proposal', id });
    await assign(app, admin, id);
    const start = Date.now();
    const at = (s: number) => new Date(start + s * 1000);
    // a run's clock starts at the `now` it is given and runs on while it sends: the wait counts from the failure
    const retryIn = () => (Date.parse(rows(GREYLISTED)[0]!.availableAt) - start) / 1000;
    await app.mailWorker.runOnce(at(1));
    expect(rows(GREYLISTED)[0]).toMatchObject({ state: 'queued', attempts: 1 });
    expect(retryIn()).toBeGreaterThanOrEqual(61);
    expect(retryIn()).toBeLessThan(62);
    await app.mailWorker.runOnce(at(62));
    expect(rows(GREYLISTED)[0]).toMatchObject({ state: 'queued', attempts: 2 });
    expect(retryIn()).toBeGreaterThanOrEqual(62 + 120);
    expect(retryIn()).toBeLessThan(62 + 121);
    const page = await admin.get('/staff/mail');
    expect(page.body).toContain('ponawiana');
    expect(page.body).toContain('Greylisted, try later');
    await app.mailWorker.runOnce(at(62 + 121));
    expect(rows(GREYLISTED)[0]).toMatchObject({ state: 'dead', attempts: 3 });
    expect(sink.to(GREYLISTED)).toHaveLength(0);
    sink.setFailure(undefined);
  });
});

describe('the coalescing window', () => {
  it("holds a proposal's events until the window passes, then sends them as one mail", async () => {
    const coalescing = await build({ mail: { smtpUrl: sink.url, coalesceSeconds: 300 } });
    try {
      await createUser(coalescing, 'biuro@torun.test', 'admin');
      const boss = new Agent(coalescing);
      await boss.login('biuro@torun.test');
      const id = idOfLp(coalescing, 30);
      subscribe(coalescing, 'okno@ngo.pl', { kind: 'proposal', id });
      sink.clear();
      await assign(coalescing, boss, id);
      expect(await coalescing.mailWorker.runOnce(later(10))).toMatchObject({ sent: 0 });
      const page = await boss.get(`/staff/proposals/${id}`);
      const assignmentId = (
        coalescing.database.sqlite
          .prepare(`SELECT id FROM assignments WHERE proposal_id = ?
        AND lead = 0`)
          .get(id) as { id: number }
      ).id;
      const res = await boss.post(`/proposals/${id}/assignments/${assignmentId}`, {
        version: versionIn(page.body),
        dueDate: inDays(21),
        lead: 'on',
      });
      expect(res.statusCode).toBe(303);
      expect(await coalescing.mailWorker.runOnce(later(60))).toMatchObject({ sent: 0 });
      expect(await coalescing.mailWorker.runOnce(later(301))).toMatchObject({ sent: 1 });
      const mails = sink.to('okno@ngo.pl');
      expect(mails).toHaveLength(1);
      expect(mails[0]!.parsed.text).toContain('Przekazano do:');
      expect(mails[0]!.parsed.text).toContain('Zmiana przekazania do:');
    } finally {
      await coalescing.close();
    }
  });
});
