import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { readDataVersion } from '../db/version.js';

/** The index's own words (folded) with the number of proposals containing each, sorted for prefix look-ups. */
export class Vocabulary {
  private readonly terms: string[];
  private readonly docs: Map<string, number>;

  /** @param documents how many proposals the index holds */
  constructor(
    rows: { term: string; doc: number }[],
    readonly documents = 0,
  ) {
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

const cache = new WeakMap<object, { version: number; index: string | null; vocabulary: Vocabulary }>();
const indexStates = new WeakMap<object, { get: () => { block: string } | undefined }>();

/**
 * The state of the full-text index as FTS5 records it: the structure record (row 10 of its `_data`
 * table) is rewritten by every write to the index (each commit adds a segment, merges change it), so an
 * unchanged record means unchanged words. 36 bytes at 100,000 proposals; null if it cannot be read.
 */
function indexState(db: Db): string | null {
  try {
    let statement = indexStates.get(db);
    if (!statement) {
      statement = db
        .select({ block: sql<string>`hex(block)` })
        .from(sql`proposal_search_data`)
        .where(sql`id = 10`)
        .prepare();
      indexStates.set(db, statement);
    }
    return statement.get()?.block ?? null;
  } catch {
    return null; // not an FTS5 layout we know: read the words again after every write, as before
  }
}

/**
 * The full-text index's vocabulary (FTS5 fts5vocab), read again only when the index changed: a write to
 * anything else (a status, a decision) bumps the data version but leaves the words as they were, and
 * reading them all takes about 100 ms at 100,000 proposals – too long for the first search after every
 * write. The fts5vocab table lives in the connection's temp schema, so no migration is needed.
 */
export function vocabularyOf(db: Db): Vocabulary {
  const version = readDataVersion(db);
  const cached = cache.get(db);
  if (cached && cached.version === version) return cached.vocabulary;
  const index = indexState(db);
  if (cached && index !== null && cached.index === index) {
    cached.version = version;
    return cached.vocabulary;
  }
  db.run(
    sql`CREATE VIRTUAL TABLE IF NOT EXISTS temp.proposal_search_vocab USING fts5vocab(main, proposal_search, row)`,
  );
  const rows = db.all<{ term: string; doc: number }>(sql`SELECT term, doc FROM temp.proposal_search_vocab`);
  const documents = db.get<{ n: number }>(sql`SELECT count(*) AS n FROM proposal_search`)?.n ?? 0;
  const vocabulary = new Vocabulary(rows, documents);
  cache.set(db, { version, index, vocabulary });
  return vocabulary;
}
