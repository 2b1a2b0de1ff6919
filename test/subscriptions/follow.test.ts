import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, build, idOfLp, type App } from '../helpers.js';
import { currentClause } from '../../src/subscriptions/clause.js';
import { CONFIRMATIONS_PER_DAY, RESEND_AFTER_MS, requestFollow } from '../../src/subscriptions/service.js';
import { confirmationRows, follow, followConfirmed, postFrom, subscriptionsOf } from './helpers.js';

let app: App;
let lp7: { kind: string; id: number };
beforeAll(async () => {
  app = await build();
  lp7 = { kind: 'proposal', id: idOfLp(app, 7) };
});
afterAll(async () => {
  await app.close();
});

const count = (sql: string, ...args: unknown[]) => (app.database.sqlite.prepare(sql).get(...args) as { n: number }).n;

describe('the Obserwuj form on public pages', () => {
  it('is a GET form to /subscriptions/new with the scope, an e-mail field and a link to the clause', async () => {
    const agent = new Agent(app);
    const page = await agent.get(`/proposals/${lp7.id}`);
    expect(page.statusCode).toBe(200);
    const form = /<form method="get" action="\/subscriptions\/new"[\s\S]*?<\/form>/.exec(page.body)?.[0] ?? '';
    expect(form).toContain('name="scope" value="proposal"');
    expect(form).toContain(`name="id" value="${lp7.id}"`);
    expect(form).toContain('<label for="obserwuj-email">Adres e-mail</label>');
    expect(form).toContain('href="/subscriptions/clause"');
    // a shared, cached page: no per-visitor token
    expect(form).not.toContain('_csrf');
  });

  it('follows one workshop table on a list filtered by table, else the whole consultation', async () => {
    const agent = new Agent(app);
    const tableId = app.database.sqlite.prepare('SELECT id FROM workshop_tables WHERE number = 3').pluck().get();
    const filtered = await agent.get('/?table=3');
    expect(filtered.body).toContain('name="scope" value="table"');
    expect(filtered.body).toContain(`name="id" value="${tableId}"`);
    expect(filtered.body).toContain('Obserwuj propozycje ze stolika 3');
    // the live search (htmx fragment) swaps the follow form out of band, so it follows the filter
    const fragment = await agent.get('/?table=3', { 'hx-request': 'true', 'hx-target': 'wyniki' });
    expect(fragment.body).toContain('<div id="obserwuj" hx-swap-oob="true">');
    expect(fragment.body).toContain('name="scope" value="table"');
    const all = await agent.get('/');
    expect(all.body).toContain('name="scope" value="consultation"');
    const unit = await agent.get('/units/biuro-dialogu-i-innowacji-miejskich');
    expect(unit.body).toContain('name="scope" value="unit"');
  });

  it('opens the full page: what is followed, the address, the frequency, the whole clause, a CSRF form', async () => {
    const agent = new Agent(app);
    const res = await agent.get(`/subscriptions/new?scope=proposal&id=${lp7.id}&email=ala%40example.pl`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/Propozycja LP 7: więcej lokali miejskich/);
    expect(res.body).toContain('value="ala@example.pl"');
    expect(res.body).toContain('name="frequency" value="immediate" checked');
    expect(res.body).toContain('name="frequency" value="daily"');
    for (const part of [
      'Administrator danych',
      'art. 6 ust. 1 lit. a RODO',
      'Jak długo',
      'Twoje prawa',
      'Jak wycofać zgodę',
      'Prezesa Urzędu Ochrony Danych Osobowych',
    ])
      expect(res.body).toContain(part);
    expect(res.body).toMatch(/<form method="post" action="\/subscriptions"[\s\S]*name="_csrf" value="[^"]+"/);
    expect(res.headers['cache-control']).toBe('no-store');
    const unit = await agent.get(
      `/subscriptions/new?scope=unit&id=${app.database.sqlite
        .prepare(`SELECT id FROM units WHERE name = 'Wydział Kultury'`)
        .pluck()
        .get()}`,
    );
    expect(unit.body).toContain('<dd><a href="/units/wydzial-kultury">Wydział Kultury</a></dd>');
    const consultation = await agent.get('/subscriptions/new?scope=consultation&id=1');
    expect(consultation.body).toContain('Wszystkie propozycje konsultacji „Program współpracy');
  });

  it('shows an address typed into the small form that is not an address as a field error', async () => {
    const res = await new Agent(app).get(`/subscriptions/new?scope=proposal&id=${lp7.id}&email=nie-adres`);
    expect(res.body).toContain('<a href="#email">Podaj adres e-mail w poprawnej postaci');
    expect(res.body).toContain('aria-invalid="true"');
  });

  it('refuses a scope that does not exist (404) or is malformed (400)', async () => {
    const agent = new Agent(app);
    expect((await agent.get('/subscriptions/new?scope=proposal&id=999999')).statusCode).toBe(404);
    expect((await agent.get('/subscriptions/new?scope=table&id=999999')).statusCode).toBe(404);
    expect((await agent.get('/subscriptions/new?scope=wszystko&id=1')).statusCode).toBe(400);
    await agent.get(`/subscriptions/new?scope=proposal&id=${lp7.id}`);
    const post = await postFrom(agent, '/subscriptions', {
      scope: 'proposal',
      id: 999999,
      email: 'ala@example.pl',
      clauseVersion: currentClause().version,
    });
    expect(post.statusCode).toBe(404);
    expect(count('SELECT count(*) n FROM subscriptions WHERE scope_id = 999999')).toBe(0);
  });
});

