import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProposalFile } from '../../src/imports/format.js';
import { importProposals } from '../../src/imports/service.js';
import { build, type App } from '../helpers.js';

// Searches over more proposals than a search counts (1,000): the count shown as „ponad 1000”, the list
// still in LP order page by page, and partial matches that put the rare word first, through the real
// importer, the HTML list and the JSON export.

const HEADER =
  'lp,lp_deduced,in_source,table_no,table_theme,table_theme_legible,moderators,title,points,units,' +
  'remarks,source_notes';
const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;

/** Imports the proposals in the order given (the importer creates them, and so numbers their ids, in file order). */
function importRows(app: App, slug: string, rows: { lp: number; title: string; units?: string }[]) {
  const lines = [HEADER];
  for (const { lp, title, units = '' } of rows) {
    const table = 1 + Math.floor((lp - 1) / 100);
    lines.push(
      [
        String(lp),
        'nie',
        'tak',
        String(table),
        `Stolik ${table}`,
        'tak',
        'Jan Kowalski – Biuro',
        title,
        '',
        units,
        '',
        '',
      ]
        .map(quote)
        .join(','),
    );
  }
  const file = parseProposalFile(Buffer.from(lines.join('\n'), 'utf8'));
  return importProposals(app.database.db, { slug, title: `Konsultacje ${slug}` }, file);
}

const COMPOST = [1050, 1060];
/** 1,100 proposals about NGOs; two (late in the file) about a compost bin instead. */
const proposals = Array.from({ length: 1100 }, (_, i) => {
  const lp = i + 1;
  return {
    lp,
    title: COMPOST.includes(lp) ? `Kompostownik przy świetlicy numer ${lp}` : `Wsparcie organizacji numer ${lp}`,
  };
});

let app: App;
beforeAll(async () => {
  app = await build();
  importRows(app, 'duze', proposals);
  // the same proposals, the file in reverse: ids no longer follow LPs
  importRows(app, 'odwrotne', [...proposals].reverse());
}, 60_000);
afterAll(async () => {
  await app.close();
});

const lps = (html: string) => [...html.matchAll(/<span class="lp">LP (\d+)<\/span>/g)].map((m) => Number(m[1]));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const page = async (query: string) => {
  const res = await app.inject(`/?${query}`);
  expect(res.statusCode).toBe(200);
  return res.body;
};
let address = 0;
async function exported(query: string) {
  const res = await app.inject({ url: `/export/proposals.json?${query}`, remoteAddress: `10.7.0.${++address}` });
  expect(res.statusCode).toBe(200);
  return res.json() as { lp: number; match: string }[];
}

