import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';
import { absentQueries, describeFigures, evaluate, heldOutQueries } from './evaluate.js';

// Queries the search was not tuned to (test/search/held-out.json): written and judged from the texts of
// data/torun-2026.csv before the search of issue 20 was built, and left as they were after.

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

let address = 0;
/** The open-data export's rows for a query (each request from its own address: the export is rate-limited). */
async function exported(q: string): Promise<{ lp: number; match: string }[]> {
  const res = await app.inject({
    url: `/export/proposals.json?q=${encodeURIComponent(q)}`,
    remoteAddress: `10.11.${Math.floor(address / 250)}.${(address++ % 250) + 1}`,
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { lp: number; match: string }[];
}

describe('relevance on the held-out queries', () => {
  it('has 40 judged queries of every kind, each with relevant LPs that exist, and queries about absent topics', () => {
    expect(heldOutQueries.length).toBe(40);
    const kinds = new Set(heldOutQueries.map((j) => j.kind));
    expect([...kinds].sort()).toEqual(
      ['broad', 'inflection', 'multiword', 'no diacritics', 'question', 'synonyms', 'typo'].sort(),
    );
    for (const { relevant } of heldOutQueries) {
      expect(relevant.length).toBeGreaterThan(0);
      for (const lp of relevant) expect(lp >= 1 && lp <= 73 && lp !== 54 && lp !== 55).toBe(true);
    }
    expect(absentQueries.length).toBeGreaterThanOrEqual(3);
  });

  it('reports recall and precision by kind of query', async () => {
    const figures = await evaluate(async (q) => (await exported(q)).map((r) => r.lp), heldOutQueries);
    console.log(describeFigures(figures));
    for (const q of absentQueries) {
      const rows = await exported(q);
      console.log(`  absent „${q}”: ${rows.length} rows, ${rows.filter((r) => r.match === 'full').length} full`);
    }
    expect(figures.queries).toBe(40);
  }, 60_000);
});
