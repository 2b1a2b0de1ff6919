import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, idOfLp, type App } from '../helpers.js';
import { currentClause } from '../../src/subscriptions/clause.js';
import { purgeExpiredSubscriptions, requestFollow } from '../../src/subscriptions/service.js';
import { confirmationRows, follow, followConfirmed, postFrom, subscriptionsOf, token } from './helpers.js';

let app: App;
const scope = (lp: number) => ({ kind: 'proposal', id: idOfLp(app, lp) });
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

const rows = (sql: string, ...args: unknown[]) =>
  app.database.sqlite.prepare(sql).all(...args) as Record<string, unknown>[];
const withdrawals = () =>
  rows(`SELECT scope_kind, scope_id, how, confirmed_at IS NOT NULL AS confirmed
  FROM subscription_withdrawals ORDER BY id`);
const trace = (scopeId: number, how: string) => ({ scope_kind: 'proposal', scope_id: scopeId, how, confirmed: 1 });

/** Queues a public-event mail for a subscription, as the fan-out would. */
function queueSubscriberMail(sub: { id: number; email: string }, key: string) {
  app.database.sqlite
    .prepare(`INSERT INTO outbox (dedup_key, kind, recipient, subscription_id, payload, available_at,
    message_id, created_at) VALUES (?, 'subscriber', ?, ?, '{}', '2026-11-26T10:00:00Z', ?, '2026-11-26T10:00:00Z')`)
    .run(key, sub.email, sub.id, `m-${key}`);
}

