import { foldForSearch } from '../lib/text.js';
import type { Lemma, Morphology } from './morphology.js';
import { ENDINGS, stemsOf } from './stem.js';
import { FILLER_LEMMAS, STOP_WORDS } from './stopwords.js';
import type { Phrase, SynonymGroup } from './synonyms.js';
import type { Thesaurus } from './thesaurus.js';
import type { Vocabulary } from './vocabulary.js';

/** One word of the query: as typed, lower case (diacritics kept) and folded (as indexed). */
export type QueryWord = { typed: string; lower: string; folded: string; acronym: boolean };

/** Words the user typed, at most 12; hyphenated words stay one word (on-line, CAL-u), a slash splits. */
export function queryWords(q: string): QueryWord[] {
  const typed = q.match(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu) ?? [];
  return typed.slice(0, 12).map((t) => {
    const lower = t.toLowerCase();
    const letters = t.replace(/-.*/, '');
    const acronym = letters.length >= 2 && letters.length <= 5 && /^\p{Lu}+$/u.test(letters);
    return { typed: t, lower, folded: foldForSearch(lower), acronym };
  });
}

/** The language data the search uses: inflection and word families, and the general thesaurus. */
export type Language = { morphology: Morphology; thesaurus: Thesaurus };

/**
 * The content words: stop words, question words and fillers dropped (a filler by its lemmas: „znajdę” is a
 * form of „znaleźć”, even though also of „znajda”; „wiedza” is a word of its own, not only a form of
 * „wiedzieć”), unless the query has nothing else; never a word typed in capitals.
 */
export function contentWords(words: QueryWord[], language?: Language): QueryWord[] {
  const filler = (w: QueryWord) => {
    if (STOP_WORDS.has(w.folded)) return true;
    if (!language) return false;
    const { morphology } = language;
    if (!lemmasOfTyped(morphology, w.lower).some((l) => FILLER_LEMMAS.has(l.lemma))) return false;
    // a word of its own that only looks like a form of one (wiedza, moc: not wiedzieć, móc) is kept
    const typedExactly = w.lower !== w.folded;
    return !morphology
      .entriesOf(w.folded)
      .some((e) => !FILLER_LEMMAS.has(e.lemma) && (!typedExactly || e.lemma.toLowerCase() === w.lower));
  };
  const content = words.filter((w) => w.acronym || !filler(w));
  return content.length ? content : words;
}

/** An LP reference: „7”, „LP 7”, „lp7”, „LP. 7”. */
export function lpReference(q: string): number | null {
  const m = q.match(/^\s*(?:lp\.?\s*)?(\d{1,6})\.?\s*$/i);
  return m ? Number(m[1]) : null;
}

/**
 * The lemmas of a word as typed. Folding joins words (szkołą and szkolą, kasa and kąsa): a word typed with
 * Polish letters keeps only the lemmas that have it as a form letter for letter.
 */
export function lemmasOfTyped(morphology: Morphology, lower: string): Lemma[] {
  const folded = foldForSearch(lower);
  let lemmas = morphology.lemmasOf(folded);
  if (lower !== folded) {
    // typed with Polish letters but spelt by none of its lemmas' forms: not one of these words (szkoł ≠ szkol)
    lemmas = lemmas.filter((l) => morphology.spelledFormsOf(l).includes(lower));
  }
  // a verbal noun with an entry of its own (szkolenie) stands for its verb (szkolić), whose other forms folded
  // would meet other words (szkolą ~ szkoła, szkol ~ szkół)
  const isVerb = (l: Lemma) => /[ćc]$/.test(l.lemma);
  const nouns = lemmas.filter((l) => !isVerb(l)).map((l) => l.lemma.toLowerCase());
  return lemmas.filter((l) => !isVerb(l) || !nouns.some((n) => morphology.spelledFormsOf(l).includes(n)));
}

// endings an abbreviation takes in Polish (CAL-u, CAL-e, UMT-em …), as the index stores them once folded
const ACRONYM_ENDINGS = new Set(['', 'u', 'e', 'em', 'y', 'ow', 'om', 'ach', 'ami', 'ie', 'a', 'owi']);
/** A word's alternatives are capped (the most frequent kept), so a large family cannot make a huge query. */
const MAX_TERMS = 40;
/** Thesaurus synonyms tried for a word, at most (its first senses first). */
const MAX_SYNONYMS = 24;

