import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTorun2026 } from '../../src/imports/seed.js';
import { Agent, build, createUser, type App } from '../helpers.js';

/**
 * Renaming a unit changes its slug; links with the old one – in mails already sent, bookmarks, NGO sites fetching
 * the export – must lead to the unit's current page (301), not to 404.
 */
const NAME = 'Biuro Dialogu i Innowacji Miejskich';
const OLD = 'biuro-dialogu-i-innowacji-miejskich';
const ZGM = 'Zakład Gospodarki Mieszkaniowej';

let app: App;
let admin: Agent;
const unit = () =>
  app.database.sqlite.prepare('SELECT id, slug FROM units WHERE id = ?').get(unitId) as { id: number; slug: string };
let unitId: number;

async function rename(id: number, name: string) {
  await admin.get(`/staff/units/${id}`);
  const res = await admin.post(`/staff/units/${id}`, { name, kind: 'biuro', email: '' });
  expect(res.statusCode).toBe(303);
}

beforeAll(async () => {
  app = await build();
  await createUser(app, 'admin@torun.test', 'admin');
  admin = new Agent(app);
  await admin.login('admin@torun.test');
  unitId = (app.database.sqlite.prepare('SELECT id FROM units WHERE name = ?').get(NAME) as { id: number }).id;
  expect(unit().slug).toBe(OLD);
});
afterAll(async () => {
  await app.close();
});

describe('a renamed unit', () => {
  const NEW = 'biuro-dialogu-spolecznego';
  let before: { page: string; list: string; json: string };

  it('keeps its old links: the unit page, the list filter and the export answer 301 to the new slug', async () => {
    before = {
      page: (await app.inject(`/units/${OLD}`)).body,
      list: (await app.inject(`/?unit=${OLD}`)).body,
      json: (await app.inject(`/export/proposals.json?unit=${OLD}`)).body,
    };
    expect(before.json.length).toBeGreaterThan(2);
    await rename(unitId, 'Biuro Dialogu Społecznego');
    expect(unit().slug).toBe(NEW);

    const page = await app.inject(`/units/${OLD}?consultation=torun-2026`);
    expect(page.statusCode).toBe(301);
    expect(page.headers.location).toBe(`/units/${NEW}?consultation=torun-2026`);
    const list = await app.inject(`/?status=nowa&unit=${OLD}&q=lokal`);
    expect(list.statusCode).toBe(301);
    expect(list.headers.location).toBe(`/?status=nowa&unit=${NEW}&q=lokal`);
    for (const format of ['json', 'csv']) {
      const res = await app.inject(`/export/proposals.${format}?unit=${OLD}`);
      expect(res.statusCode).toBe(301);
      expect(res.headers.location).toBe(`/export/proposals.${format}?unit=${NEW}`);
      // a fetch from an NGO's page follows it only with the CORS header on the redirect too
      expect(res.headers['access-control-allow-origin']).toBe('*');
    }

    // where the redirects lead is the same as before, under the new name
    const now = await app.inject(`/units/${NEW}`);
    expect(now.statusCode).toBe(200);
    expect(now.body).toContain('Biuro Dialogu Społecznego');
    const listed = (html: string) => [...html.matchAll(/href="\/proposals\/(\d+)/g)].map((m) => m[1]);
    expect(listed(now.body)).toEqual(listed(before.page));
    expect(listed((await app.inject(`/?unit=${NEW}`)).body)).toEqual(listed(before.list));
    const ids = (json: string) => (JSON.parse(json) as { lp: number }[]).map((r) => r.lp);
    expect(ids((await app.inject(`/export/proposals.json?unit=${NEW}`)).body)).toEqual(ids(before.json));
  });

  it('leads every earlier slug to the current one directly, and takes an old slug back when renamed back', async () => {
    await rename(unitId, 'Biuro Dialogu i Partycypacji');
    const current = unit().slug;
    expect(current).toBe('biuro-dialogu-i-partycypacji');
    for (const old of [OLD, NEW]) {
      const res = await app.inject(`/units/${old}`);
      expect(res.statusCode).toBe(301);
      expect(res.headers.location).toBe(`/units/${current}`);
    }

    await rename(unitId, NAME);
    expect(unit().slug).toBe(OLD);
    expect((await app.inject(`/units/${OLD}`)).statusCode).toBe(200);
    const back = await app.inject(`/?unit=${current}`);
    expect(back.statusCode).toBe(301);
    expect(back.headers.location).toBe(`/?unit=${OLD}`);
  });

  it('never gives a former slug to another unit, so an old link keeps meaning its unit', async () => {
    await rename(unitId, 'Biuro Dialogu Obywatelskiego');
    // a new unit under the old name gets a slug of its own
    await admin.get('/staff/units/new');
    expect((await admin.post('/staff/units', { name: NAME, kind: 'biuro', email: '' })).statusCode).toBe(303);
    const other = app.database.sqlite.prepare('SELECT slug FROM units WHERE name = ?').get(NAME) as { slug: string };
    expect(other.slug).toBe(`${OLD}-2`);
    const res = await app.inject(`/units/${OLD}`);
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/units/biuro-dialogu-obywatelskiego');
  });

  it('gives a unit the import adds under a renamed unit’s old name a slug of its own', async () => {
    const zgm = app.database.sqlite.prepare('SELECT id, kind FROM units WHERE name = ?').get(ZGM) as {
      id: number;
      kind: string;
    };
    await admin.get(`/staff/units/${zgm.id}`);
    const res = await admin.post(`/staff/units/${zgm.id}`, { name: 'ZGM Toruń', kind: zgm.kind, email: '' });
    expect(res.statusCode).toBe(303);
    // the shipped unit directory still names it by the old name: the import adds it again
    importTorun2026(app.database.db);
    const added = app.database.sqlite.prepare('SELECT slug FROM units WHERE name = ?').get(ZGM) as { slug: string };
    expect(added.slug).toBe('zaklad-gospodarki-mieszkaniowej-2');
    const old = await app.inject('/units/zaklad-gospodarki-mieszkaniowej');
    expect(old.statusCode).toBe(301);
    expect(old.headers.location).toBe('/units/zgm-torun');
  });

  it('still answers 404 for a slug no unit ever had', async () => {
    expect((await app.inject('/units/nie-bylo-takiej')).statusCode).toBe(404);
    expect((await app.inject('/?unit=nie-bylo-takiej')).statusCode).toBe(404);
    expect((await app.inject('/export/proposals.json?unit=nie-bylo-takiej')).statusCode).toBe(404);
  });
});
