import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';
import { importConsultation } from '../exports/fixtures.js';
import { NotFound, setCurrentConsultation } from '../../src/proposals/service.js';

let app: App;
beforeAll(async () => {
  app = await build();
  importConsultation(app, 'torun-2027', 'Program współpracy na 2027 rok', [
    { title: 'propozycja na rok 2027' },
    { title: 'druga propozycja na rok 2027' },
  ]);
});
afterAll(async () => {
  await app.close();
});

const TORUN = 'Program współpracy Gminy Miasta Toruń z organizacjami pozarządowymi na 2026 rok';
const lps = (html: string) => [...html.matchAll(/<span class="lp">LP (\d+)<\/span>/g)].map((m) => Number(m[1]));
const exported = async (url: string) => (await app.inject(url)).json() as { consultation: string }[];

describe('the current consultation', () => {
  it('stays the first imported one when another consultation is imported', async () => {
    const home = await app.inject('/');
    expect(home.body).toContain(TORUN);
    expect(lps(home.body)).toHaveLength(71);
    expect(home.body).toContain('href="/?consultation=torun-2027"');
    const rows = await exported('/export/proposals.json');
    expect(rows).toHaveLength(71);
    expect(new Set(rows.map((r) => r.consultation))).toEqual(new Set(['torun-2026']));
    expect((await app.inject('/units')).body).toContain('Biuro Dialogu i Innowacji Miejskich</a> (');
  });

  it('?consultation= shows another one on every page and export', async () => {
    const other = await app.inject('/?consultation=torun-2027');
    expect(other.body).toContain('Program współpracy na 2027 rok');
    expect(lps(other.body)).toEqual([1, 2]);
    expect((await exported('/export/proposals.json?consultation=torun-2027')).map((r) => r.consultation)).toEqual([
      'torun-2027',
      'torun-2027',
    ]);
    const csv = await app.inject('/export/proposals.csv?consultation=torun-2027');
    expect(csv.body).toContain('druga propozycja na rok 2027');
    const unit = await app.inject('/units/biuro-dialogu-i-innowacji-miejskich?consultation=torun-2027');
    expect(lps(unit.body)).toEqual([1, 2]);
    expect((await app.inject('/units?consultation=torun-2027')).statusCode).toBe(200);
    expect((await app.inject('/units?consultation=nie-ma-takiej')).statusCode).toBe(404);
  });

  it('changes only when an admin makes another consultation current', async () => {
    const before = await app.inject('/');
    const version = () => app.database.sqlite.prepare("SELECT value FROM meta WHERE key = 'data_version'").get();
    const versionBefore = version();
    expect(() => setCurrentConsultation(app.database.db, 'nie-ma-takiej')).toThrow(NotFound);
    expect(version()).toEqual(versionBefore);

    const chosen = setCurrentConsultation(app.database.db, 'torun-2027');
    expect(chosen.slug).toBe('torun-2027');
    expect(version()).not.toEqual(versionBefore);
    expect(app.database.sqlite.prepare("SELECT value FROM meta WHERE key = 'current_consultation_id'").get()).toEqual({
      value: chosen.id,
    });
    // the cached home page and its ETag are not served any more
    const after = await app.inject({ url: '/', headers: { 'if-none-match': before.headers.etag as string } });
    expect(after.statusCode).toBe(200);
    expect(after.body).toContain('Program współpracy na 2027 rok');
    expect(lps(after.body)).toEqual([1, 2]);
    expect((await exported('/export/proposals.json')).map((r) => r.consultation)).toEqual(['torun-2027', 'torun-2027']);
    // the first one is still there by name
    expect(lps((await app.inject('/?consultation=torun-2026')).body)).toHaveLength(71);

    setCurrentConsultation(app.database.db, 'torun-2026');
    expect((await app.inject('/')).body).toContain(TORUN);
  });
});
