import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { foldForSearch } from '../lib/text.js';
import { DATA_DIR } from './build-data.js';
import { SortedLines } from './sorted-lines.js';

/** A dictionary entry: the lemma as the dictionary spells it, and its inflection flags. */
export type Lemma = { lemma: string; flags: string };

type Rule = { flag: string; strip: string; add: string; condition: RegExp; foldedStrip: string };

/**
 * Derivations that join a word family (general Polish word formation, each checked against the dictionary:
 * a derived lemma counts only when the dictionary has it). Pairs of lemma endings, used both ways.
 */
const DERIVATIONS: [string, string][] = [
  // a verbal noun in -acja and its verb: konsultacja – konsultować, organizacja – organizować
  ['acja', 'ować'],
  ['ocja', 'ować'],
  ['icja', 'iować'],
  // the relational adjective of such a noun: konsultacja – konsultacyjny, edukacja – edukacyjny
  ['cja', 'cyjny'],
  // a quality and its adjective: dostępność – dostępny, księgowość – księgowy, równość – równościowy
  ['ość', 'y'],
  ['ość', 'i'],
  ['ość', 'ościowy'],
  // a noun and its -owy adjective: konkurs – konkursowy, szkolenie – szkoleniowy
  ['', 'owy'],
  ['e', 'owy'],
  // -ia nouns and their -iczny adjectives: ekologia – ekologiczny, strategia – strategiczny
  ['ia', 'iczny'],
  // comparatives: trudny – trudniejszy, ważny – ważniejszy
  ['y', 'iejszy'],
  ['y', 'ejszy'],
  // aspect pairs: zatrudniać – zatrudnić, rozliczać – rozliczyć, podpisywać – podpisać
  ['ać', 'ić'],
  ['iać', 'ić'],
  ['ać', 'yć'],
  ['ywać', 'ać'],
  ['iwać', 'ać'],
];

/** Comparatives Polish forms from another stem. */
const SUPPLETIVE: [string, string][] = [
  ['mały', 'mniejszy'],
  ['duży', 'większy'],
  ['dobry', 'lepszy'],
  ['zły', 'gorszy'],
];

const KEPT = 20_000;

/** A map that forgets everything once it holds too many entries (words seen by searches). */
function bounded<V>(): Map<string, V> {
  const map = new Map<string, V>();
  const set = map.set.bind(map);
  map.set = (k: string, v: V) => {
    if (map.size >= KEPT) map.clear();
    return set(k, v);
  };
  return map;
}

/**
 * Polish inflection from the hunspell dictionary (data/pl/morfologia.txt, odmiana.txt; see build-data.ts):
 * which lemmas a folded word is a form of, and the folded forms of a lemma. The search index holds folded
 * words, so a word is analysed folded: the rules are looked up by their folded ending, and a candidate lemma
 * is kept only when inflecting it by that rule gives the word back.
 */
export class Morphology {
  private readonly byFlag = new Map<string, Rule[]>();
  /** rules by the folded ending they add, then by the folded ending they strip */
  private readonly byAdded = new Map<string, Map<string, Rule[]>>();
  private readonly longestAdded: number;
  private readonly analysed = bounded<Lemma[]>();
  private readonly spelled = bounded<string[]>();
  private readonly inflected = bounded<string[]>();
  private readonly families = bounded<Lemma[]>();

  constructor(
    private readonly entries: SortedLines,
    rules: string,
  ) {
    let longest = 0;
    for (const line of rules.split('\n')) {
      if (!line) continue;
      const [flag, strip, add, condition] = line.split('\t') as [string, string, string, string];
      const rule = { flag, strip, add, condition: new RegExp(`${condition}$`), foldedStrip: foldForSearch(strip) };
      const list = this.byFlag.get(flag) ?? [];
      list.push(rule);
      this.byFlag.set(flag, list);
      const added = foldForSearch(add);
      let byStrip = this.byAdded.get(added);
      if (!byStrip) {
        byStrip = new Map();
        this.byAdded.set(added, byStrip);
      }
      const same = byStrip.get(rule.foldedStrip) ?? [];
      same.push(rule);
      byStrip.set(rule.foldedStrip, same);
      longest = Math.max(longest, added.length);
    }
    this.longestAdded = longest;
  }

  /** The dictionary's entries spelt `folded` once folded. */
  entriesOf(folded: string): Lemma[] {
    const fields = /^[a-z0-9-]+$/.test(folded) ? this.entries.find(folded) : null;
    if (!fields) return [];
    return fields.map((f) => {
      const slash = f.lastIndexOf('/');
      return { lemma: slash === 0 ? folded : f.slice(0, slash), flags: f.slice(slash + 1) };
    });
  }

