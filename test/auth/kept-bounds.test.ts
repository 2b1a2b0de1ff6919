import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEPT_COOKIE } from '../../src/auth/kept-forms.js';
import { Agent, build, createUser, idOfLp, type App } from '../helpers.js';

/**
 * Kept forms are bounded (issue 15, point 2): a copy holds only the form's own fields, each at most as long as
 * the form takes; an account keeps at most 20 forms and 1 MB, so does an address whose account is unknown; the
 * keeping is throttled per account and per address; and however full the store is, it is full only for whoever
 * filled it.
 */
let app: App;
let pid: number;
/** One admin account per test: the throttle counts per account for the whole hour. */
const admins: Record<string, number> = {};
const KEPT = 'Twój tekst został zachowany';

const rows = (where = '1', ...args: unknown[]) =>
  app.database.sqlite
    .prepare(`SELECT user_id, address, fields, length(CAST(fields AS BLOB)) AS bytes FROM kept_forms WHERE ${where}`)
    .all(...args) as { user_id: number | null; address: string | null; fields: string; bytes: number }[];
const clear = () => app.database.sqlite.prepare('DELETE FROM kept_forms').run();

/** A signed-in admin whose page's token went stale (signed in again in another tab). */
async function staleAdmin(email: string) {
  const admin = new Agent(app);
  await admin.login(email);
  await admin.get(`/staff/proposals/${pid}`);
  const stale = admin.csrf;
  await admin.login(email);
  await admin.get(`/staff/proposals/${pid}`);
  return { admin, stale };
}

/** A JSON post with the browser's cookies (a new browser each time: no kept-form cookie to replace). */
function postJson(agent: Agent, body: Record<string, unknown>, remoteAddress = '127.0.0.1', form = 'notes') {
  agent.cookies.delete(KEPT_COOKIE);
  return app.inject({
    method: 'POST',
    url: `/proposals/${pid}/${form}`,
    remoteAddress,
    payload: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  });
}

/** A visitor with a valid token of this site and no account known: its copy belongs to its address. */
async function anonymous() {
  const agent = new Agent(app);
  await agent.get('/login');
  return agent;
}

beforeAll(async () => {
  app = await build();
  pid = idOfLp(app, 7);
  for (const name of ['pola', 'konto', 'zalew']) admins[name] = await createUser(app, `${name}@torun.test`, 'admin');
});
afterAll(async () => {
  await app.close();
});

describe('a kept form', () => {
  it("holds only the form's own fields, each at most as long as the form takes, from a 1 MB body", async () => {
    clear();
    const { admin, stale } = await staleAdmin('pola@torun.test');
    const res = await postJson(admin, { _csrf: stale, text: 'ż'.repeat(500_000), junk: 'x'.repeat(20_000) });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain(KEPT);
    const [row] = rows();
    expect(Object.keys(JSON.parse(row!.fields))).toEqual(['text']);
    // the note form takes 5000 characters
    expect(JSON.parse(row!.fields).text).toBe('ż'.repeat(5000));
    expect(row!.bytes).toBeLessThan(100_000);
  });
});

describe('per account', () => {
  it('keeps at most 20 forms and 1 MB, the newest, and keeps them at most 30 times an hour', async () => {
    clear();
    const { admin, stale } = await staleAdmin('konto@torun.test');
    // \u0001 is 6 bytes in JSON: 20 such decision texts (10,000 characters each) would be over 1 MB
    const text = (n: number) => `${n}:${'\u0001'.repeat(9990)}`;
    let kept = 0;
    for (let n = 1; n <= 35; n++) {
      const res = await postJson(
        admin,
        { _csrf: stale, version: '1', outcome: 'uwzgledniona', text: text(n) },
        '127.0.0.1',
        'decision',
      );
      // refused either way, nothing written; only the first 30 are kept
      expect(res.statusCode).toBe(403);
      if (res.body.includes(KEPT)) kept += 1;
    }
    expect(kept).toBe(30);
    const mine = rows('user_id = ?', admins.konto);
    expect(mine.length).toBeLessThanOrEqual(20);
    expect(mine.reduce((sum, r) => sum + r.bytes, 0)).toBeLessThanOrEqual(1_000_000);
    // the newest kept text is among them
    expect(mine.map((r) => JSON.parse(r.fields).text)).toContain(text(30));
  });
});

describe('with no account known', () => {
  it('keeps at most 20 forms per address, at most 30 an hour', async () => {
    clear();
    let kept = 0;
    for (let n = 1; n <= 35; n++) {
      const agent = await anonymous();
      const res = await postJson(agent, { _csrf: agent.csrf, text: `anonimowa notatka ${n}` }, '10.1.1.1');
      // refused either way (401: signed out), nothing written; only the first 30 are kept
      expect(res.statusCode).toBe(401);
      if (res.body.includes(KEPT)) kept += 1;
    }
    expect(kept).toBe(30);
    expect(rows('address = ?', '10.1.1.1').length).toBe(20);
    // another address is not held back
    const other = await anonymous();
    expect((await postJson(other, { _csrf: other.csrf, text: 'z innego adresu' }, '10.2.2.2')).body).toContain(KEPT);
  });

  it('counts the addresses of one IPv6 /64 as one', async () => {
    clear();
    for (let n = 1; n <= 25; n++) {
      const agent = await anonymous();
      await postJson(agent, { _csrf: agent.csrf, text: `z sieci /64, adres ${n}` }, `2001:db8:1:2::${n.toString(16)}`);
    }
    expect(rows('address = ?', '2001:db8:1:2::/64').length).toBe(20);
  });
});

describe('a store filled by others', () => {
  it('still keeps the forms of everyone else', async () => {
    clear();
    // 2,000 copies from 2,000 addresses, as a flood from many addresses would leave them
    const insert = app.database.sqlite.prepare(
      `INSERT INTO kept_forms (id, user_id, proposal_id, form_id, route, address, fields, created_at, expires_at)
       VALUES (?, NULL, ?, 'note', '/proposals/:id/notes', ?, '{"text":"x"}', ?, ?)`,
    );
    const now = Date.now();
    for (let n = 0; n < 2000; n++) insert.run(`flood-${n}`, pid, `10.9.${n >> 8}.${n & 255}`, now, now + 86_400_000);

    // an account's text
    const { admin, stale } = await staleAdmin('zalew@torun.test');
    const own = await postJson(admin, { _csrf: stale, text: 'tekst Biura' });
    expect(own.body).toContain(KEPT);
    expect(rows('user_id = ?', admins.zalew).map((r) => JSON.parse(r.fields).text)).toEqual(['tekst Biura']);
    // and a visitor's from an address of its own
    const visitor = await anonymous();
    expect((await postJson(visitor, { _csrf: visitor.csrf, text: 'z nowego adresu' }, '10.3.3.3')).body).toContain(
      KEPT,
    );
  });
});