const quote = (term: string) => `"${term}"`;
const any = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`);
const all = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);

// A word's fallback stems depend on nothing else: kept across searches, dropped all at once when too many
const STEMS_KEPT = 5000;
const stemCache = new Map<string, string[]>();

function fallbackStems(lower: string): string[] {
  let s = stemCache.get(lower);
  if (!s) {
    if (stemCache.size >= STEMS_KEPT) stemCache.clear();
    s = stemsOf(lower, foldForSearch);
    stemCache.set(lower, s);
  }
  return s;
}

/**
 * A word as compared with a word of the field vocabulary or of a unit's name: its lemmas' families, or,
 * for a word the dictionary does not know, its folded spelling and fallback stems.
 */
type WordKey = { folded: string; family: Set<string>; stems: string[] };

/** A unit as a query can name it: its name's content words and its abbreviations (folded). */
export type UnitName = { id: number; name: string; kind: string };
type PreparedUnit = { id: number; names: PreparedPhrase[]; abbreviations: Set<string> };

/** A phrase of the vocabulary with its content words' keys. */
type PreparedPhrase = { words: Phrase; keys: WordKey[] };

/** A part of the query: an FTS5 expression, and the units whose proposals match it too (a unit named). */
export type Part = { fts: string | null; unitIds?: number[] };

// words that join a unit's name without being part of its abbreviation (Biuro Dialogu i Innowacji → BDIM)
const CONNECTORS = new Set(['i', 'w', 'z', 'ds.', 'ds', 'do', 'na', 'oraz', 'dla']);

/** The usual abbreviations of a unit's name: initials, with and without its connectors, less „w <Miasto>”. */
export function abbreviationsOf(name: string): string[] {
  let words = name.split(/\s+/).filter(Boolean);
  if (words.length >= 3 && words[words.length - 2] === 'w' && /^\p{Lu}/u.test(words[words.length - 1]!)) {
    words = words.slice(0, -2);
  }
  const significant = words.filter((w) => !CONNECTORS.has(w.toLowerCase()));
  if (significant.length < 2 || !significant.every((w) => /^\p{Lu}/u.test(w))) return [];
  const initials = (ws: string[]) => foldForSearch(ws.map((w) => w[0]!).join(''));
  return [...new Set([initials(significant), initials(words)])];
}

type PreparedGroup = { group: SynonymGroup; equivalents: PreparedPhrase[] };
const preparedGroupsCache = new WeakMap<SynonymGroup[], PreparedGroup[]>();
const preparedUnitsCache = new WeakMap<UnitName[], PreparedUnit[]>();

/** Builds FTS5 expressions for query words against the index's vocabulary. */
export class QueryBuilder {
  private readonly groups: PreparedGroup[];
  private readonly units: PreparedUnit[];

  constructor(
    private readonly vocabulary: Vocabulary,
    synonyms: SynonymGroup[],
    private readonly language: Language,
    units: UnitName[] = [],
  ) {
    // the vocabulary's phrases and the units' names are analysed once, not on every search
    let groups = preparedGroupsCache.get(synonyms);
    if (!groups) {
      groups = synonyms.map((group) => ({ group, equivalents: group.equivalents.map((p) => this.prepare(p)) }));
      preparedGroupsCache.set(synonyms, groups);
    }
    this.groups = groups;
    let prepared = preparedUnitsCache.get(units);
    if (!prepared) {
      prepared = units
        .filter((u) => u.kind !== 'grupa')
        .map((u) => ({
          id: u.id,
          // „ds.” is read out as „do spraw”, and typed so too
          names: [u.name, ...(/\bds\.\s/.test(u.name) ? [u.name.replace(/\bds\.\s/g, 'do spraw ')] : [])].map((n) =>
            this.prepare(n.split(/\s+/)),
          ),
          abbreviations: new Set(abbreviationsOf(u.name)),
        }));
      preparedUnitsCache.set(units, prepared);
    }
    this.units = prepared;
  }

  /** The lemmas of a word as typed (see lemmasOfTyped). */
  lemmas(lower: string): Lemma[] {
    return lemmasOfTyped(this.language.morphology, lower);
  }

  key(lower: string): WordKey {
    const family = new Set<string>();
    for (const l of this.lemmas(lower)) for (const m of this.language.morphology.familyOf(l)) family.add(m.lemma);
    return { folded: foldForSearch(lower), family, stems: fallbackStems(lower).filter((s) => s.length >= 4) };
  }

  /** Words of a phrase with their keys (stop words dropped, unless the phrase is one word). */
  prepare(phrase: Phrase): PreparedPhrase {
    // split as a query is („ds.” is the word „ds”), so the phrase's words meet the query's
    const words = queryWords(phrase.join(' ')).map((w) => w.typed);
    const content = words.filter((p) => !STOP_WORDS.has(foldForSearch(p.toLowerCase())) || words.length === 1);
    return { words: content, keys: content.map((p) => this.key(p.toLowerCase())) };
  }

  /**
   * The index terms that are forms of a single (unhyphenated) word: the forms of its lemmas and of their
   * word family (dictionary), or, for a word the dictionary does not know or whose forms the index lacks,
   * the index words that are one of its stems plus a Polish ending (Snowball and ending rules, stem.ts).
   */
  formsOf(lower: string, family = true): string[] {
    const folded = foldForSearch(lower);
    const v = this.vocabulary;
    if (/^\p{N}+$/u.test(folded)) return v.has(folded) ? [folded] : [];
    const forms = new Set<string>();
    const morphology = this.language.morphology;
    for (const l of this.lemmas(lower)) {
      for (const m of family ? morphology.familyOf(l) : [l]) {
        for (const f of morphology.formsOf(m)) if (v.has(f)) forms.add(f);
      }
    }
    if (forms.size === 0) {
      if (folded.length <= 3) {
        for (const t of v.withPrefix(folded)) if (ACRONYM_ENDINGS.has(t.slice(folded.length))) forms.add(t);
      } else {
        for (const base of fallbackStems(lower)) {
          for (const t of v.withPrefix(base)) if (ENDINGS.has(t.slice(base.length))) forms.add(t);
        }
      }
    }
    return [...forms].sort((a, b) => v.docCount(b) - v.docCount(a)).slice(0, MAX_TERMS);
  }

  /**
   * FTS5 expression for one word as typed (hyphenated or not), by its forms only; null when nothing in the
   * index can match it.
   */
  ownWord(w: Pick<QueryWord, 'lower'>, family = true): string | null {
    const parts = w.lower.split('-').filter(Boolean);
    const v = this.vocabulary;
    const alternatives: string[] = [];
    const joined = parts.join('');
    const foldedParts = parts.map((p) => foldForSearch(p));
    // CAL-u, NGO-sów: an ending after a hyphen is a form of the head word, not a word of its own
    const suffixed = parts.length > 1 && foldedParts[foldedParts.length - 1]!.length <= 3;
    const forms = suffixed
      ? v.has(foldForSearch(joined))
        ? [foldForSearch(joined)]
        : []
      : this.formsOf(joined, family);
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
        const head = this.ownWord({ lower: parts.slice(0, -1).join('-') }, family);
        if (head) alternatives.push(head);
      } else {
        // split as well as joined: e-podpis ↔ podpis, mikro-wolontariat ↔ wolontariat (a letter alone says nothing)
        const split = parts.filter((p) => p.length > 1).map((p) => this.ownWord({ lower: p }, family));
        if (split.length && split.every((p) => p !== null)) alternatives.push(all(split as string[]));
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

  /**
   * FTS5 expression for one word: its forms, and, when the index has none of them but the dictionary knows
   * the word, what the thesaurus gives as its synonyms (and what the field vocabulary joins to those).
   */
  word(w: Pick<QueryWord, 'lower'>): string | null {
    const own = this.ownWord(w);
    if (own !== null || w.lower.includes('-')) return own;
    const lemmas = this.lemmas(w.lower);
    if (lemmas.length === 0) return null;
    const alternatives = new Set<string>();
    const seen = new Set<string>();
    for (const l of lemmas) {
      for (const synonym of this.language.thesaurus.synonymsOf(l.lemma)) {
        if (seen.size >= MAX_SYNONYMS) break;
        if (seen.has(synonym)) continue;
        seen.add(synonym);
        const phrase = this.prepare(synonym.split(/\s+/));
        const meant = this.phraseMeaning(phrase) ?? this.allOf(phrase.words.map((p) => ({ lower: p.toLowerCase() })));
        if (meant) alternatives.add(meant);
      }
    }
    return alternatives.size ? any([...alternatives]) : null;
  }

  /**
   * Words that must all occur, by their forms (null if one of them cannot); the words of a phrase by their
   * lemmas' forms only, as a word family would match the words apart (media społecznościowe is not „mediach …
   * społeczność”).
   */
  private allOf(words: Pick<QueryWord, 'lower'>[]): string | null {
    const parts = words.map((w) => this.ownWord(w, words.length === 1));
    return parts.every((p) => p !== null) ? all(parts as string[]) : null;
  }

  /** The same word: the same once folded, sharing a lemma's family, or (unknown words) a stem of four letters. */
  private same(a: WordKey, b: WordKey): boolean {
    if (a.folded === b.folded) return true;
    if (a.family.size && b.family.size) {
      for (const l of a.family) if (b.family.has(l)) return true;
      return false;
    }
    return b.stems.some((s) => a.stems.includes(s));
  }

  private spells(keys: WordKey[], at: number, phrase: PreparedPhrase): boolean {
    const n = phrase.keys.length;
    return n > 0 && at + n <= keys.length && phrase.keys.every((p, k) => this.same(keys[at + k]!, p));
  }

  /** The vocabulary group whose phrase the words at `at` spell (the longest), and the phrase's length. */
  private synonymAt(keys: WordKey[], at: number): { group: SynonymGroup; length: number } | null {
    let best: { group: SynonymGroup; length: number } | null = null;
    for (const { group, equivalents } of this.groups) {
      for (const phrase of equivalents) {
        if (best && best.length >= phrase.keys.length) continue;
        if (this.spells(keys, at, phrase)) best = { group, length: phrase.keys.length };
      }
    }
    return best;
  }

  /** A field vocabulary group's phrases as one expression (narrower terms included), or null. */
  private groupExpression(group: SynonymGroup, typed: Pick<QueryWord, 'lower'>[]): string | null {
    const phrases = [typed, ...[...group.equivalents, ...group.narrower].map((p) => this.contentOf(p))];
    const expressions = phrases.map((p) => this.allOf(p)).filter((p): p is string => p !== null);
    return expressions.length ? any([...new Set(expressions)]) : null;
  }

  private contentOf(phrase: Phrase): { lower: string }[] {
    return this.prepare(phrase).words.map((p) => ({ lower: p.toLowerCase() }));
  }

  /** What a phrase means by the field vocabulary, when it is one of a group's phrases. */
  private phraseMeaning(phrase: PreparedPhrase): string | null {
    const syn = this.synonymAt(phrase.keys, 0);
    if (!syn || syn.length !== phrase.keys.length) return null;
    return this.groupExpression(
      syn.group,
      phrase.words.map((p) => ({ lower: p.toLowerCase() })),
    );
  }

  /** The unit the words at `at` name (by its name or an abbreviation), the longest naming. */
  private unitAt(words: QueryWord[], keys: WordKey[], at: number): { unit: PreparedUnit; length: number } | null {
    let best: { unit: PreparedUnit; length: number } | null = null;
    const w = words[at]!;
    const head = w.folded.split('-')[0]!;
    // an abbreviation typed in capitals, or one that is no Polish word (tak is; zgm and urbitor are not)
    const asAbbreviation = w.acronym || this.lemmas(head).length === 0;
    for (const unit of this.units) {
      if (asAbbreviation && unit.abbreviations.has(head) && !best) best = { unit, length: 1 };
      for (const name of unit.names) {
        const n = name.keys.length;
        // a one-word name (Urbitor) only as a name, not as a Polish word
        if ((n > 1 || asAbbreviation) && (!best || best.length < n) && this.spells(keys, at, name)) {
          best = { unit, length: n };
        }
      }
    }
    return best;
  }

  /**
   * The query's parts: a unit named (its proposals, and texts naming it), a field vocabulary group, two words
   * the user split that the index has as one (mikro granty → mikrogranty), or one word. A part with a null
   * expression and no unit cannot match anything.
   */
  parts(words: QueryWord[]): Part[] {
    const keys = words.map((w) => this.key(w.lower));
    const out: Part[] = [];
    for (let i = 0; i < words.length; ) {
      const unit = this.unitAt(words, keys, i);
      const syn = this.synonymAt(keys, i);
      if (unit) {
        const typed = words.slice(i, i + unit.length);
        const texts = [
          this.allOf(typed),
          ...unit.unit.names.map((name) => this.allOf(this.contentOf(name.words))),
          syn && syn.length === unit.length ? this.groupExpression(syn.group, typed) : null,
        ].filter((p): p is string => p !== null);
        out.push({ fts: texts.length ? any([...new Set(texts)]) : null, unitIds: [unit.unit.id] });
        i += unit.length;
        continue;
      }
      if (syn) {
        out.push({ fts: this.groupExpression(syn.group, words.slice(i, i + syn.length)) });
        i += syn.length;
        continue;
      }
      const w = words[i]!;
      const next = words[i + 1];
      if (next && !w.lower.includes('-') && !next.lower.includes('-')) {
        const one = { typed: w.typed + next.typed, lower: w.lower + next.lower, folded: w.folded + next.folded };
        const joined = this.formsOf(one.lower);
        if (joined.length) {
          const separate = this.allOf([w, next]);
          // the joined word as a word of its own, synonyms included
          const together = this.parts([{ ...one, acronym: false }])[0]?.fts ?? any(joined.map(quote));
          out.push({ fts: separate ? any([separate, together]) : together });
          i += 2;
          continue;
        }
      }
      out.push({ fts: this.word(w) });
      i += 1;
    }
    return out;
  }
}

/** Every part must match: the FTS5 expression of the parts that are not units, null when one cannot match. */
export function everyPart(parts: Part[]): string | null {
  if (parts.length === 0 || parts.some((p) => p.fts === null && !p.unitIds)) return null;
  const texts = parts.filter((p) => !p.unitIds).map((p) => p.fts!);
  return texts.length ? texts.join(' AND ') : null;
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
