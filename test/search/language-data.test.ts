import fs from 'node:fs';
import path from 'node:path';
import pl from 'dictionary-pl';
import { describe, expect, it } from 'vitest';
import { buildMorphology, DATA_DIR } from '../../src/search/build-data.js';
import { polishMorphology } from '../../src/search/morphology.js';
import { SortedLines } from '../../src/search/sorted-lines.js';
import { polishThesaurus } from '../../src/search/thesaurus.js';

const lemmas = (folded: string) =>
  polishMorphology()
    .lemmasOf(folded)
    .map((l) => l.lemma);
const family = (folded: string) =>
  new Set(
    polishMorphology()
      .lemmasOf(folded)
      .flatMap((l) => polishMorphology().familyOf(l))
      .map((l) => l.lemma),
  );

describe('the Polish language data (data/pl)', () => {
  it('is the installed dictionary-pl, folded and sorted', () => {
    const decoder = new TextDecoder('utf-8');
    const built = buildMorphology(decoder.decode(pl.aff), decoder.decode(pl.dic));
    expect(fs.readFileSync(path.join(DATA_DIR, 'morfologia.txt'), 'utf8')).toBe(built.morphology);
    expect(fs.readFileSync(path.join(DATA_DIR, 'odmiana.txt'), 'utf8')).toBe(built.rules);
  });

  it('finds a line by its key with a binary search, and nothing for keys between lines', () => {
    const lines = new SortedLines(Buffer.from('a\t1\na-dur\t2\nab\t3\nb\t4\n'));
    expect(lines.find('a')).toEqual(['1']);
    expect(lines.find('a-dur')).toEqual(['2']);
    expect(lines.find('ab')).toEqual(['3']);
    expect(lines.find('b')).toEqual(['4']);
    for (const missing of ['', 'a-', 'aa', 'abc', 'c']) expect(lines.find(missing)).toBeNull();
  });

  it('analyses folded words into the lemmas whose forms they are', () => {
    expect(lemmas('lokali')).toEqual(['lokal']);
    expect(lemmas('ksiegowosci')).toContain('księgowość');
    expect(lemmas('konsultowania')).toContain('konsultować');
    expect(lemmas('wolontariuszami')).toContain('wolontariusz');
    expect(lemmas('torunia')).toContain('Toruń');
    expect(lemmas('xyzzyq')).toEqual([]);
    expect(polishMorphology().formsOf({ lemma: 'lokal', flags: 'DNQsT' })).toEqual(
      expect.arrayContaining(['lokal', 'lokale', 'lokali', 'lokalu', 'lokalach']),
    );
  });

  it('joins word families by Polish word formation, as the dictionary has the words', () => {
    expect([...family('konsultacje')]).toEqual(expect.arrayContaining(['konsultować', 'konsultacyjny']));
    expect([...family('ksiegowosc')]).toContain('księgowy');
    expect([...family('mniejsze')]).toContain('mały');
    expect([...family('zatrudniania')]).toContain('zatrudnić');
    // no family by shared letters alone
    expect([...family('lokal')]).not.toContain('lokalny');
  });

  it('gives the thesaurus synonyms of a lemma, without narrower or broader terms', () => {
    const thesaurus = polishThesaurus();
    expect(thesaurus.synonymsOf('kooperacja')).toContain('współpraca');
    expect(thesaurus.synonymsOf('kasa')).toContain('pieniądze');
    // „pomieszczenie” is the broader term of „sala” there
    expect(thesaurus.synonymsOf('sala')).not.toContain('pomieszczenie');
    expect(thesaurus.synonymsOf('xyzzyq')).toEqual([]);
  });
});
