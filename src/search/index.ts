import { asc } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { perDataVersion } from '../db/memo.js';
import { units } from '../db/schema/index.js';
import {
  countProposals,
  type IdRange,
  listProposalIds,
  type ProposalFilter,
  proposalIdRange,
  SEARCH_COUNT_CAP,
} from '../proposals/queries.js';
import { polishMorphology } from './morphology.js';
import {
  contentWords,
  correctTypo,
  everyPart,
  type Language,
  lpReference,
  type Part,
  QueryBuilder,
  queryWords,
  type UnitName,
} from './query.js';
import { synonymGroups } from './synonyms.js';
import { polishThesaurus } from './thesaurus.js';
import { type Vocabulary, vocabularyOf } from './vocabulary.js';

/** `full`: every word (or the LP) matched; `partial`: none had all words, these have the most weighty ones. */
export type MatchKind = 'full' | 'partial';

type Attempt =
  | { match: 'full'; lp?: number; ftsQuery: string | null; unitRef?: ProposalFilter['unitRef']; shownAs: string | null }
  | { match: 'partial'; parts: Part[]; shownAs: string | null };

/** A part's match as a filter: its text, or a unit's proposals and texts naming it. */
function partFilter(base: ProposalFilter, p: Part): ProposalFilter {
  return p.unitIds ? { ...base, unitRef: { unitIds: p.unitIds, ftsQuery: p.fts } } : { ...base, ftsQuery: p.fts };
}

/**
 * A part found in at least this share of the consultation's proposals says little about what is sought
 * („organizacje” or „NGO” among proposals for NGOs): it is optional for a full match when the query has a
 * rarer part, as Lucene's common-terms query treats terms above its cutoff frequency.
 */
const COMMON_SHARE = 1 / 4;

/**
 * All parts must match (the common ones only when the query has nothing rarer): the texts' expression, and
 * at most one unit (a second one counts by its texts).
 */
function fullMatch(
  parts: Part[],
  isCommon: (p: Part) => boolean = () => false,
): { ftsQuery: string | null; unitRef?: ProposalFilter['unitRef'] } | null {
  if (parts.length > 1 && parts.every((p) => p.fts !== null || p.unitIds)) {
    const rare = parts.filter((p) => !isCommon(p));
    if (rare.length > 0 && rare.length < parts.length) parts = rare;
  }
  const unit = parts.find((p) => p.unitIds);
  const rest = parts.map((p) => (p.unitIds && p !== unit ? { fts: p.fts } : p));
  if (rest.some((p) => p.fts === null && !p.unitIds)) return null;
  const ftsQuery = everyPart(rest);
  return { ftsQuery, unitRef: unit && { unitIds: unit.unitIds!, ftsQuery: unit.fts } };
}

/**
 * What to try for a query, in order, each only if the ones before found nothing: the proposal with that LP;
 * all words (their forms and word family, the field vocabulary, a unit named, joined or split spellings, the
 * thesaurus for a word the texts never use); all words with typos corrected against the index's vocabulary;
 * the proposals holding the query's weightiest words (see rankPartial).
 */
function* attempts(
  vocabulary: Vocabulary,
  language: Language,
  unitNames: UnitName[],
  q: string,
  isCommon: (p: Part) => boolean,
): Generator<Attempt> {
  const lp = lpReference(q);
  if (lp !== null) yield { match: 'full', ftsQuery: null, lp, shownAs: null };
  const typed = queryWords(q);
  const words = contentWords(typed, language);
  if (words.length === 0) return;
  const builder = new QueryBuilder(vocabulary, synonymGroups(), language, unitNames);
  let parts = builder.parts(words);
  const full = fullMatch(parts, isCommon);
  if (full) yield { match: 'full', ...full, shownAs: null };

  const fixes = new Map<string, string>();
  for (const w of words) {
    // a word the dictionary knows is no typo, only a word these texts do not use
    if (builder.word(w) !== null || builder.lemmas(w.lower).length > 0) continue;
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
    const corrected = fullMatch(parts, isCommon);
    if (corrected) yield { match: 'full', ...corrected, shownAs };
  }
  if (parts.length > 1) yield { match: 'partial', parts, shownAs };
}

export type SearchResult = {
  filter: ProposalFilter;
  total: number;
  match: MatchKind;
  /** the query as searched when typos were corrected („Pokazujemy wyniki dla: …”), else null */
  shownAs: string | null;
};

/**
 * A partial match needs this share of the query's weight (the sum of its matching parts' weights): with two
 * words, the rarer one, or both; with more, most of what the query says.
 */
const PARTIAL_SHARE = 0.5;

/**
 * About what share of the index's proposals an expression matches: its terms' proposal counts summed (a
 * phrase counted by its rarest word), at most all of them.
 */
function indexShare(vocabulary: Vocabulary, fts: string): number {
  if (!vocabulary.documents) return 0;
  let docs = 0;
  for (const [, phrase] of fts.matchAll(/"([^"]+)"/g)) {
    docs += Math.min(...phrase!.split(' ').map((t) => vocabulary.docCount(t)));
  }
  return Math.min(1, docs / vocabulary.documents);
}

/** The proposals a search looks through: the consultation's, with the list's other filters. */
function consultationSize(db: Db, base: ProposalFilter): number {
  const { ftsRowids: _, ...filters } = base;
  return perDataVersion(db, `search size:${JSON.stringify(filters)}`, () => countProposals(db, filters));
}