describe('search over more than 1,000 proposals', () => {
  it('says „ponad 1000” instead of counting further, and lists the matches in LP order page by page', async () => {
    for (const slug of ['duze', 'odwrotne']) {
      const first = await page(`consultation=${slug}&q=organizacje`);
      expect(first).toContain('Znaleziono ponad 1000 propozycji.');
      expect(lps(first)).toEqual(range(1, 100));
      expect(lps(await page(`consultation=${slug}&q=organizacje&page=3`))).toEqual(range(201, 300));
      // the export is not capped: every match, in LP order
      const rows = await exported(`consultation=${slug}&q=organizacje`);
      expect(rows.map((r) => r.lp)).toEqual(range(1, 1100).filter((lp) => !COMPOST.includes(lp)));
    }
  });

  it('counts exactly up to 1,000', async () => {
    expect(await page('consultation=duze&q=kompostownik')).toContain('Znaleziono 2 propozycje.');
    // a filter narrowing a broad search below the cap: the exact count again (stolik 3: LP 201–300)
    expect(await page('consultation=duze&q=organizacje&table=3')).toContain('Znaleziono 100 propozycji.');
  });

  it('lets a word most proposals hold go unmatched when the query has a rarer one', async () => {
    for (const slug of ['duze', 'odwrotne']) {
      const body = await page(`consultation=${slug}&q=${encodeURIComponent('kompostownik organizacje')}`);
      expect(body).not.toContain('Żadna propozycja nie zawiera wszystkich szukanych słów');
      expect(body).toContain('Znaleziono 2 propozycje.');
      expect(lps(body)).toEqual(COMPOST);
      const rows = await exported(`consultation=${slug}&q=${encodeURIComponent('kompostownik organizacje')}`);
      expect(rows.map((r) => r.lp)).toEqual(COMPOST);
      expect(rows.every((r) => r.match === 'full')).toBe(true);
    }
  });

  it('ranks partial matches by the weight of the words they hold, page by page', async () => {
    // no proposal has all three words; of 600, „ławka” is in 40, „kwietnik” in 110, „świetlica” in 130
    const title = (lp: number) =>
      lp <= 30
        ? `Ławka przy świetlicy ${lp}`
        : lp <= 130
          ? `Kwietnik przy świetlicy ${lp}`
          : lp <= 140
            ? `Ławka i kwietnik ${lp}`
            : `Ogłoszenie numer ${lp}`;
    importRows(
      app,
      'rangi',
      range(1, 600).map((lp) => ({ lp, title: title(lp) })),
    );
    const q = encodeURIComponent('ławka świetlica kwietnik');
    const body = await page(`consultation=rangi&q=${q}`);
    expect(body).toContain('Żadna propozycja nie zawiera wszystkich szukanych słów');
    expect(body).toContain('Znaleziono 140 propozycji.');
    // ławka + kwietnik, then ławka + świetlica, then świetlica + kwietnik; LP order among equals
    const best = [...range(131, 140), ...range(1, 30), ...range(31, 130)];
    expect(lps(body)).toEqual(best.slice(0, 100));
    expect(lps(await page(`consultation=rangi&q=${q}&page=2`))).toEqual(best.slice(100));
    expect((await exported(`consultation=rangi&q=${q}`)).map((r) => r.lp)).toEqual(best);
  });

  it('finds the proposals addressed to a unit its abbreviation names, past the cap and with another word', async () => {
    const zgm = 'Zakład Gospodarki Mieszkaniowej';
    importRows(
      app,
      'adresaci',
      proposals.map((p) => ({ ...p, units: p.lp % 20 !== 0 || COMPOST.includes(p.lp) ? zgm : 'Urbitor' })),
    );
    const body = await page('consultation=adresaci&q=ZGM');
    expect(body).toContain('Znaleziono ponad 1000 propozycji.');
    expect(lps(body)).toEqual(
      range(1, 200)
        .filter((lp) => lp % 20 !== 0)
        .slice(0, 100),
    );
    // both must match: the unit and the word
    expect(lps(await page(`consultation=adresaci&q=${encodeURIComponent('ZGM kompostownik')}`))).toEqual(COMPOST);
    // a unit of one word: Urbitor; no proposal addressed to it is about a compost bin
    expect(lps(await page('consultation=adresaci&q=Urbitor'))).toEqual(
      range(1, 1100).filter((lp) => lp % 20 === 0 && !COMPOST.includes(lp)),
    );
    expect(await page(`consultation=adresaci&q=${encodeURIComponent('Urbitor kompostownik')}`)).toContain(
      'Żadna propozycja nie zawiera wszystkich szukanych słów',
    );
  });

  it("counts only the consultation's own matches when another consultation's proposals lie among its ids", async () => {
    const rows = (n: number) => range(1, n).map((lp) => ({ lp, title: `Wspólna sprawa sąsiedzka ${lp}` }));
    importRows(app, 'przeplatane-a', rows(3));
    importRows(app, 'przeplatane-b', rows(3));
    importRows(app, 'przeplatane-a', rows(4)); // LP 4 gets an id after those of „b”
    const body = await page('consultation=przeplatane-a&q=sprawa');
    expect(body).toContain('Znaleziono 4 propozycje.');
    expect(lps(body)).toEqual([1, 2, 3, 4]);
  });
});
