import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';
import { assign, BDIM, later, linkIn, publishDecision, submitPosition, versionIn, ZGM } from './fixtures.js';
import { header, startSmtpSink, type SmtpSink } from './smtp.js';

/**
 * The promise of the product, end to end, with nothing written into the database by hand: an NGO follows LP 7 on
 * its public page, confirms from the mail it receives over real SMTP, hears of the assignment and of the decision
 * (the answer itself in the mail), leaves with the mail's one-click link, and then hears nothing more.
 */
let app: App;
let sink: SmtpSink;
let lp7: number;
let admin: Agent;
const NGO = 'fundacja@ngo.pl';
const CONTACT = 'zgm-sekretariat@torun.test';
const DECISION = 'W 2026 r. ZGM opublikuje wykaz lokali dla organizacji na Rubinkowie i Skarpie.';
const ZGM_TEXT = 'Lokale na Rubinkowie i Skarpie są oferowane w konkursach ZGM.';
const run = () => app.mailWorker.runOnce(later(1));

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await build({ mail: { smtpUrl: sink.url } });
  lp7 = idOfLp(app, 7);
  app.database.sqlite.prepare('UPDATE units SET email = ? WHERE name = ?').run(CONTACT, ZGM);
  await createUser(app, 'biuro@torun.test', 'admin');
  await createUser(app, 'bdim@torun.test', 'unit', [BDIM]);
  await createUser(app, 'zgm@torun.test', 'unit', [ZGM]);
  admin = new Agent(app);
  await admin.login('biuro@torun.test');
});
afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

describe('an NGO follows LP 7 and gets the answer by e-mail', () => {
  const ngo = () => new Agent(app);
  let visitor: Agent;

  it('follows from the public page, confirms from the mail: GET shows a button, only the POST confirms', async () => {
    visitor = ngo();
    const page = await visitor.get(`/proposals/${lp7}`);
    expect(page.body).toContain('action="/subscriptions/new"');
    const form = await visitor.get(`/subscriptions/new?scope=proposal&id=${lp7}&email=${encodeURIComponent(NGO)}`);
    expect(form.statusCode).toBe(200);
    const clauseVersion = /name="clauseVersion" value="([^"]+)"/.exec(form.body)![1]!;
    const sent = await visitor.post('/subscriptions', {
      scope: 'proposal',
      id: String(lp7),
      clauseVersion,
      email: NGO,
      frequency: 'immediate',
    });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/subscriptions/sent');

    await run();
    const confirmation = sink.to(NGO);
    expect(confirmation).toHaveLength(1);
    const confirmUrl = linkIn(confirmation[0]!.parsed.text ?? '', '/subscriptions/confirm');
    const state = () =>
      (app.database.sqlite.prepare('SELECT state FROM subscriptions WHERE email = ?').get(NGO) as { state: string })
        .state;

    const button = await visitor.get(confirmUrl);
    expect(button.statusCode).toBe(200);
    expect(button.body).toContain('method="post" action="/subscriptions/confirm"');
    expect(state()).toBe('pending');
    const token = new URL(confirmUrl, 'http://x').searchParams.get('token')!;
    const confirmed = await visitor.post('/subscriptions/confirm', { token });
    expect(confirmed.statusCode).toBe(200);
    expect(state()).toBe('confirmed');
  });

  it("the assignment: one mail to the follower naming the units; the units' staff and contact get theirs", async () => {
    sink.received.length = 0;
    await assign(app, admin, lp7);
    await run();
    const mine = sink.to(NGO);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.parsed.text).toContain(`Przekazano do: ${BDIM}`);
    expect(mine[0]!.parsed.text).toContain(`Przekazano do: ${ZGM}`);
    for (const staff of ['bdim@torun.test', 'zgm@torun.test', CONTACT]) {
      expect(sink.to(staff), staff).toHaveLength(1);
      expect(sink.to(staff)[0]!.parsed.text).toContain('/staff/proposals/');
    }
  });

  it('the decision: its full text and the cited positions are in the body, with list and thread headers', async () => {
    const bdim = new Agent(app);
    await bdim.login('bdim@torun.test');
    const zgm = new Agent(app);
    await zgm.login('zgm@torun.test');
    await submitPosition(app, bdim, lp7, BDIM, 'submit', 'uwzgledniona', 'Biuro wspiera wykaz lokali.');
    await submitPosition(app, zgm, lp7, ZGM, 'submit', 'uwzgledniona', ZGM_TEXT);
    await run();
    sink.received.length = 0;
    await publishDecision(admin, lp7, 'uwzgledniona', DECISION);
    await run();
    const mails = sink.to(NGO);
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.parsed.text).toContain(DECISION);
    expect(m.parsed.text).toContain(ZGM_TEXT);
    expect(m.parsed.html).toContain(DECISION);
    expect(header(m.raw, 'list-unsubscribe')).toMatch(
      /<http:\/\/127\.0\.0\.1:3000\/subscriptions\/unsubscribe\?token=/,
    );
    expect(header(m.raw, 'list-unsubscribe')).toMatch(/<mailto:/);
    expect(header(m.raw, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(header(m.raw, 'list-id')).toBeTruthy();
    expect(header(m.raw, 'auto-submitted')).toBe('auto-generated');
    expect(header(m.raw, 'in-reply-to')).toBe(`<proposal-${lp7}@torun.test>`);
    expect(String(header(m.raw, 'references'))).toContain(`<proposal-${lp7}@torun.test>`);
  });

  it('a one-click POST to the List-Unsubscribe address (no cookie, no CSRF) ends it; a later event mails nothing', async () => {
    const m = sink.to(NGO)[0]!;
    const url = /<(http:[^>]+)>/
      .exec(String(header(m.raw, 'list-unsubscribe')))![1]!
      .replace('http://127.0.0.1:3000', '');
    const res = await app.inject({
      method: 'POST',
      url,
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(200);
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM subscriptions WHERE email = ?').get(NGO)).toEqual({
      n: 0,
    });

    sink.received.length = 0;
    const page = await admin.get(`/staff/proposals/${lp7}`);
    const moved = await admin.post(`/proposals/${lp7}/status`, {
      version: versionIn(page.body),
      target: 'w-realizacji',
      reason: '',
    });
    expect(moved.statusCode).toBe(303);
    await run();
    expect(sink.to(NGO)).toHaveLength(0);
    expect(
      app.database.sqlite.prepare("SELECT count(*) n FROM outbox WHERE recipient = ? AND state = 'queued'").get(NGO),
    ).toEqual({ n: 0 });
  });
});
