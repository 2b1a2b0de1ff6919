import { createStemmer } from 'multilingual-stemmer';

// Snowball 3's Polish stemmer (WASM), created once; it expects lower case with diacritics kept
const snowball = createStemmer('pl');

/** The Snowball stem of one lower-case Polish word (diacritics kept: stem first, fold after). */
export function stemPolish(word: string): string {
  return snowball(word);
}

/**
 * Folded endings a Polish noun, adjective or verbal noun takes after its stem (case, number, gender),
 * and the common derived adjectives (-owy, -iczny). A vocabulary term counts as a form of a query word
 * when it is one of the word's stems followed by one of these.
 */
const NOMINAL = ['', 'a', 'e', 'i', 'o', 'u', 'y', 'em', 'om', 'ow', 'ach', 'ami', 'ie', 'iu', 'ia', 'ii', 'iom'];
const NOMINAL_I = [
  'iach',
  'iami',
  'iem',
  'ij',
  'owi',
  'owie',
  'ego',
  'emu',
  'ej',
  'ym',
  'ymi',
  'ych',
  'ich',
  'iej',
  'iego',
  'iemu',
];
const ADJECTIVE = ['y', 'a', 'e', 'ych', 'ej', 'ego', 'emu', 'ym', 'ymi', 'i', 'ich', 'im', 'imi', 'ą'];
export const ENDINGS: ReadonlySet<string> = new Set([
  ...NOMINAL,
  ...NOMINAL_I,
  ...ADJECTIVE.map((e) => `ow${e}`),
  ...ADJECTIVE.map((e) => `iczn${e}`),
]);

const LONGEST_ENDING = Math.max(...[...ENDINGS].map((e) => e.length));

/** Stem-final consonant alternations (folded): Barbarka → Barbarce, wolontariat → wolontariacie, senior → seniorzy. */
const ALTERNATIONS: [string, string][] = [
  ['k', 'c'],
  ['g', 'dz'],
  ['t', 'c'],
  ['d', 'dz'],
  ['r', 'rz'],
  ['ch', 'sz'],
];

/**
 * Candidate stems of a word, folded: Snowball's stem, the word less any ending it ends with, and
 * the alternations of these (fleeting e: wniosek → wniosk, wynajem → wynajm; k↔c, t↔c, r↔rz …).
 * None shorter than 3 letters.
 */
export function stemsOf(lower: string, fold: (s: string) => string): string[] {
  const bases = new Set<string>();
  addStems(lower, fold, bases);
  // ą↔ę alternate within a word's forms (urząd, urzędu; mąż, męża), and folding cannot hide that
  if (/[ąę]/.test(lower))
    addStems(
      lower.replace(/[ąę]/g, (c) => (c === 'ą' ? 'ę' : 'ą')),
      fold,
      bases,
    );
  return [...bases];
}

function addStems(lower: string, fold: (s: string) => string, bases: Set<string>): void {
  const folded = fold(lower);
  bases.add(folded);
  const snow = fold(stemPolish(lower));
  if (snow.length >= 3) bases.add(snow);
  for (let cut = 1; cut <= LONGEST_ENDING && folded.length - cut >= 3; cut++) {
    if (ENDINGS.has(folded.slice(-cut))) bases.add(folded.slice(0, -cut));
  }
  for (const base of [...bases]) {
    const fleeting = base.match(/^(.{3,}[^aeiouy])e([^aeiouy])$/);
    if (fleeting) bases.add(`${fleeting[1]}${fleeting[2]}`);
    for (const [a, b] of ALTERNATIONS) {
      if (base.endsWith(a) && base.length - a.length >= 3) bases.add(base.slice(0, -a.length) + b);
      if (base.endsWith(b) && base.length - b.length >= 3) bases.add(base.slice(0, -b.length) + a);
    }
  }
}
