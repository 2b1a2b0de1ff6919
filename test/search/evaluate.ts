import collection from './collection.json' with { type: 'json' };

export type Judged = { q: string; relevant: number[] };
export type QueryResult = { q: string; returned: number[]; recall: number; precision: number | null };
export type Figures = {
  queries: number;
  /** mean over all queries of the share of relevant proposals returned */
  recall: number;
  /** mean over queries that returned anything of the share of returned proposals that are relevant */
  precision: number;
  zeroResults: number;
  perQuery: QueryResult[];
};

export const judged: Judged[] = collection.queries;

/** Recall, precision and zero-result count of a search (a query → the LPs it returns) over the collection. */
export async function evaluate(search: (q: string) => Promise<number[]>): Promise<Figures> {
  const perQuery: QueryResult[] = [];
  for (const { q, relevant } of judged) {
    const returned = await search(q);
    const hits = returned.filter((lp) => relevant.includes(lp)).length;
    perQuery.push({
      q,
      returned,
      recall: hits / relevant.length,
      precision: returned.length ? hits / returned.length : null,
    });
  }
  const answered = perQuery.filter((r) => r.precision !== null);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    queries: perQuery.length,
    recall: mean(perQuery.map((r) => r.recall)),
    precision: mean(answered.map((r) => r.precision!)),
    zeroResults: perQuery.length - answered.length,
    perQuery,
  };
}

export function describeFigures(f: Figures): string {
  const pct = (x: number) => x.toFixed(3);
  const weak = f.perQuery
    .filter((r) => r.recall < 1 || (r.precision ?? 0) < 1)
    .map(
      (r) =>
        `  ${r.q}: recall ${pct(r.recall)}, precision ${r.precision === null ? '–' : pct(r.precision)}` +
        ` → [${r.returned.join(', ')}]`,
    );
  return [
    `${f.queries} queries: recall ${pct(f.recall)}, precision ${pct(f.precision)}, zero results ${f.zeroResults}`,
    ...weak,
  ].join('\n');
}
