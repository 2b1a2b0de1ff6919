/**
 * Builds the search's Polish language data in data/pl/ from its sources:
 *
 *   npx tsx src/search/build-data.ts [path/to/th_pl_PL_v2.dat]
 *
 * - morfologia.txt and odmiana.txt from the npm package `dictionary-pl` (the Polish hunspell dictionary of
 *   the OpenOffice/LibreOffice project, SJP-based): every dictionary entry under its folded spelling, sorted,
 *   so that the app finds a word with a binary search in one buffer instead of building a map of 300,000
 *   entries at start-up; and the suffix rules that inflect the entries.
 * - tezaurus.txt from the OpenOffice/LibreOffice Polish thesaurus (synonimy.ux.pl, MyThes format, ISO-8859-2;
 *   Debian ships it as mythes-pl): each headword's synonyms over all its senses, without the narrower and
 *   broader terms, antonyms, and vulgar or offensive words. Without the path the thesaurus is left as it is.
 *
 * The files are committed (the thesaurus is not on npm); test/search/language-data.test.ts checks that the
 * dictionary files still match the installed `dictionary-pl`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldForSearch } from '../lib/text.js';

export const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/pl');

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Only keys a query word can be (folded letters, digits, a hyphen): the index has no other tokens. */
const KEY = /^[a-z0-9-]+$/;

/** The dictionary: `key<TAB>entry<TAB>entry…`, an entry `lemma/FLAGS` or `/FLAGS` when the lemma is the key. */
export function buildMorphology(aff: string, dic: string): { morphology: string; rules: string } {
  const entries = new Map<string, string[]>();
  for (const line of dic.split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const slash = line.indexOf('/');
    const lemma = slash < 0 ? line.trim() : line.slice(0, slash);
    const flags = slash < 0 ? '' : line.slice(slash + 1).trim();
    const key = foldForSearch(lemma);
    if (!KEY.test(key)) continue;
    const list = entries.get(key) ?? [];
    list.push(`${lemma === key ? '' : lemma}/${flags}`);
    entries.set(key, list);
  }
  const keys = [...entries.keys()].sort(byKey);
  const morphology = `${keys.map((k) => `${k}\t${entries.get(k)!.join('\t')}`).join('\n')}\n`;

  // suffix rules only: the one prefix rule of this dictionary makes negations (nie-), not forms of a word
  const rules: string[] = [];
  for (const line of aff.split(/\r?\n/)) {
    const p = line.trim().split(/\s+/);
    if (p[0] !== 'SFX' || p.length < 5) continue;
    const [, flag, strip, add, condition] = p as [string, string, string, string, string];
    rules.push([flag, strip === '0' ? '' : strip, add === '0' ? '' : add.split('/')[0], condition].join('\t'));
  }
  return { morphology, rules: `${rules.join('\n')}\n` };
}

/** Marks of items that are not synonyms of the headword, or not words to offer. */
const NOT_A_SYNONYM = /\((pojęcie podrzędne|pojęcie nadrzędne|antonim|wulg\.|obraźl\.)\)/;

/** The thesaurus: `key<TAB>headword<TAB>synonym|synonym…`, sorted by key. */
export function buildThesaurus(dat: string): string {
  const lines = dat.split(/\r?\n/);
  const out = new Map<string, { head: string; synonyms: Set<string> }>();
  // line 1 names the encoding; then „headword|number of senses” and that many „(pos)|item|item…” lines
  for (let i = 1; i < lines.length; ) {
    const header = lines[i++]!;
    const bar = header.lastIndexOf('|');
    if (bar < 0) continue;
    const head = header.slice(0, bar).trim();
    const senses = Number(header.slice(bar + 1));
    const synonyms = new Set<string>();
    for (let s = 0; s < senses && i < lines.length; s++) {
      for (const item of lines[i++]!.split('|').slice(1)) {
        if (NOT_A_SYNONYM.test(item)) continue;
        const word = item.replace(/\([^)]*\)/g, '').trim();
        if (word && word !== head && !word.includes('|')) synonyms.add(word);
      }
    }
    const key = foldForSearch(head);
    if (!synonyms.size || !/^[a-z0-9 -]+$/.test(key)) continue;
    const entry = out.get(key) ?? { head, synonyms: new Set<string>() };
    for (const s of synonyms) entry.synonyms.add(s);
    out.set(key, entry);
  }
  const keys = [...out.keys()].sort(byKey);
  return `${keys.map((k) => `${k}\t${out.get(k)!.head}\t${[...out.get(k)!.synonyms].join('|')}`).join('\n')}\n`;
}

async function main() {
  const { default: pl } = await import('dictionary-pl');
  const decoder = new TextDecoder('utf-8');
  const { morphology, rules } = buildMorphology(decoder.decode(pl.aff), decoder.decode(pl.dic));
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.writeFileSync(path.join(DATA_DIR, 'morfologia.txt'), morphology);
  fs.writeFileSync(path.join(DATA_DIR, 'odmiana.txt'), rules);
  const thesaurusSource = process.argv[2];
  if (thesaurusSource) {
    const dat = new TextDecoder('iso-8859-2').decode(fs.readFileSync(thesaurusSource));
    fs.writeFileSync(path.join(DATA_DIR, 'tezaurus.txt'), buildThesaurus(dat));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