/**
 * Partial matches ranked by how many and how rare the query's parts they hold are: each part weighs
 * log(1 + N / its matches) (bm25's idf) in the consultation's N proposals, a proposal scores the weights of
 * the parts it holds, and those reaching PARTIAL_SHARE of the best possible score are kept, best first (LP
 * order among equals). Parts matching nothing do not count. The proposals of the rare parts (at most
 * SEARCH_COUNT_CAP matches each) are read and the common parts only checked among them; with no rare part,
 * null (the caller lists every proposal with some part, in LP order).
 */
function rankPartial(db: Db, base: ProposalFilter, parts: Part[]): number[] | null {
  const usable = parts.filter((p) => p.fts !== null || p.unitIds);
  const counted = usable.map((p) => ({ part: p, n: countProposals(db, partFilter(base, p)) })).filter((c) => c.n > 0);
  const rare = counted.filter((c) => c.n <= SEARCH_COUNT_CAP);
  if (rare.length === 0) return null;
  const size = consultationSize(db, base);
  // a common part's exact count is not read (it could be most of 100,000 proposals): taken as half of them
  const weight = (n: number) => Math.log(1 + size / (n > SEARCH_COUNT_CAP ? Math.max(n, size / 2) : n));
  const scores = new Map<number, number>();
  const order: number[] = [];
  const add = (ids: number[], w: number) => {
    for (const id of ids) {
      const s = scores.get(id);
      if (s === undefined) order.push(id);
      scores.set(id, (s ?? 0) + w);
    }
  };
  for (const c of rare) add(listProposalIds(db, partFilter(base, c.part)), weight(c.n));
  const common = counted.filter((c) => c.n > SEARCH_COUNT_CAP);
  if (common.length) {
    const candidates = [...order];
    // FTS5 intersects a common part with the rare ones without reading all of its matches
    const rareTexts = rare.every((c) => c.part.fts !== null) ? rare.map((c) => c.part.fts!).join(' OR ') : null;
    for (const c of common) {
      const f = partFilter({ ...base, rankedIds: candidates }, c.part);
      const within = rareTexts && f.ftsQuery ? { ...f, ftsQuery: `(${rareTexts}) AND (${f.ftsQuery})` } : f;
      add(listProposalIds(db, within), weight(c.n));
    }
  }
  const total = counted.reduce((sum, c) => sum + weight(c.n), 0);
  const kept = order.filter((id) => scores.get(id)! >= PARTIAL_SHARE * total - 1e-9);
  // stable: LP order (the order rare parts listed them in) among equal scores
  const lpOrder = new Map(listProposalIds(db, { ...base, rankedIds: kept }).map((id, i) => [id, i]));
  return kept.sort((a, b) => scores.get(b)! - scores.get(a)! || lpOrder.get(a)! - lpOrder.get(b)!);
}

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

/** The units a query can name (read once per data version: an admin may rename one). */
function unitNamesOf(db: Db): UnitName[] {
  return perDataVersion(db, 'search unit names', () =>
    db.select({ id: units.id, name: units.name, kind: units.kind }).from(units).orderBy(asc(units.id)).all(),
  );
}

/** The Polish dictionary and thesaurus, read on the first search (data/pl/). */
export function polish(): Language {
  return { morphology: polishMorphology(), thesaurus: polishThesaurus() };
}

/** Resolves the search box's text into the filter that finds something (see attempts), and its count. */
export function resolveSearch(db: Db, base: ProposalFilter, q: string): SearchResult {
  const vocabulary = vocabularyOf(db);
  const ftsRowids = idRangeOf(db, vocabulary, base.consultationId);
  const searched = { ...base, ftsRowids };
  const isCommon = (p: Part) => {
    const n = countProposals(db, partFilter(searched, p));
    const size = consultationSize(db, searched);
    // past the count's cap, the share of the whole index holding the part's words, from the vocabulary
    const share = n <= SEARCH_COUNT_CAP || !p.fts ? n / size : Math.max(n / size, indexShare(vocabulary, p.fts));
    return n > 1 && share >= COMMON_SHARE;
  };
  let first: SearchResult | null = null;
  for (const a of attempts(vocabulary, polish(), unitNamesOf(db), q, isCommon)) {
    let filter: ProposalFilter;
    let total: number;
    if (a.match === 'full') {
      filter = { ...searched, ftsQuery: a.ftsQuery, unitRef: a.unitRef, lp: a.lp };
      total = countProposals(db, filter);
    } else {
      const ranked = rankPartial(db, searched, a.parts);
      if (ranked) {
        filter = { ...searched, rankedIds: ranked };
        total = ranked.length;
      } else {
        // only common parts: every proposal with one of them, the rare-first tiers of the list
        const ftsParts = a.parts.map((p) => p.fts).filter((p): p is string => p !== null);
        filter = { ...searched, ftsQuery: ftsParts.length ? ftsParts.join(' OR ') : null, ftsParts };
        total = filter.ftsQuery ? countProposals(db, filter) : 0;
      }
    }
    const result = { filter, total, match: a.match, shownAs: a.shownAs };
    if (total > 0) return result;
    first ??= result;
  }
  // nothing anywhere (a query of punctuation included): no rows, not every row
  return first ? { ...first, shownAs: null } : { filter: base, total: 0, match: 'full', shownAs: null };
}