  /** The lemmas a folded word is a form of (the word itself when it is an entry); empty: not in the dictionary. */
  lemmasOf(folded: string): Lemma[] {
    let out = this.analysed.get(folded);
    if (out) return out;
    const found = new Map<string, Lemma>();
    for (const e of this.entriesOf(folded)) found.set(e.lemma, e);
    for (let k = 0; k <= Math.min(this.longestAdded, folded.length - 1); k++) {
      const byStrip = this.byAdded.get(folded.slice(folded.length - k));
      if (!byStrip) continue;
      const base = folded.slice(0, folded.length - k);
      for (const [strip, rules] of byStrip) {
        for (const e of this.entriesOf(base + strip)) {
          if (found.has(e.lemma)) continue;
          for (const r of rules) {
            if (!e.flags.includes(r.flag) || !e.lemma.endsWith(r.strip) || !r.condition.test(e.lemma)) continue;
            if (foldForSearch(e.lemma.slice(0, e.lemma.length - r.strip.length) + r.add) !== folded) continue;
            found.set(e.lemma, e);
            break;
          }
        }
      }
    }
    out = [...found.values()];
    this.analysed.set(folded, out);
    return out;
  }

  /** Every form of a lemma as the dictionary spells it (the lemma included). */
  spelledFormsOf(l: Lemma): string[] {
    const key = `${l.lemma}/${l.flags}`;
    let out = this.spelled.get(key);
    if (out) return out;
    const forms = new Set([l.lemma.toLowerCase()]);
    for (const flag of l.flags) {
      for (const r of this.byFlag.get(flag) ?? []) {
        if (!l.lemma.endsWith(r.strip) || !r.condition.test(l.lemma)) continue;
        forms.add((l.lemma.slice(0, l.lemma.length - r.strip.length) + r.add).toLowerCase());
      }
    }
    out = [...forms];
    this.spelled.set(key, out);
    return out;
  }

  /** Every folded form of a lemma (itself included). */
  formsOf(l: Lemma): string[] {
    const key = `${l.lemma}/${l.flags}`;
    let out = this.inflected.get(key);
    if (!out) {
      out = [...new Set(this.spelledFormsOf(l).map(foldForSearch))];
      this.inflected.set(key, out);
    }
    return out;
  }

  /** The lemma with what DERIVATIONS and SUPPLETIVE join to it, two steps deep, as the dictionary has them. */
  familyOf(l: Lemma): Lemma[] {
    const key = `${l.lemma}/${l.flags}`;
    let out = this.families.get(key);
    if (out) return out;
    const found = new Map<string, Lemma>([[l.lemma, l]]);
    let frontier = [l];
    for (let step = 0; step < 2 && frontier.length; step++) {
      const next: Lemma[] = [];
      for (const m of frontier) {
        for (const candidate of this.derived(m.lemma)) {
          if (found.has(candidate)) continue;
          for (const e of this.entriesOf(foldForSearch(candidate))) {
            if (e.lemma !== candidate) continue;
            found.set(e.lemma, e);
            next.push(e);
          }
        }
      }
      frontier = next;
    }
    out = [...found.values()];
    this.families.set(key, out);
    return out;
  }

  private derived(lemma: string): string[] {
    const out: string[] = [];
    for (const [a, b] of DERIVATIONS) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        if (lemma.endsWith(from) && lemma.length - from.length >= 3)
          out.push(lemma.slice(0, lemma.length - from.length) + to);
      }
    }
    for (const [a, b] of SUPPLETIVE) {
      if (lemma === a) out.push(b);
      if (lemma === b) out.push(a);
    }
    return out;
  }
}

export type LoadReport = { ms: number; bytes: number };
let loaded: { morphology: Morphology; report: LoadReport } | undefined;

/** The dictionary, read once (about 6.5 MB kept as one buffer). */
export function polishMorphology(): Morphology {
  if (!loaded) {
    const t0 = performance.now();
    const buf = fs.readFileSync(path.join(DATA_DIR, 'morfologia.txt'));
    const morphology = new Morphology(
      new SortedLines(buf),
      fs.readFileSync(path.join(DATA_DIR, 'odmiana.txt'), 'utf8'),
    );
    loaded = { morphology, report: { ms: performance.now() - t0, bytes: buf.length } };
  }
  return loaded.morphology;
}

/** How long reading the dictionary took and how big it is (null before the first search). */
export function morphologyLoadReport(): LoadReport | null {
  return loaded?.report ?? null;
}
