import { foldForSearch } from '../lib/text.js';
import { ENDINGS, stemsOf } from './stem.js';
import { STOP_WORDS } from './stopwords.js';
import type { SynonymGroup } from './synonyms.js';
import type { Vocabulary } from './vocabulary.js';

/** One word of the query: as typed, lower case (diacritics kept, for the stemmer) and folded (as indexed). */
export type QueryWord = { typed: string; lower: string; folded: string; acronym: boolean };

/** Words the user typed, at most 12; hyphenated words stay one word (on-line, CAL-u). */
export function queryWords(q: string): QueryWord[] {
  const typed = q.match(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu) ?? [];
  return typed.slice(0, 12).map((t) => {
    const lower = t.toLowerCase();
    const letters = t.replace(/-.*/, '');
    const acronym = letters.length >= 2 && letters.length <= 5 && /^\p{Lu}+$/u.test(letters);
    return { typed: t, lower, folded: foldForSearch(lower), acronym };
  });
}

/** The content words: stop words dropped, unless the query has nothing else (or they are typed in capitals). */
export function contentWords(words: QueryWord[]): QueryWord[] {
  const content = words.filter((w) => w.acronym || !STOP_WORDS.has(w.folded));
  return content.length ? content : words;
}

/** An LP reference: „7”, „LP 7”, „lp7”, „LP. 7”. */
export function lpReference(q: string): number | null {
  const m = q.match(/^\s*(?:lp\.?\s*)?(\d{1,6})\.?\s*$/i);
  return m ? Number(m[1]) : null;
}

// endings an abbreviation takes in Polish (CAL-u, CAL-e, UMT-em …), as the index stores them once folded
const ACRONYM_ENDINGS = new Set(['', 'u', 'e', 'em', 'y', 'ow', 'om', 'ach', 'ami', 'ie', 'a', 'owi']);
/** A word's alternatives are capped (the most frequent kept), so a short stem cannot make a huge query. */
const MAX_TERMS = 40;

