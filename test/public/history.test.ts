import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadWord } from '../../src/events/present.js';
import { build, idOfLp, type App } from '../helpers.js';
import { at, KULTURA, storyTools, ZDROWIE } from './fixtures.js';

let app: App;
let lp7: number;
let lp66: number;
let story: Awaited<ReturnType<typeof storyTools>>;

/** The history's entries as plain text, in order. */
async function historyOf(id: number): Promise<{ page: string; entries: string[] }> {
  const page = (await app.inject(`/proposals/${id}`)).body;
  const section = page.slice(
    page.indexOf('id="historia-h"'),
    page.indexOf('</section>', page.indexOf('id="historia-h"')),
  );
  const entries = [...section.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) =>
    m[1]!
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return { page, entries };
}
const count = (text: string, part: string) => text.split(part).length - 1;

beforeAll(async () => {
  app = await build();
  lp7 = idOfLp(app, 7);
  lp66 = idOfLp(app, 66);
  story = await storyTools(app);
});
afterAll(async () => {
  await app.close();
});

describe('the public history reads as a story (LP 7)', () => {
  it('one entry for an assignment of two units, with the lead and the due date', async () => {
    story.assign(lp7, [KULTURA, ZDROWIE], KULTURA, '2026-12-10', at(0));
    const { entries } = await historyOf(lp7);
    expect(entries).toEqual([
      `1 grudnia 2026 Przekazano do: ${KULTURA} (wiodący), ${ZDROWIE} – termin stanowisk 10 grudnia 2026.`,
    ]);
  });

  it('positions: progress on the page, one entry when all are in, their text only with the decision', async () => {
    await story.position(lp7, KULTURA, 'uwzgledniona', 'Kultura popiera.', at(1));
    expect((await historyOf(lp7)).page).toContain('Stanowiska: <strong>1 z 2</strong>');
    await story.position(lp7, ZDROWIE, 'uwzgledniona', 'Zdrowie popiera.', at(2));
    const { page, entries } = await historyOf(lp7);
    expect(page).toContain('Stanowiska: <strong>2 z 2</strong>');
    expect(entries).toHaveLength(2);
    expect(entries[1]).toContain('Wszystkie przypisane jednostki zajęły stanowisko; propozycja czeka na decyzję');
    expect(page).not.toContain('Kultura popiera.');
  });

  it('decide, reopen, decide again: each happening once, the withdrawn decision said to be withdrawn', async () => {
    story.decide(lp7, 'nieuwzgledniona', 'Pierwsza decyzja: nie tym razem.', at(3));
    let { page, entries } = await historyOf(lp7);
    expect(entries).toHaveLength(3);
    expect(entries[2]).toContain(`Rozstrzygnięto: propozycja nieuwzględniona. Na podstawie stanowisk: ${KULTURA}`);
    // the decision's text once on the page: in "Sposób wykorzystania", not again in the history
    expect(count(page, 'Pierwsza decyzja: nie tym razem.')).toBe(1);

    story.reopen(lp7, 'Wydział przekazał nowe informacje.', at(4));
    ({ page, entries } = await historyOf(lp7));
    expect(entries).toHaveLength(4);
    expect(entries[2]).toContain('Rozstrzygnięto: propozycja nieuwzględniona (decyzję później wycofano)');
    expect(entries[3]).toContain('Propozycję otwarto ponownie: decyzję z 1 grudnia 2026 wycofano.');
    expect(entries[3]).toContain('Powód: Wydział przekazał nowe informacje.');
    expect(entries[3]).toContain('urząd przygotuje nową decyzję');
    // the page agrees with the history: no decision in force, the withdrawn one named
    expect(page).toContain('Decyzję z 1 grudnia 2026 (nieuwzględniona) wycofano 1 grudnia 2026');
    expect(page).not.toContain('Decyzja nie została jeszcze opublikowana');

    story.decide(lp7, 'uwzgledniona', 'Druga decyzja: tak, w 2026 roku.', at(5));
    ({ page, entries } = await historyOf(lp7));
    expect(entries).toHaveLength(5);
    expect(entries[4]).toContain('Rozstrzygnięto: propozycja uwzględniona.');
    expect(entries[4]).not.toContain('wycofano');
    expect(count(page, 'Druga decyzja: tak, w 2026 roku.')).toBe(1);
    expect(count(page, 'Rozstrzygnięto:')).toBe(2);
    expect(page).not.toContain('Decyzja nie została jeszcze opublikowana');
    expect(page).not.toContain('Zmiana statusu');
    expect(new Set(entries).size).toBe(entries.length);
  });

  it('a duplicate is linked both ways, its reason said once', async () => {
    story.duplicate(lp66, 7, 'Ta sama prośba o lokale.', at(6));
    const original = await historyOf(lp7);
    expect(original.entries[5]).toContain('Dołączono propozycję LP 66, która ją powtarza; są rozpatrywane razem');
    expect(original.page).toContain(`<a href="/proposals/${lp66}">LP 66</a>`);
    const dup = await historyOf(lp66);
    expect(dup.entries).toHaveLength(1);
    expect(dup.entries[0]).toContain('Uznano za powtórzenie propozycji LP 7');
    expect(count(dup.page, 'Ta sama prośba o lokale.')).toBe(1);
    expect(dup.page).toContain(`<a href="/proposals/${lp7}">`);
  });
});

describe('leadWord', () => {
  it('agrees with the unit name', () => {
    expect(leadWord('Wydział Kultury')).toBe('wiodący');
    expect(leadWord('Biuro Dialogu i Innowacji Miejskich')).toBe('wiodące');
    expect(leadWord('Toruńska Agenda Kulturalna')).toBe('wiodąca');
  });
});
