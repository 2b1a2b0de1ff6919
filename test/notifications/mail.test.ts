import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextDigestTime } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { addNote, assign, BDIM, later, publishDecision, submitPosition, subscribe, ZGM } from './fixtures.js';
import { header, startSmtpSink, type SmtpSink } from './smtp.js';

/**
 * The whole delivery path against a real SMTP server on 127.0.0.1: staff act through the HTTP routes, the worker
 * runs with a controlled clock, and what arrives is parsed with mailparser.
 */
let app: App;
let sink: SmtpSink;
let lp7: number;
let admin: Agent;
let bdim: Agent;
let zgm: Agent;

const FOLLOWER = 'ngo@ngo.pl';
const PENDING = 'czeka@ngo.pl';
const DAILY = 'dzienny@ngo.pl';
const CONTACT = 'kontakt-bdim@torun.test';
const DECISION = 'W 2026 r. Biuro opublikuje wykaz lokali dla NGO na Rubinkowie i Skarpie.';
const BDIM_TEXT = 'Biuro opublikuje wykaz lokali miejskich dla NGO w 2026 r.';
const ZGM_TEXT = 'Lokale na Rubinkowie i Skarpie są oferowane w konkursach ZGM.';
const SECRET_NOTE = 'Notatka wewnętrzna: nie pokazywać organizacjom.';
const DRAFT = 'Szkic stanowiska, jeszcze nieuzgodniony.';

const run = (seconds = 1) => app.mailWorker.runOnce(later(seconds));
const outboxStates = () => app.database.sqlite.prepare('SELECT state, count(*) n FROM outbox GROUP BY state').all();

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await build({ mail: { smtpUrl: sink.url } });
  lp7 = idOfLp(app, 7);
  app.database.sqlite.prepare('UPDATE units SET email = ? WHERE name = ?').run(CONTACT, BDIM);
  await createUser(app, 'biuro@torun.test', 'admin');
  await createUser(app, 'bdim@torun.test', 'unit', [BDIM]);
  await createUser(app, 'zgm@torun.test', 'unit', [ZGM]);
  admin = new Agent(app);
  await admin.login('biuro@torun.test');
  bdim = new Agent(app);
  await bdim.login('bdim@torun.test');
  zgm = new Agent(app);
  await zgm.login('zgm@torun.test');
  subscribe(app, FOLLOWER, { kind: 'proposal', id: lp7 });
  subscribe(app, PENDING, { kind: 'proposal', id: lp7 }, { state: 'pending' });
  const consultationId = (
    app.database.sqlite.prepare('SELECT consultation_id c FROM proposals WHERE id = ?').get(lp7) as { c: number }
  ).c;
  subscribe(app, DAILY, { kind: 'consultation', id: consultationId }, { frequency: 'daily' });
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

