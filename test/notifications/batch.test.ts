import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findToken } from '../../src/subscriptions/tokens.js';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { assign, later, subscribe } from './fixtures.js';
import { header, startSmtpSink, type SmtpSink, type ReceivedMail } from './smtp.js';

/**
 * Many mails rendered in one batch share their rendering (followers of the same events get the same body) and
 * their tokens are minted for the batch at once. Each mail must still carry its own working links, and the footer
 * its own reasons.
 */
let app: App;
let sink: SmtpSink;
let lp7: number;
const FOLLOWERS = 25;
const follower = (i: number) => `ngo${i}@ngo.pl`;
const WHOLE = 'wszystko@ngo.pl';
const LEFT = 'odeszla@ngo.pl';
const NEW = 'nowa@ngo.pl';
const subscriptionOf = (email: string) =>
  (app.database.sqlite.prepare('SELECT id FROM subscriptions WHERE email = ?').get(email) as { id: number }).id;
const tokensIn = (text: string) => [...text.matchAll(/token=([\w-]+)/g)].map((m) => m[1]!);

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await build({ mail: { smtpUrl: sink.url } });
  await createUser(app, 'biuro@torun.test', 'admin');
  lp7 = idOfLp(app, 7);
  for (let i = 0; i < FOLLOWERS; i++) subscribe(app, follower(i), { kind: 'proposal', id: lp7 });
  subscribe(app, LEFT, { kind: 'proposal', id: lp7 });
  const consultationId = (
    app.database.sqlite.prepare('SELECT consultation_id c FROM proposals WHERE id = ?').get(lp7) as { c: number }
  ).c;
  subscribe(app, WHOLE, { kind: 'consultation', id: consultationId });
  // a confirmation request waiting in the same batch: two tokens of its own (confirm, manage)
  const pending = subscribe(app, NEW, { kind: 'proposal', id: idOfLp(app, 8) }, { state: 'pending' });
  const now = new Date().toISOString();
  app.database.sqlite
    .prepare(`INSERT INTO outbox (dedup_key, kind, recipient, subscription_id, payload,
      available_at, message_id, created_at) VALUES (?, 'confirmation', ?, ?, '{}', ?, lower(hex(randomblob(12))), ?)`)
    .run(`confirm:${pending}:1`, NEW, pending, now, now);
  const admin = new Agent(app);
  await admin.login('biuro@torun.test');
  await assign(app, admin, lp7);
  app.database.sqlite.prepare('DELETE FROM subscriptions WHERE email = ?').run(LEFT);
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

describe('a batch of mails rendered together', () => {
  let counts: Awaited<ReturnType<App['mailWorker']['runOnce']>>;
  let mails: ReceivedMail[];
  beforeAll(async () => {
    counts = await app.mailWorker.runOnce(later(1));
    mails = sink.received.filter((m) => m.to[0]!.endsWith('@ngo.pl'));
  });

  it('sends one mail per follower; the address that left gets none', () => {
    expect(counts.dead).toBe(0);
    expect(counts.dropped).toBeGreaterThan(0);
    expect(sink.to(LEFT)).toHaveLength(0);
    expect(new Set(mails.map((m) => m.to[0])).size).toBe(FOLLOWERS + 2);
  });

  it('gives every mail its own manage token, the same in the text, the HTML and List-Unsubscribe', () => {
    const seen = new Set<string>();
    for (const m of mails.filter((x) => x.to[0] !== NEW)) {
      const recipient = m.to[0]!;
      const inText = new Set(tokensIn(m.parsed.text ?? ''));
      const inHtml = new Set(tokensIn(String(m.parsed.html)));
      const inHeader = new Set(tokensIn(header(m.raw, 'List-Unsubscribe')!));
      expect(inText.size).toBe(1);
      expect(inHtml).toEqual(inText);
      expect(inHeader).toEqual(inText);
      const token = [...inText][0]!;
      expect(seen.has(token)).toBe(false);
      seen.add(token);
      const row = findToken(app.database.db, token, 'manage');
      expect(row?.email).toBe(recipient);
      expect(row?.subscriptionId).toBe(subscriptionOf(recipient));
    }
    expect(seen.size).toBe(FOLLOWERS + 1);
  });

  it("keeps each footer's own reason although the bodies are shared", () => {
    const whole = sink.to(WHOLE)[0]!.parsed.text!;
    expect(whole).toContain('obserwujesz wszystkie propozycje z konsultacji');
    expect(whole).not.toContain('obserwujesz propozycję LP 7');
    const one = sink.to(follower(3))[0]!.parsed.text!;
    expect(one).toContain('obserwujesz propozycję LP 7');
    expect(one.replace(/token=[\w-]+/g, '')).toBe(sink.to(follower(4))[0]!.parsed.text!.replace(/token=[\w-]+/g, ''));
  });

  it('a confirmation in the same batch gets a confirm and a manage token of its own', () => {
    const m = sink.to(NEW)[0]!;
    const confirm = /confirm\?token=([\w-]+)/.exec(m.parsed.text!)![1]!;
    const manage = /manage\?token=([\w-]+)/.exec(m.parsed.text!)![1]!;
    expect(confirm).not.toBe(manage);
    expect(findToken(app.database.db, confirm, 'confirm')?.email).toBe(NEW);
    expect(findToken(app.database.db, manage, 'manage')?.email).toBe(NEW);
  });

  it('leaves no placeholder in any mail, and stores one token per link', () => {
    for (const m of sink.received) expect(m.raw).not.toMatch(/placeholder/i);
    const stored = app.database.sqlite
      .prepare(`SELECT purpose, count(*) n FROM subscriber_tokens
      GROUP BY purpose ORDER BY purpose`)
      .all();
    expect(stored).toEqual([
      { purpose: 'confirm', n: 1 },
      { purpose: 'manage', n: FOLLOWERS + 2 },
    ]);
  });
});