describe('confirming', () => {
  it('GET shows a button and changes nothing; POST confirms and links to "Twoje subskrypcje"', async () => {
    const agent = new Agent(app);
    await follow(agent, scope(7), 'ala@example.pl', { ip: '10.0.0.1' });
    const [sub] = subscriptionsOf(app, 'ala@example.pl');
    const t = token(app, 'confirm', sub!);

    const page = await agent.get(`/subscriptions/confirm?token=${t}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Potwierdź obserwowanie</h1>');
    expect(page.body).toContain('Propozycja LP 7');
    expect(page.body).toMatch(/<form method="post" action="\/subscriptions\/confirm"[\s\S]*name="token" value="/);
    expect(page.headers['cache-control']).toBe('no-store');
    // a mail scanner opening the link twice confirms nothing
    await agent.get(`/subscriptions/confirm?token=${t}`);
    expect(subscriptionsOf(app, 'ala@example.pl')).toMatchObject([{ state: 'pending', confirmed_at: null }]);

    const done = await postFrom(agent, '/subscriptions/confirm', { token: t });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('<h1>Obserwowanie potwierdzone</h1>');
    expect(done.body).toMatch(/<a href="\/subscriptions\/manage\?token=[A-Za-z0-9_-]+">Twoje subskrypcje<\/a>/);
    const [confirmed] = subscriptionsOf(app, 'ala@example.pl');
    expect(confirmed!.state).toBe('confirmed');
    expect(confirmed!.confirmed_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('refuses a POST without the CSRF token', async () => {
    const agent = new Agent(app);
    await follow(agent, scope(8), 'bez-csrf@example.pl', { ip: '10.0.0.2' });
    const t = token(app, 'confirm', subscriptionsOf(app, 'bez-csrf@example.pl')[0]!);
    const res = await postFrom(agent, '/subscriptions/confirm', { token: t }, { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(subscriptionsOf(app, 'bez-csrf@example.pl')[0]!.state).toBe('pending');
  });

  it('refuses an expired link (410), an unknown one (404) and a manage link used to confirm (404)', async () => {
    const agent = new Agent(app);
    await follow(agent, scope(10), 'stary@example.pl', { ip: '10.0.0.3' });
    const sub = subscriptionsOf(app, 'stary@example.pl')[0]!;
    const expired = token(app, 'confirm', sub, new Date(Date.now() - 8 * 86_400_000));
    const get = await agent.get(`/subscriptions/confirm?token=${expired}`);
    expect(get.statusCode).toBe(410);
    expect(get.body).toContain('Link wygasł');
    await agent.get(`/subscriptions/new?scope=proposal&id=${sub.scope_id}`);
    const post = await postFrom(agent, '/subscriptions/confirm', { token: expired });
    expect(post.statusCode).toBe(410);
    expect(subscriptionsOf(app, 'stary@example.pl')[0]!.state).toBe('pending');

    const unknown = await agent.get(`/subscriptions/confirm?token=${'x'.repeat(32)}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('Nieprawidłowy link');
    expect((await agent.get('/subscriptions/confirm?token=%3Cscript%3E')).statusCode).toBe(404);
    const manage = token(app, 'manage', sub);
    expect((await agent.get(`/subscriptions/confirm?token=${manage}`)).statusCode).toBe(404);
  });
});

describe('unconfirmed requests', () => {
  it('expire after 7 days: deleted with their queued mail, an anonymous trace how "expired"', () => {
    const t0 = new Date('2026-11-01T08:00:00Z');
    const clause = currentClause();
    requestFollow(
      app.database.db,
      {
        email: 'zapomnialem@example.pl',
        scope: { kind: 'proposal', id: idOfLp(app, 11) },
        frequency: 'immediate',
        clause,
      },
      t0,
    );
    const sub = subscriptionsOf(app, 'zapomnialem@example.pl')[0]!;
    token(app, 'confirm', sub, t0);
    const before = withdrawals().length;

    expect(purgeExpiredSubscriptions(app.database.db, new Date(t0.getTime() + 7 * 86_400_000 - 1000))).toBe(0);
    expect(subscriptionsOf(app, 'zapomnialem@example.pl')).toHaveLength(1);

    expect(purgeExpiredSubscriptions(app.database.db, new Date(t0.getTime() + 7 * 86_400_000))).toBe(1);
    expect(subscriptionsOf(app, 'zapomnialem@example.pl')).toEqual([]);
    expect(confirmationRows(app, 'zapomnialem@example.pl')).toEqual([]);
    expect(rows('SELECT * FROM subscriber_tokens WHERE email = ?', 'zapomnialem@example.pl')).toEqual([]);
    expect(withdrawals().slice(before)).toEqual([
      { scope_kind: 'proposal', scope_id: idOfLp(app, 11), how: 'expired', confirmed: 0 },
    ]);
  });
});

describe('Twoje subskrypcje', () => {
  it("lists only the subscriptions of the token's own address", async () => {
    const agent = new Agent(app);
    const a = await followConfirmed(agent, scope(20), 'ola@example.pl', '10.1.0.1');
    await follow(agent, { kind: 'unit', id: 1 }, 'ola@example.pl', { ip: '10.1.0.1' });
    const b = await followConfirmed(new Agent(app), scope(21), 'piotr@example.pl', '10.1.0.2');

    const page = await agent.get(`/subscriptions/manage?token=${a.manageToken}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1>Twoje subskrypcje</h1>');
    expect(page.body).toContain('ola@example.pl');
    expect(page.body).toContain(`<a href="/proposals/${a.scope_id}">Propozycja LP 20`);
    expect(page.body).toContain('Czeka na potwierdzenie');
    expect(page.body).not.toContain('piotr@example.pl');
    expect(page.body).not.toContain('Propozycja LP 21');

    const other = await agent.get(`/subscriptions/manage?token=${b.manageToken}`);
    expect(other.body).toContain('piotr@example.pl');
    expect(other.body).not.toContain('ola@example.pl');
    expect(other.body).not.toContain('Propozycja LP 20');

    // another address's token cannot change the first one's subscription
    const foreign = await postFrom(agent, `/subscriptions/${a.id}/removal`, { token: b.manageToken });
    expect(foreign.statusCode).toBe(404);
    const change = await postFrom(agent, `/subscriptions/${a.id}/frequency`, {
      token: b.manageToken,
      frequency: 'daily',
    });
    expect(change.statusCode).toBe(404);
    expect(subscriptionsOf(app, 'ola@example.pl').find((s) => s.id === a.id)).toMatchObject({ frequency: 'immediate' });

    expect((await agent.get(`/subscriptions/manage?token=${'y'.repeat(32)}`)).statusCode).toBe(404);
  });

  it('changes the frequency of one subscription', async () => {
    const agent = new Agent(app);
    const sub = await followConfirmed(agent, scope(22), 'czestotliwosc@example.pl', '10.1.0.3');
    await agent.get(`/subscriptions/manage?token=${sub.manageToken}`);
    const res = await postFrom(agent, `/subscriptions/${sub.id}/frequency`, {
      token: sub.manageToken,
      frequency: 'daily',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/subscriptions/manage?token=${sub.manageToken}&ok=frequency`);
    expect(subscriptionsOf(app, 'czestotliwosc@example.pl')[0]!.frequency).toBe('daily');
    const page = await agent.get(res.headers.location as string);
    expect(page.body).toContain('Zapisano częstotliwość powiadomień.');
    expect(page.body).toContain(`id="freq-${sub.id}-daily" name="frequency" value="daily" checked`);
  });

  it('unfollows one: the row, its queued mail and its tokens go, an anonymous trace how "link" stays', async () => {
    const agent = new Agent(app);
    const one = await followConfirmed(agent, scope(23), 'jedno@example.pl', '10.1.0.4');
    const two = await followConfirmed(agent, scope(24), 'jedno@example.pl', '10.1.0.4');
    queueSubscriberMail(one, 'event:test-1');
    queueSubscriberMail(two, 'event:test-2');
    await agent.get(`/subscriptions/manage?token=${one.manageToken}`);
    const before = withdrawals().length;

    const res = await postFrom(agent, `/subscriptions/${one.id}/removal`, { token: one.manageToken });
    expect(res.statusCode).toBe(303);
    // the token was minted for the ended subscription and went with it: the page comes back with a new one
    const next = /token=([A-Za-z0-9_-]+)&ok=removed$/.exec(res.headers.location as string)![1];
    expect(next).not.toBe(one.manageToken);
    const page = await agent.get(res.headers.location as string);
    expect(page.body).toContain('Nie obserwujesz już tej pozycji.');
    expect(page.body).not.toContain('Propozycja LP 23');
    expect(page.body).toContain('Propozycja LP 24');

    expect(subscriptionsOf(app, 'jedno@example.pl').map((s) => s.id)).toEqual([two.id]);
    expect(
      rows('SELECT dedup_key FROM outbox WHERE recipient = ? AND kind = ?', 'jedno@example.pl', 'subscriber'),
    ).toEqual([{ dedup_key: 'event:test-2' }]);
    expect(withdrawals().slice(before)).toEqual([trace(one.scope_id, 'link')]);
  });

  it('unfollow all erases the address from subscriptions, tokens, queued and sent mail', async () => {
    const email = 'usun-mnie@example.pl';
    const agent = new Agent(app);
    const one = await followConfirmed(agent, scope(30), email, '10.1.0.5');
    const two = await followConfirmed(agent, { kind: 'consultation', id: 1 }, email, '10.1.0.5');
    await follow(agent, scope(31), email, { ip: '10.1.0.5' });
    queueSubscriberMail(one, 'event:erase-1');
    queueSubscriberMail(two, 'event:erase-2');
    // a mail already sent stays in the register, without the address
    app.database.sqlite.prepare(`UPDATE outbox SET state = 'sent' WHERE dedup_key = 'event:erase-2'`).run();
    const before = withdrawals().length;

    const page = await agent.get(`/subscriptions/manage?token=${one.manageToken}`);
    expect(page.body).toContain('Przestań obserwować wszystko i usuń mój adres');
    const res = await postFrom(agent, '/subscriptions/erasure', { token: one.manageToken });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/subscriptions/erased');
    expect((await agent.get('/subscriptions/erased')).body).toContain('<h1>Adres usunięty</h1>');

    const like = `%${email}%`;
    expect(rows('SELECT * FROM subscriptions WHERE email LIKE ?', like)).toEqual([]);
    expect(rows('SELECT * FROM subscriber_tokens WHERE email LIKE ?', like)).toEqual([]);
    expect(
      rows(`SELECT * FROM outbox WHERE state = 'queued' AND (recipient LIKE ? OR payload LIKE ?)`, like, like),
    ).toEqual([]);
    expect(rows('SELECT * FROM outbox WHERE recipient LIKE ? OR dedup_key LIKE ?', like, like)).toEqual([]);
    expect(rows(`SELECT recipient, state FROM outbox WHERE dedup_key = 'event:erase-2'`)).toEqual([
      { recipient: '', state: 'sent' },
    ]);
    expect(
      withdrawals()
        .slice(before)
        .map((w) => w.how),
    ).toEqual(['erase', 'erase', 'erase']);
    expect(JSON.stringify(rows('SELECT * FROM subscription_withdrawals'))).not.toContain(email);
    // the old links stop working
    expect((await agent.get(`/subscriptions/manage?token=${one.manageToken}`)).statusCode).toBe(404);
  });
});

describe('RFC 8058 one-click unsubscribe', () => {
  it('ends at once the subscription the token names, without CSRF token or session', async () => {
    const sub = await followConfirmed(new Agent(app), scope(40), 'jedno-klikniecie@example.pl', '10.2.0.1');
    const other = await followConfirmed(new Agent(app), scope(41), 'jedno-klikniecie@example.pl', '10.2.0.1');
    queueSubscriberMail(sub, 'event:oneclick-1');
    const t = token(app, 'manage', sub);
    const before = withdrawals().length;

    // as a mail provider sends it: no cookie at all
    const res = await app.inject({
      method: 'POST',
      url: `/subscriptions/unsubscribe?token=${t}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Wypisano</h1>');
    expect(res.body).toContain('Propozycja LP 40');
    expect(subscriptionsOf(app, 'jedno-klikniecie@example.pl').map((s) => s.id)).toEqual([other.id]);
    expect(rows('SELECT * FROM outbox WHERE dedup_key = ?', 'event:oneclick-1')).toEqual([]);
    expect(withdrawals().slice(before)).toEqual([trace(sub.scope_id, 'one-click')]);
  });

  it('accepts the body as multipart/form-data too (what RFC 8058 recommends)', async () => {
    const sub = await followConfirmed(new Agent(app), scope(42), 'multipart@example.pl', '10.2.0.2');
    const t = token(app, 'manage', sub);
    const boundary = '----granica';
    const payload =
      `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n` +
      `One-Click\r\n--${boundary}--\r\n`;
    const res = await app.inject({
      method: 'POST',
      url: `/subscriptions/unsubscribe?token=${t}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(res.statusCode).toBe(200);
    expect(subscriptionsOf(app, 'multipart@example.pl')).toEqual([]);
  });

  it('refuses a POST without the one-click body, and GET only shows a button', async () => {
    const sub = await followConfirmed(new Agent(app), scope(43), 'przycisk@example.pl', '10.2.0.3');
    const t = token(app, 'manage', sub);
    const plain = await app.inject({
      method: 'POST',
      url: `/subscriptions/unsubscribe?token=${t}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'cokolwiek=1',
    });
    expect(plain.statusCode).toBe(400);
    const empty = await app.inject({ method: 'POST', url: `/subscriptions/unsubscribe?token=${t}` });
    expect(empty.statusCode).toBe(400);

    const agent = new Agent(app);
    const page = await agent.get(`/subscriptions/unsubscribe?token=${t}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<form method="post" action="/subscriptions/unsubscribe?token=${t}">`);
    expect(page.body).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(subscriptionsOf(app, 'przycisk@example.pl')).toHaveLength(1);

    // the button (a plain browser form post) works
    const click = await postFrom(
      agent,
      `/subscriptions/unsubscribe?token=${t}`,
      {
        'List-Unsubscribe': 'One-Click',
      },
      { csrf: false },
    );
    expect(click.statusCode).toBe(200);
    expect(subscriptionsOf(app, 'przycisk@example.pl')).toEqual([]);
    // the link is spent
    expect((await agent.get(`/subscriptions/unsubscribe?token=${t}`)).statusCode).toBe(404);
  });

  it('other state-changing routes still require the CSRF token', async () => {
    const sub = await followConfirmed(new Agent(app), scope(44), 'csrf@example.pl', '10.2.0.4');
    const res = await app.inject({
      method: 'POST',
      url: '/subscriptions/erasure',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${sub.manageToken}`,
    });
    expect(res.statusCode).toBe(403);
    expect(subscriptionsOf(app, 'csrf@example.pl')).toHaveLength(1);
  });
});
