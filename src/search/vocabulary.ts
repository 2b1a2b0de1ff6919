import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { readDataVersion } from '../db/version.js';

/** The index's own words (folded) with the number of proposals containing each, sorted for prefix look-ups. */
export class Vocabulary {
  private readonly terms: string[];
  private readonly docs: Map<string, number>;

  constructor(rows: { term: string; doc: number }[]) {
    this.terms = rows.map((r) => r.term).sort();
    this.docs = new Map(rows.map((r) => [r.term, r.doc]));
  }

  has(term: string): boolean {
    return this.docs.has(term);
  }

  /** How many proposals contain the term (0: none). */
  docCount(term: string): number {
    return this.docs.get(term) ?? 0;
  }

  /** Every term starting with the prefix, in order. */
  withPrefix(prefix: string): string[] {
    let lo = 0;
    let hi = this.terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.terms[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.terms.length && this.terms[i]!.startsWith(prefix); i++) out.push(this.terms[i]!);
    return out;
  }
}

const cache = new WeakMap<object, { version: number; vocabulary: Vocabulary }>();

/**
 * The full-text index's vocabulary (FTS5 fts5vocab), read once per data version: only imports change
 * the index, and every import bumps the version. The fts5vocab table lives in the connection's temp
 * schema, so no migration is needed.
 */
export function vocabularyOf(db: Db): Vocabulary {
  const version = readDataVersion(db);
  const cached = cache.get(db);
  if (cached && cached.version === version) return cached.vocabulary;
  db.run(
    sql`CREATE VIRTUAL TABLE IF NOT EXISTS temp.proposal_search_vocab USING fts5vocab(main, proposal_search, row)`,
  );
  const rows = db.all<{ term: string; doc: number }>(sql`SELECT term, doc FROM temp.proposal_search_vocab`);
  const vocabulary = new Vocabulary(rows);
  cache.set(db, { version, vocabulary });
  return vocabulary;
}
