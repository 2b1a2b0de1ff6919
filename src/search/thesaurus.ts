import fs from 'node:fs';
import path from 'node:path';
import { foldForSearch } from '../lib/text.js';
import { DATA_DIR } from './build-data.js';
import { SortedLines } from './sorted-lines.js';

/**
 * The OpenOffice/LibreOffice Polish thesaurus (data/pl/tezaurus.txt, LGPL 2.1; see build-data.ts): the
 * synonyms of a lemma over all its senses, each a word or a phrase as the thesaurus spells it.
 */
export class Thesaurus {
  constructor(private readonly lines: SortedLines) {}

  synonymsOf(lemma: string): string[] {
    const fields = this.lines.find(foldForSearch(lemma));
    // folding can join two headwords (kasa, kąsa): only the lemma's own entry
    if (!fields || fields[0] !== lemma.toLowerCase()) return [];
    return fields[1]!.split('|');
  }
}

let loaded: Thesaurus | undefined;

/** The thesaurus, read once (about 2.5 MB kept as one buffer). */
export function polishThesaurus(): Thesaurus {
  loaded ??= new Thesaurus(new SortedLines(fs.readFileSync(path.join(DATA_DIR, 'tezaurus.txt'))));
  return loaded;
}
