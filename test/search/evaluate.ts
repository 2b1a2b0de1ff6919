import type { App } from '../helpers.js';
import collection from './collection.json' with { type: 'json' };
import heldOut from './held-out.json' with { type: 'json' };
import heldOut2 from './held-out-2.json' with { type: 'json' };

export type Judged = { q: string; relevant: number[]; kind?: string };
export type QueryResult = { q: string; kind?: string; returned: number[]; recall: number; precision: number | null };
export type Figures = {
  queries: number;
  /** mean over all queries of the share of relevant proposals returned */
  recall: number;
  /** mean over queries that returned anything of the share of returned proposals that are relevant */
  precision: number;
  zeroResults: number;
  perQuery: QueryResult[];
};

/** The collection the search was built against (test/search/collection.json). */
export const judged: Judged[] = collection.queries;
/** Queries the search was not tuned to (test/search/held-out.json), and those about things no proposal mentions. */
export const heldOutQueries: Judged[] = heldOut.queries;
export const absentQueries: string[] = heldOut.absent.map((a) => a.q);
/** The second held-out set, written once the search was built and never searched for before it was measured. */
export const heldOut2Queries: Judged[] = heldOut2.queries;
export const absent2Queries: string[] = heldOut2.absent.map((a) => a.q);

function figuresOf(perQuery: QueryResult[]): Figures {
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

/** Recall, precision and zero-result count of a search (a query → the LPs it returns) over a collection. */
export async function evaluate(search: (q: string) => Promise<number[]>, queries: Judged[] = judged): Promise<Figures> {
  const perQuery: QueryResult[] = [];
  for (const { q, relevant, kind } of queries) {
    const returned = await search(q);
    const hits = returned.filter((lp) => relevant.includes(lp)).length;
    perQuery.push({
      q,
      kind,
      returned,
      recall: hits / relevant.length,
      precision: returned.length ? hits / returned.length : null,
    });
  }
  return figuresOf(perQuery);
}

/** The figures of each kind of query (issue 20's table), in the order the kinds first appear. */
export function byKind(f: Figures): Map<string, Figures> {
  const kinds = new Map<string, QueryResult[]>();
  for (const r of f.perQuery) {
    const list = kinds.get(r.kind ?? '') ?? [];
    list.push(r);
    kinds.set(r.kind ?? '', list);
  }
  return new Map([...kinds].map(([kind, list]) => [kind, figuresOf(list)]));
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
  const kinds = f.perQuery.some((r) => r.kind)
    ? [...byKind(f)].map(
        ([kind, k]) =>
          `  ${kind}: ${k.queries} queries, recall ${pct(k.recall)}, precision ${pct(k.precision)}, ` +
          `zero results ${k.zeroResults}`,
      )
    : [];
  return [
    `${f.queries} queries: recall ${pct(f.recall)}, precision ${pct(f.precision)}, zero results ${f.zeroResults}`,
    ...kinds,
    ...weak,
  ].join('\n');
}

/**
 * The open-data export's rows for a query, as a function of the app; each request from its own address
 * (the export is rate-limited per address), in the 10.<block>.x.y range given.
 */
export function exportedRows(app: App, block: number) {
  let address = 0;
  return async (q: string): Promise<{ lp: number; match: string }[]> => {
    const res = await app.inject({
      url: `/export/proposals.json?q=${encodeURIComponent(q)}`,
      remoteAddress: `10.${block}.${Math.floor(address / 250)}.${(address++ % 250) + 1}`,
    });
    if (res.statusCode !== 200) throw new Error(`export answered ${res.statusCode} for „${q}”`);
    return res.json() as { lp: number; match: string }[];
  };
}