describe('LP 7 from assignment to decision, by mail', () => {
  it('assignment and the status change it causes arrive as one mail naming the units, lead and due date', async () => {
    await assign(app, admin, lp7);
    const counts = await run();
    expect(counts.dead).toBe(0);
    const mails = sink.to(FOLLOWER);
    expect(mails).toHaveLength(1);
    const m = mails[0]!.parsed;
    expect(m.subject).toContain('Propozycja LP 7');
    expect(m.text).toContain(`Przekazano do: ${BDIM}`);
    expect(m.text).toContain('jednostka wiodąca');
    expect(m.text).toContain(`Przekazano do: ${ZGM}`);
    expect(m.text).toContain('Zmiana statusu: nowa → przekazana do jednostek');
    expect(m.text).toMatch(/termin stanowiska: \d{1,2} [a-ząćęłńóśźż]+ \d{4}/);
    expect(m.html).toContain(`Przekazano do: ${BDIM}`);
    // the rows of that change are marked sent in one mail
    const rows = app.database.sqlite
      .prepare(`SELECT state, sent_in_id, subject FROM outbox
      WHERE recipient = ? ORDER BY id`)
      .all(FOLLOWER) as { state: string; sent_in_id: number; subject: string }[];
    expect(rows.length).toBe(3);
    expect(new Set(rows.map((r) => r.sent_in_id)).size).toBe(1);
    expect(rows.every((r) => r.state === 'sent' && r.subject === m.subject)).toBe(true);
  });

  it('the unit staff and the unit contact address get "Przekazano propozycję LP 7 do Twojej jednostki"', () => {
    for (const to of ['bdim@torun.test', CONTACT, 'zgm@torun.test']) {
      const mails = sink.to(to);
      expect(mails, to).toHaveLength(1);
      expect(mails[0]!.parsed.subject).toBe('Przekazano propozycję LP 7 do Twojej jednostki');
      expect(mails[0]!.parsed.text).toContain(`http://127.0.0.1:3000/staff/proposals/${lp7}`);
      expect(header(mails[0]!.raw, 'List-Unsubscribe')).toBeUndefined();
      expect(header(mails[0]!.raw, 'Auto-Submitted')).toBe('auto-generated');
    }
    expect(sink.to('bdim@torun.test')[0]!.parsed.text).toContain('(jednostka wiodąca)');
  });

  it('a pending (unconfirmed) subscription gets nothing; the daily digest waits for 07:00', () => {
    expect(sink.to(PENDING)).toHaveLength(0);
    expect(sink.to(DAILY)).toHaveLength(0);
  });

  it('drafts and internal notes cause no mail; collected positions tell the admins', async () => {
    sink.clear();
    await addNote(admin, lp7, SECRET_NOTE);
    await submitPosition(app, bdim, lp7, BDIM, 'draft', 'uwzgledniona', DRAFT);
    expect(await run()).toMatchObject({ sent: 0 });
    await submitPosition(app, bdim, lp7, BDIM, 'submit', 'uwzgledniona', BDIM_TEXT);
    await submitPosition(app, zgm, lp7, ZGM, 'submit', 'juz-realizowana', ZGM_TEXT);
    await run();
    const toAdmin = sink.to('biuro@torun.test');
    expect(toAdmin).toHaveLength(1);
    expect(toAdmin[0]!.parsed.subject).toBe('Stanowiska zebrane: propozycja LP 7 czeka na decyzję');
    const toFollower = sink.to(FOLLOWER);
    expect(toFollower).toHaveLength(1);
    expect(toFollower[0]!.parsed.text).toContain('Zmiana statusu: przekazana do jednostek → stanowiska zebrane');
    // submitted but unpublished positions are not public
    expect(toFollower[0]!.parsed.text).not.toContain(BDIM_TEXT);
  });

  it('the decision mail carries the outcome, the full text and the cited positions, with list and thread headers', async () => {
    sink.clear();
    await publishDecision(admin, lp7, 'uwzgledniona', DECISION);
    await run();
    const mails = sink.to(FOLLOWER);
    expect(mails).toHaveLength(1);
    const { parsed, raw } = mails[0]!;
    expect(parsed.subject).toBe('Propozycja LP 7: decyzja – uwzględniona');
    for (const body of [parsed.text!, parsed.html as string]) {
      expect(body).toContain('Rozstrzygnięcie: propozycja uwzględniona');
      expect(body).toContain(DECISION);
      expect(body).toContain(BDIM);
      expect(body).toContain(BDIM_TEXT);
      expect(body).toContain(ZGM);
      expect(body).toContain(ZGM_TEXT);
      expect(body).toContain('już realizowana');
    }
    expect(parsed.text).toContain(`http://127.0.0.1:3000/proposals/${lp7}`);

    const root = `<proposal-${lp7}@torun.test>`;
    expect(header(raw, 'In-Reply-To')).toBe(root);
    expect(header(raw, 'References')).toBe(root);
    expect(header(raw, 'Message-ID')).toMatch(/^<[0-9a-f]{24}@torun\.test>$/);
    expect(header(raw, 'Auto-Submitted')).toBe('auto-generated');
    expect(header(raw, 'List-Id')).toBe('<konsultacje.torun-2026.torun.test>');
    expect(header(raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const unsubscribe = header(raw, 'List-Unsubscribe')!;
    expect(unsubscribe).toMatch(
      new RegExp(
        '^<http://127\\.0\\.0\\.1:3000/subscriptions/unsubscribe\\?token=[\\w-]{20,64}>, ' +
          '<mailto:bdim@torun\\.test\\?subject=wypisz%20[\\w-]{20,64}>$',
      ),
    );
    // the footer says why it came and how to stop, with real link texts
    expect(parsed.text).toContain('Dostajesz tę wiadomość, bo obserwujesz propozycję LP 7');
    expect(parsed.html).toContain('>Zarządzaj swoimi subskrypcjami</a>');
    expect(parsed.html).toContain('/subscriptions/manage?token=');

    // the one-click token names the subscription it ends
    const token = /token=([\w-]+)/.exec(unsubscribe)![1]!;
    const { findToken } = await import('../../src/subscriptions/tokens.js');
    const found = findToken(app.database.db, token, 'manage');
    const subId = (
      app.database.sqlite.prepare('SELECT id FROM subscriptions WHERE email = ?').get(FOLLOWER) as { id: number }
    ).id;
    expect(found?.subscriptionId).toBe(subId);
    // every mail about LP 7, the staff ones too, threads under the same root
    for (const m of sink.received) expect(header(m.raw, 'References')).toBe(root);
  });

  it('no mail ever carries an internal note or a draft', () => {
    const all = app.database.sqlite.prepare('SELECT count(*) n FROM outbox').get() as { n: number };
    expect(all.n).toBeGreaterThan(0);
    for (const m of sink.received) {
      expect(m.raw).not.toContain('Notatka wewn');
      expect(m.parsed.text).not.toContain(SECRET_NOTE);
      expect(m.parsed.text).not.toContain(DRAFT);
    }
  });

  it('the daily digest goes out at 07:00 Warsaw as one mail, grouped by proposal', async () => {
    sink.clear();
    const at = new Date(nextDigestTime(new Date()));
    expect(await app.mailWorker.runOnce(new Date(at.getTime() - 60_000))).toMatchObject({ sent: 0 });
    const counts = await app.mailWorker.runOnce(new Date(at.getTime() + 1000));
    expect(counts.sent).toBe(1);
    const mails = sink.to(DAILY);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.parsed.subject).toBe('Podsumowanie dnia: zmiany w 1 propozycji');
    expect(mails[0]!.parsed.text).toContain(DECISION);
    expect(mails[0]!.parsed.text).toContain(`Przekazano do: ${ZGM}`);
    expect(mails[0]!.parsed.text).toContain('codzienne podsumowanie');
  });

  it('an address that left gets nothing, even with rows already queued for it', async () => {
    sink.clear();
    const page = await admin.get(`/staff/proposals/${lp7}`);
    const version = Number(/name="version" value="(\d+)"/.exec(page.body)![1]);
    expect((await admin.post(`/proposals/${lp7}/status`, { version, target: 'w-realizacji' })).statusCode).toBe(303);
    const queued = app.database.sqlite
      .prepare(`SELECT count(*) n FROM outbox WHERE recipient = ? AND state = 'queued'`)
      .get(FOLLOWER) as { n: number };
    expect(queued.n).toBe(1);
    // as the one-click unsubscribe does: the subscription row goes
    app.database.sqlite.prepare('DELETE FROM subscriptions WHERE email = ?').run(FOLLOWER);
    const counts = await run();
    expect(counts.dropped).toBe(1);
    expect(sink.to(FOLLOWER)).toHaveLength(0);
    expect(
      app.database.sqlite
        .prepare(`SELECT count(*) n FROM outbox WHERE recipient = ? AND state = 'queued'`)
        .get(FOLLOWER),
    ).toEqual({ n: 0 });
    expect(outboxStates()).not.toContainEqual(expect.objectContaining({ state: 'dead' }));
  });
});

describe('housekeeping', () => {
  it('sent rows keep no address after the retention period; expired tokens are deleted', () => {
    const sent = app.database.sqlite
      .prepare(`SELECT count(*) n FROM outbox WHERE state = 'sent' AND recipient <> ''`)
      .get() as { n: number };
    expect(sent.n).toBeGreaterThan(0);
    // dedup keys of event mail name the recipient too
    const keyed = () =>
      (
        app.database.sqlite
          .prepare(`SELECT count(*) n FROM outbox WHERE state = 'sent' AND instr(dedup_key, '@') > 0`)
          .get() as { n: number }
      ).n;
    expect(keyed()).toBeGreaterThan(0);
    app.mailWorker.housekeep(later(29 * 86_400));
    expect(
      app.database.sqlite.prepare(`SELECT count(*) n FROM outbox WHERE state = 'sent' AND recipient <> ''`).get(),
    ).toEqual(sent);
    app.mailWorker.housekeep(later(31 * 86_400));
    expect(
      app.database.sqlite.prepare(`SELECT count(*) n FROM outbox WHERE state = 'sent' AND recipient <> ''`).get(),
    ).toEqual({ n: 0 });
    expect(keyed()).toBe(0);
    const tokens = () =>
      (app.database.sqlite.prepare('SELECT count(*) n FROM subscriber_tokens').get() as { n: number }).n;
    expect(tokens()).toBeGreaterThan(0);
    app.mailWorker.housekeep(later(181 * 86_400));
    expect(tokens()).toBe(0);
  });
});