describe('the clause', () => {
  it('is stored the first time its version is shown, and each subscription records the version shown', async () => {
    const { version, text } = currentClause();
    await new Agent(app).get('/subscriptions/clause');
    const stored = app.database.sqlite.prepare('SELECT * FROM clause_versions WHERE version = ?').get(version) as {
      text: string;
    };
    expect(stored.text).toBe(text);
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    await follow(new Agent(app), lp7, 'klauzula@example.pl', { ip: '10.1.0.1' });
    expect(subscriptionsOf(app, 'klauzula@example.pl')[0]!.clause_version).toBe(version);
  });

  it('refuses a form shown with another version of the clause, and shows the current one', async () => {
    const agent = new Agent(app);
    const res = await follow(agent, lp7, 'stara-klauzula@example.pl', {
      clauseVersion: '0123456789ab',
      ip: '10.1.0.2',
    });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('Treść klauzuli informacyjnej zmieniła się');
    expect(res.body).toContain(`name="clauseVersion" value="${currentClause().version}"`);
    expect(res.body).toContain('value="stara-klauzula@example.pl"');
    expect(subscriptionsOf(app, 'stara-klauzula@example.pl')).toEqual([]);
  });
});

describe('POST /subscriptions', () => {
  it('answers the same for a new, a pending and a confirmed address; a confirmed one gets no second mail', async () => {
    await followConfirmed(new Agent(app), lp7, 'potwierdzony@example.pl', '10.2.0.1');
    await follow(new Agent(app), lp7, 'czekajacy@example.pl', { ip: '10.2.0.2' });
    expect(confirmationRows(app, 'potwierdzony@example.pl')).toHaveLength(1);
    expect(confirmationRows(app, 'czekajacy@example.pl')).toHaveLength(1);

    const answers = [];
    for (const email of ['nowy@example.pl', 'czekajacy@example.pl', 'Potwierdzony@Example.pl']) {
      const res = await follow(new Agent(app), lp7, email, { ip: '10.2.0.3' });
      const { statusCode: status, headers, body } = res;
      answers.push({ status, location: headers.location, body, cookie: headers['set-cookie'] });
    }
    expect(answers[0]).toEqual({ status: 303, location: '/subscriptions/sent', body: '', cookie: undefined });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);

    expect(subscriptionsOf(app, 'nowy@example.pl')).toMatchObject([{ state: 'pending', scope_kind: 'proposal' }]);
    expect(confirmationRows(app, 'nowy@example.pl')).toHaveLength(1);
    // pending: mailed again only after 10 minutes; confirmed: never again
    expect(confirmationRows(app, 'czekajacy@example.pl')).toHaveLength(1);
    expect(confirmationRows(app, 'potwierdzony@example.pl')).toHaveLength(1);
    expect(subscriptionsOf(app, 'potwierdzony@example.pl')).toMatchObject([{ state: 'confirmed' }]);

    const sent = await new Agent(app).get('/subscriptions/sent');
    expect(sent.statusCode).toBe(200);
    expect(sent.body).toContain('<h1>Sprawdź skrzynkę</h1>');
  });

  it('writes the pending subscription and its confirmation row in one transaction', async () => {
    const [row] = confirmationRows(app, 'nowy@example.pl');
    const sub = subscriptionsOf(app, 'nowy@example.pl')[0]!;
    expect(row).toMatchObject({ subscription_id: sub.id, dedup_key: `confirm:${sub.id}:1`, state: 'queued' });

    app.database.sqlite.exec(`CREATE TRIGGER outbox_down BEFORE INSERT ON outbox WHEN NEW.kind = 'confirmation'
      BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END`);
    try {
      const res = await follow(new Agent(app), lp7, 'bez-poczty@example.pl', { ip: '10.3.0.1' });
      expect(res.statusCode).toBe(500);
    } finally {
      app.database.sqlite.exec('DROP TRIGGER outbox_down');
    }
    expect(subscriptionsOf(app, 'bez-poczty@example.pl')).toEqual([]);
    expect(confirmationRows(app, 'bez-poczty@example.pl')).toEqual([]);
  });

  it('re-sends to a pending address at most once per 10 minutes, with the next dedup number', () => {
    const t0 = new Date('2026-11-20T10:00:00Z');
    const req = {
      email: 'ponownie@example.pl',
      scope: { kind: 'proposal' as const, id: lp7.id },
      frequency: 'immediate' as const,
      clause: currentClause(),
    };
    const db = app.database.db;
    expect(requestFollow(db, req, t0)).toBe('created');
    expect(requestFollow(db, req, new Date(t0.getTime() + RESEND_AFTER_MS - 1000))).toBe('pending-recently-mailed');
    expect(requestFollow(db, { ...req, frequency: 'daily' }, new Date(t0.getTime() + RESEND_AFTER_MS))).toBe('resent');
    const sub = subscriptionsOf(app, 'ponownie@example.pl')[0]!;
    expect(confirmationRows(app, 'ponownie@example.pl').map((r) => r.dedup_key)).toEqual([
      `confirm:${sub.id}:1`,
      `confirm:${sub.id}:2`,
    ]);
    expect(sub.frequency).toBe('daily');
  });

  it('sends at most 5 confirmation mails per address per day, silently, with the same answer', async () => {
    const email = 'limit@example.pl';
    const answers = [];
    for (const lp of [1, 2, 3, 4, 5, 6]) {
      const res = await follow(new Agent(app), { kind: 'proposal', id: idOfLp(app, lp) }, email, { ip: '10.4.0.1' });
      answers.push([res.statusCode, res.headers.location]);
    }
    expect(new Set(answers.map((a) => a.join(' ')))).toEqual(new Set(['303 /subscriptions/sent']));
    expect(confirmationRows(app, email)).toHaveLength(CONFIRMATIONS_PER_DAY);
    expect(subscriptionsOf(app, email).map((s) => s.scope_id)).not.toContain(idOfLp(app, 6));
  });

  it('limits follow requests per IP address', async () => {
    const agent = new Agent(app);
    await agent.get(`/subscriptions/new?scope=proposal&id=${lp7.id}`);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await postFrom(
        agent,
        '/subscriptions',
        {
          scope: 'proposal',
          id: lp7.id,
          email: `ip${i}@example.pl`,
          clauseVersion: currentClause().version,
        },
        { ip: '10.5.0.1' },
      );
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(res.body).toContain('zbyt wiele zgłoszeń');
    }
    expect(statuses.slice(0, 20).every((s) => s === 303)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect(subscriptionsOf(app, 'ip20@example.pl')).toEqual([]);
    // another address is not affected
    expect((await follow(agent, lp7, 'inne-ip@example.pl', { ip: '10.5.0.2' })).statusCode).toBe(303);
  });

  it.each([
    ['a line break inside', 'ala@example.pl\r\nBcc: ofiara@example.pl', 'niedozwolone znaki'],
    ['a control character at the end', 'ala@example.pl\u0000', 'niedozwolone znaki'],
    ['300 characters', `${'a'.repeat(288)}@example.pl`, 'najwyżej 254 znaki'],
    ['no address at all', 'nie-adres', 'Podaj adres e-mail w poprawnej postaci'],
    ['an empty field', '   ', 'Podaj adres e-mail.'],
  ])('refuses %s with the same form and a field error (422)', async (_name, email, message) => {
    const before = count('SELECT count(*) n FROM subscriptions');
    const res = await follow(new Agent(app), lp7, email, { ip: '10.6.0.1' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Popraw błędy w formularzu');
    expect(res.body).toContain('<a href="#email">');
    expect(res.body).toContain(message);
    expect(res.body).toContain('<form method="post" action="/subscriptions"');
    expect(count('SELECT count(*) n FROM subscriptions')).toBe(before);
  });

  it('refuses a form without the CSRF token', async () => {
    const agent = new Agent(app);
    await agent.get(`/subscriptions/new?scope=proposal&id=${lp7.id}`);
    const res = await postFrom(
      agent,
      '/subscriptions',
      {
        scope: 'proposal',
        id: lp7.id,
        email: 'bez-tokenu@example.pl',
        clauseVersion: currentClause().version,
      },
      { csrf: false, ip: '10.7.0.1' },
    );
    expect(res.statusCode).toBe(403);
    expect(subscriptionsOf(app, 'bez-tokenu@example.pl')).toEqual([]);
  });
});

describe('privacy of the follow form', () => {
  it('reveals nothing about who follows what', async () => {
    const lp9 = { kind: 'proposal', id: idOfLp(app, 9) };
    const visitor = new Agent(app);
    const before = await visitor.get(`/proposals/${lp9.id}`);
    await followConfirmed(new Agent(app), lp9, 'tajny@example.pl', '10.8.0.1');
    const after = await visitor.get(`/proposals/${lp9.id}`);
    // the public page is byte for byte the same (no count, no address) and keeps its cache validator
    expect(after.body).toBe(before.body);
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(after.body).not.toContain('tajny@example.pl');

    // the follow page says the same for a followed and an unknown address
    const page = async (email: string) => {
      const query = `scope=proposal&id=${lp9.id}&email=${encodeURIComponent(email)}`;
      const res = await new Agent(app).get(`/subscriptions/new?${query}`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)![1]!;
      return res.body.replaceAll(email, 'ADRES').replaceAll(csrf, 'TOKEN');
    };
    expect(await page('tajny@example.pl')).toBe(await page('ktokolwiek@example.pl'));
  });
});
