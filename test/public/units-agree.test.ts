import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, type App, unitIdByName } from '../helpers.js';
import { KULTURA, ZDROWIE } from './fixtures.js';

let app: App;
let lp13: number;
const ZDROWIE_SLUG = 'wydzial-zdrowia-i-polityki-spolecznej';
const inDays = (n: number) => todayInWarsaw(new Date(Date.now() + n * 86_400_000));
const lps = (html: string) => [...html.matchAll(/<span class="lp">LP (\d+)<\/span>/g)].map((m) => Number(m[1]));
type Row = { lp: number; units: string[]; assignedUnits: { unit: string; lead: boolean; dueDate: string }[] };

beforeAll(async () => {
  app = await build();
  lp13 = idOfLp(app, 13);
  await createUser(app, 'biuro@torun.test', 'admin');
});
afterAll(async () => {
  await app.close();
});

describe('the units of a proposal, after a triage (LP 13: Kultura leads, Zdrowie too)', () => {
  let zdrowieBefore: string;
  beforeAll(async () => {
    zdrowieBefore = (await app.inject('/units')).body;
    const admin = new Agent(app);
    await admin.login('biuro@torun.test');
    const page = await admin.get(`/staff/proposals/${lp13}`);
    const version = Number(/name="version" value="(\d+)"/.exec(page.body)![1]);
    const res = await admin.post(`/proposals/${lp13}/assignments`, {
      version,
      unitIds: [String(unitIdByName(app, KULTURA)), String(unitIdByName(app, ZDROWIE))],
      leadUnitId: String(unitIdByName(app, KULTURA)),
      dueDate: inDays(14),
    });
    expect(res.statusCode).toBe(303);
  });

  it("the proposal's page says who answers, the lead, the due date and progress, and keeps the addressees", async () => {
    const res = await app.inject(`/proposals/${lp13}`);
    const who = res.body.slice(res.body.indexOf('id="kto-h"'), res.body.indexOf('id="decyzja-h"'));
    const assigned = who.slice(0, who.indexOf('Adresaci wskazani na warsztacie'));
    expect(assigned).toContain(`${KULTURA}</a> <strong>(jednostka wiodąca)</strong>`);
    expect(assigned).toContain(ZDROWIE);
    expect(assigned).not.toContain('Urbitor');
    expect(assigned).toContain('Stanowiska: <strong>0 z 2</strong>');
    expect(who).toContain('Adresaci wskazani na warsztacie');
    const addressees = who.slice(who.indexOf('Adresaci wskazani na warsztacie'));
    expect(addressees).toContain('Miejski Zakład Komunikacji w Toruniu');
    expect(addressees).toContain('Urbitor');
    expect(addressees).not.toContain(ZDROWIE);
  });

  it('the unit filter, the unit page, the directory count and the export all have LP 13 for Zdrowie', async () => {
    const filtered = await app.inject(`/?unit=${ZDROWIE_SLUG}`);
    expect(lps(filtered.body)).toContain(13);
    // the user can tell why: assigned by the office, not named by the workshop
    expect(filtered.body).toContain(`${ZDROWIE}: przypisana przez urząd</span>`);
    const kultura = await app.inject('/?unit=wydzial-kultury');
    expect(kultura.body).toContain(`${KULTURA}: przypisana przez urząd i wskazana na warsztacie`);

    const unitPage = await app.inject(`/units/${ZDROWIE_SLUG}`);
    expect(lps(unitPage.body)).toEqual(lps(filtered.body));
    expect(unitPage.body).toContain('w tym przypisanych przez urząd: 1');

    const countIn = (html: string) => Number(new RegExp(`${ZDROWIE}</a> \\((\\d+)\\)`).exec(html)![1]);
    const directory = await app.inject('/units');
    expect(countIn(directory.body)).toBe(countIn(zdrowieBefore) + 1);
    expect(countIn(directory.body)).toBe(lps(unitPage.body).length);

    const exported = (await app.inject(`/export/proposals.json?unit=${ZDROWIE_SLUG}`)).json() as Row[];
    expect(exported.map((r) => r.lp)).toEqual(lps(filtered.body));
    const row = exported.find((r) => r.lp === 13)!;
    expect(row.assignedUnits).toEqual([
      expect.objectContaining({ unit: KULTURA, lead: true, dueDate: inDays(14) }),
      expect.objectContaining({ unit: ZDROWIE, lead: false, dueDate: inDays(14) }),
    ]);
    expect(row.units).toEqual(['Miejski Zakład Komunikacji w Toruniu', 'Urbitor', KULTURA]);
    const csv = (await app.inject(`/export/proposals.csv?unit=${ZDROWIE_SLUG}`)).body;
    expect(csv).toContain(`"${KULTURA} (jednostka wiodąca)\n${ZDROWIE}"`);
  });

  it('the list shows who answers and the progress of positions', async () => {
    const res = await app.inject('/?table=2');
    const item = res.body.slice(res.body.indexOf('>LP 13<'));
    expect(item.slice(0, 1500)).toContain(`Odpowiada: ${KULTURA} (jednostka wiodąca); ${ZDROWIE}`);
    expect(item.slice(0, 1500)).toContain('stanowiska: 0 z 2');
  });
});

describe("the list names each proposal's workshop addressees", () => {
  it('every listed proposal shows the units its source row names, in source order, joined by "; "', async () => {
    const res = await app.inject('/');
    const named = app.database.sqlite
      .prepare(
        `SELECT p.lp, group_concat(u.name, '; ') AS names FROM proposals p
         JOIN (SELECT * FROM proposal_units ORDER BY proposal_id, ordinal) pu ON pu.proposal_id = p.id
         JOIN units u ON u.id = pu.unit_id WHERE p.in_source = 1 GROUP BY p.id`,
      )
      .all() as { lp: number; names: string }[];
    expect(named.filter((r) => r.names.includes('; ')).length).toBeGreaterThan(5);
    // as nunjucks escapes output
    const escapeHtml = (s: string) =>
      s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
    for (const { lp, names } of named) {
      const item = res.body.slice(res.body.indexOf(`>LP ${lp}<`));
      const shown = /<span class="units-source">Wskazani na warsztacie: ([^<]*)<\/span>/.exec(item)?.[1];
      expect(shown, `LP ${lp}`).toBe(escapeHtml(names));
    }
  });
});
