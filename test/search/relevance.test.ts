import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';
import { describeFigures, evaluate, exportedRows, judged } from './evaluate.js';

// The collection (test/search/collection.json) was judged from the texts of data/torun-2026.csv.
// Before the Polish-aware search (plain prefix match of every word): 71 queries, recall 0.321,
// precision 0.977, 39 queries with no result.

let app: App;
beforeAll(async () => {
  app = await build();
  rows = exportedRows(app, 9);
});
afterAll(async () => {
  await app.close();
});

let rows: ReturnType<typeof exportedRows>;
/** The LPs the open-data export returns for a query. */
const search = async (q: string) => (await rows(q)).map((r) => r.lp);

describe('relevance over the judged collection', () => {
  it('has at least 40 queries, each with relevant LPs that exist', () => {
    expect(judged.length).toBeGreaterThanOrEqual(40);
    for (const { relevant } of judged) {
      expect(relevant.length).toBeGreaterThan(0);
      for (const lp of relevant) expect(lp >= 1 && lp <= 73 && lp !== 54 && lp !== 55).toBe(true);
    }
  });

  it('reaches recall ≥ 0.8 with precision ≥ 0.9 and at most one query without a result', async () => {
    const figures = await evaluate(search);
    console.log(describeFigures(figures));
    expect(figures.recall).toBeGreaterThanOrEqual(0.8);
    expect(figures.precision).toBeGreaterThanOrEqual(0.9);
    expect(figures.zeroResults).toBeLessThanOrEqual(1);
  }, 60_000);
});