const quote = (term: string) => `"${term}"`;
const any = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`);
const all = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);

// A word's stems depend on nothing else: kept across searches (the synonym list's words are stemmed on
// every search that compares a word with them), dropped all at once when too many words were seen.
const STEMS_KEPT = 5000;
const stemCache = new Map<string, string[]>();

/** A word as compared with a synonym's word (see sameKey). */
type WordKey = { folded: string; stems: string[] };

/** The same word: the same once folded, or sharing a stem of four letters or more. */
function sameKey(a: WordKey, b: WordKey): boolean {
  return a.folded === b.folded || b.stems.some((s) => a.stems.includes(s));
}

/** A synonym group with each phrase's content words (stop words dropped, unless the phrase is one word). */
type PreparedGroup = { group: SynonymGroup; phrases: WordKey[][] };
const prepared = new WeakMap<SynonymGroup[], PreparedGroup[]>();

/** The synonym list's words folded and stemmed once, not on every search. */
function preparedSynonyms(groups: SynonymGroup[], key: (lower: string) => WordKey): PreparedGroup[] {
  let out = prepared.get(groups);
  if (!out) {
    out = groups.map((group) => ({
      group,
      phrases: group.map((phrase) =>
        phrase
          .filter((p) => !STOP_WORDS.has(foldForSearch(p.toLowerCase())) || phrase.length === 1)
          .map((p) => key(p.toLowerCase())),
      ),
    }));
    prepared.set(groups, out);
  }
  return out;
}

/** Builds FTS5 expressions for query words against the index's vocabulary. */
export class QueryBuilder {
  constructor(
    private readonly vocabulary: Vocabulary,
    private readonly synonyms: SynonymGroup[],
  ) {}

  stemsOf(lower: string): string[] {
    let s = stemCache.get(lower);
    if (!s) {
      if (stemCache.size >= STEMS_KEPT) stemCache.clear();
      s = stemsOf(lower, foldForSearch);
      stemCache.set(lower, s);
    }
    return s;
  }

  /** The index terms that are forms of a single (unhyphenated) word; empty when the index has none. */
  formsOf(lower: string): string[] {
    const folded = foldForSearch(lower);
    const v = this.vocabulary;
    if (/^\p{N}+$/u.test(folded)) return v.has(folded) ? [folded] : [];
    const forms = new Set<string>();
    if (folded.length <= 3) {
      for (const t of v.withPrefix(folded)) if (ACRONYM_ENDINGS.has(t.slice(folded.length))) forms.add(t);
    } else {
      for (const base of this.stemsOf(lower)) {
        for (const t of v.withPrefix(base)) if (ENDINGS.has(t.slice(base.length))) forms.add(t);
      }
    }
    return [...forms].sort((a, b) => v.docCount(b) - v.docCount(a)).slice(0, MAX_TERMS);
  }

  /** FTS5 expression for one word as typed (hyphenated or not); null when nothing in the index can match it. */
  word(w: Pick<QueryWord, 'lower'>): string | null {
    const parts = w.lower.split('-').filter(Boolean);
    const v = this.vocabulary;
    const alternatives: string[] = [];
    const joined = parts.join('');
    const foldedParts = parts.map((p) => foldForSearch(p));
    // CAL-u, NGO-sów: an ending after a hyphen is a form of the head word, not a word of its own
    const suffixed = parts.length > 1 && foldedParts[foldedParts.length - 1]!.length <= 3;
    const forms = suffixed ? (v.has(foldForSearch(joined)) ? [foldForSearch(joined)] : []) : this.formsOf(joined);
    alternatives.push(...forms.map(quote));
    const folded = foldForSearch(joined);
    // a word not (yet) complete, as while typing, and no form of a word: its prefix
    if (forms.length === 0 && folded.length >= 3 && !/^\p{N}+$/u.test(folded) && v.withPrefix(folded).length > 0) {
      alternatives.push(`"${folded}"*`);
    }
    if (parts.length > 1) {
      // on-line ↔ "on line" in the text; CAL-u ↔ CAL
      if (foldedParts.every((p) => v.has(p))) alternatives.push(quote(foldedParts.join(' ')));
      if (suffixed) {
        const head = this.word({ lower: parts.slice(0, -1).join('-') });
        if (head) alternatives.push(head);
      }
    } else if (folded.length >= 5) {
      // online ↔ on-line (indexed as two words)
      for (let i = 2; i <= folded.length - 2; i++) {
        const a = folded.slice(0, i);
        const b = folded.slice(i);
        if (v.has(a) && v.has(b)) alternatives.push(quote(`${a} ${b}`));
      }
    }
    const unique = [...new Set(alternatives)];
    return unique.length ? any(unique) : null;
  }

  /** Words that must all occur (null if one of them cannot). */
  private allOf(words: Pick<QueryWord, 'lower'>[]): string | null {
    const parts = words.map((w) => this.word(w));
    return parts.every((p) => p !== null) ? all(parts as string[]) : null;
  }

  /** The synonym group whose phrase the words starting at i spell, and the phrase's length. */
  private synonymAt(words: QueryWord[], i: number): { group: SynonymGroup; length: number } | null {
    let best: { group: SynonymGroup; length: number } | null = null;
    const keys: (WordKey | undefined)[] = [];
    const keyAt = (k: number) => (keys[k] ??= this.wordKey(words[k]!.lower));
    for (const { group, phrases } of preparedSynonyms(this.synonyms, (w) => this.wordKey(w))) {
      for (const content of phrases) {
        if (content.length === 0 || i + content.length > words.length) continue;
        if (best && best.length >= content.length) continue;
        if (content.every((p, k) => sameKey(keyAt(i + k), p))) best = { group, length: content.length };
      }
    }
    return best;
  }

  /** A word as compared with a synonym's word: folded, and its stems of four letters or more. */
  private wordKey(lower: string): WordKey {
    return { folded: foldForSearch(lower), stems: this.stemsOf(lower).filter((s) => s.length >= 4) };
  }

  /**
   * The query's parts, each an FTS5 expression: a synonym group, two words the user split that the index
   * has as one (mikro granty → mikrogranty), or one word. A null part cannot match anything.
   */
  parts(words: QueryWord[]): (string | null)[] {
    const out: (string | null)[] = [];
    for (let i = 0; i < words.length; ) {
      const syn = this.synonymAt(words, i);
      if (syn) {
        const phrases = syn.group
          .map((phrase) =>
            this.allOf(
              phrase
                .filter((p) => !STOP_WORDS.has(foldForSearch(p.toLowerCase())) || phrase.length === 1)
                .map((p) => ({ lower: p.toLowerCase() })),
            ),
          )
          .filter((p): p is string => p !== null);
        out.push(phrases.length ? any([...new Set(phrases)]) : null);
        i += syn.length;
        continue;
      }
      const w = words[i]!;
      const next = words[i + 1];
      if (next && !w.lower.includes('-') && !next.lower.includes('-')) {
        const joined = this.formsOf(w.lower + next.lower);
        if (joined.length) {
          const separate = this.allOf([w, next]);
          const one = { typed: w.typed + next.typed, lower: w.lower + next.lower, folded: w.folded + next.folded };
          // the joined word as a word of its own, synonyms included
          const together = this.parts([{ ...one, acronym: false }])[0] ?? any(joined.map(quote));
          out.push(separate ? any([separate, together]) : together);
          i += 2;
          continue;
        }
      }
      out.push(this.word(w));
      i += 1;
    }
    return out;
  }
}

/** Every part must match: null when one cannot. */
export function everyPart(parts: (string | null)[]): string | null {
  if (parts.length === 0 || parts.some((p) => p === null)) return null;
  return parts.join(' AND ');
}

/** Any part may match (for partial results): null with fewer than two usable parts. */
export function anyPart(parts: (string | null)[]): string | null {
  const usable = parts.filter((p): p is string => p !== null);
  return parts.length > 1 && usable.length > 0 ? usable.join(' OR ') : null;
}

/** Optimal string alignment distance (an adjacent swap counts as one edit), stopping once above max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The index word closest to a word the index does not know: one edit for 4–7 letters, two for longer,
 * the first letter fixed; ties go to the word more proposals use. Null when there is none.
 */
export function correctTypo(folded: string, vocabulary: Vocabulary): string | null {
  if (folded.length < 4 || /\p{N}/u.test(folded)) return null;
  const max = folded.length <= 7 ? 1 : 2;
  let best: { term: string; distance: number; docs: number } | null = null;
  for (const term of vocabulary.withPrefix(folded[0]!)) {
    if (Math.abs(term.length - folded.length) > max) continue;
    const distance = editDistance(folded, term, max);
    if (distance > max) continue;
    const docs = vocabulary.docCount(term);
    if (!best || distance < best.distance || (distance === best.distance && docs > best.docs)) {
      best = { term, distance, docs };
    }
  }
  return best?.term ?? null;
}
