import type { Db } from '../db/client.js';
import { countProposals, type IdRange, type ProposalFilter, proposalIdRange } from '../proposals/queries.js';
import { anyPart, contentWords, correctTypo, everyPart, lpReference, QueryBuilder, queryWords } from './query.js';
import { synonymGroups } from './synonyms.js';
import { type Vocabulary, vocabularyOf } from './vocabulary.js';

/** `full`: every word (or the LP) matched; `partial`: none had all words, these have some, best first (bm25). */
export type MatchKind = 'full' | 'partial';

type Attempt = {
  ftsQuery: string | null;
  /** partial matches: the parts, any of which matches */
  ftsParts?: string[];
  lp?: number;
  match: MatchKind;
  shownAs: string | null;
};

/**
 * What to try for a query, in order, each only if the ones before found nothing: the proposal with that LP;
 * all words (their forms, synonyms, joined or split spellings); all words with typos corrected against the
 * index's vocabulary; any of the words.
 */
function* attempts(vocabulary: Vocabulary, q: string): Generator<Attempt> {
  const lp = lpReference(q);
  if (lp !== null) yield { ftsQuery: null, lp, match: 'full', shownAs: null };
  const typed = queryWords(q);
  const words = contentWords(typed);
  if (words.length === 0) return;
  const builder = new QueryBuilder(vocabulary, synonymGroups());
  let parts = builder.parts(words);
  const full = everyPart(parts);
  if (full) yield { ftsQuery: full, match: 'full', shownAs: null };

  const fixes = new Map<string, string>();
  for (const w of words) {
    if (builder.word(w) !== null) continue;
    const fix = correctTypo(w.folded, vocabulary);
    if (fix) fixes.set(w.typed, fix);
  }
  let shownAs: string | null = null;
  if (fixes.size) {
    const fixed = (w: (typeof words)[number]) => {
      const fix = fixes.get(w.typed);
      return fix ? { ...w, typed: fix, lower: fix, folded: fix } : w;
    };
    shownAs = typed.map((w) => fixed(w).typed).join(' ');
    parts = builder.parts(words.map(fixed));
    const corrected = everyPart(parts);
    if (corrected) yield { ftsQuery: corrected, match: 'full', shownAs };
  }
  const partial = anyPart(parts);
  if (partial) {
    const ftsParts = parts.filter((p): p is string => p !== null);
    yield { ftsQuery: partial, ftsParts, match: 'partial', shownAs };
  }
}

export type SearchResult = {
  filter: ProposalFilter;
  total: number;
  match: MatchKind;
  /** the query as searched when typos were corrected („Pokazujemy wyniki dla: …”), else null */
  shownAs: string | null;
};

// A consultation's id range changes only with the index (an import): kept with the vocabulary read from it.
const idRanges = new WeakMap<Vocabulary, Map<number, IdRange | null>>();

function idRangeOf(db: Db, vocabulary: Vocabulary, consultationId: number): IdRange | null {
  let ranges = idRanges.get(vocabulary);
  if (!ranges) {
    ranges = new Map();
    idRanges.set(vocabulary, ranges);
  }
  let range = ranges.get(consultationId);
  if (range === undefined) {
    range = proposalIdRange(db, consultationId);
    ranges.set(consultationId, range);
  }
  return range;
}

/** Resolves the search box's text into the filter that finds something (see attempts), and its count. */
export function resolveSearch(db: Db, base: ProposalFilter, q: string): SearchResult {
  const vocabulary = vocabularyOf(db);
  const ftsRowids = idRangeOf(db, vocabulary, base.consultationId);
  let first: SearchResult | null = null;
  for (const a of attempts(vocabulary, q)) {
    const filter: ProposalFilter = { ...base, ftsQuery: a.ftsQuery, ftsParts: a.ftsParts, ftsRowids, lp: a.lp };
    const total = countProposals(db, filter);
    const result = { filter, total, match: a.match, shownAs: a.shownAs };
    if (total > 0) return result;
    first ??= result;
  }
  // nothing anywhere (a query of punctuation included): no rows, not every row
  return first ? { ...first, shownAs: null } : { filter: base, total: 0, match: 'full', shownAs: null };
}
