import { describe, expect, it } from 'vitest';
import { foldForSearch } from '../../src/lib/text.js';
import {
  contentWords,
  correctTypo,
  editDistance,
  lpReference,
  QueryBuilder,
  queryWords,
} from '../../src/search/query.js';
import { stemsOf } from '../../src/search/stem.js';
import { polish } from '../../src/search/index.js';
import { parseSynonyms, synonymGroups } from '../../src/search/synonyms.js';
import { Vocabulary } from '../../src/search/vocabulary.js';

const vocabulary = new Vocabulary(
  ['wolontariat', 'wolontariatu', 'wolontariusz', 'facebook', 'facebooka', 'lokali', 'lokalnej', 'on', 'line'].map(
    (term, i) => ({ term, doc: i + 1 }),
  ),
);

describe('query analysis', () => {
  it('reads an LP reference in the forms NGOs type it', () => {
    for (const q of ['7', ' LP 7 ', 'lp7', 'Lp. 7', '7.']) expect(lpReference(q)).toBe(7);
    for (const q of ['7 lokali', 'LP', 'lp 7 8', 'x7']) expect(lpReference(q)).toBeNull();
  });

  it('drops stop words unless nothing else is left, and never a word in capitals', () => {
    expect(contentWords(queryWords('szkolenia dla NGO')).map((w) => w.folded)).toEqual(['szkolenia', 'ngo']);
    expect(contentWords(queryWords('dla i w')).map((w) => w.folded)).toEqual(['dla', 'i', 'w']);
    expect(contentWords(queryWords('TAK')).map((w) => w.folded)).toEqual(['tak']);
  });

  it('drops question words and fillers by their lemma, but not a noun that is also a form of one', () => {
    const content = (q: string) => contentWords(queryWords(q), polish()).map((w) => w.typed);
    expect(content('gdzie znajdę lokal?')).toEqual(['lokal']);
    expect(content('czy mogę dostać dotację')).toEqual(['dotację']);
    // wiedza (knowledge) and moc (power) are words of their own, not only forms of wiedzieć and móc
    expect(content('wiedza NGO')).toEqual(['wiedza', 'NGO']);
    expect(content('moc lokalu')).toEqual(['moc', 'lokalu']);
  });

  it('stems before folding: candidate stems of the forms meet', () => {
    const stems = (w: string) => stemsOf(w, foldForSearch);
    expect(stems('lokale')).toContain('lokal');
    expect(stems('lokali')).toContain('lokal');
    expect(stems('wolontariusze')).toContain('wolontariusz');
    expect(stems('Barbarka'.toLowerCase())).toContain('barbarc'); // Barbarce
    expect(stems('urząd')).toContain('urzed'); // urzędu
    expect(stems('wniosek')).toContain('wniosk'); // wniosków
  });

  it('counts an adjacent swap as one edit and stops early past the limit', () => {
    expect(editDistance('wolontarait', 'wolontariat', 2)).toBe(1);
    expect(editDistance('facebok', 'facebook', 1)).toBe(1);
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
  });

  it('corrects within one edit up to 7 letters and two above, first letter fixed, against the vocabulary', () => {
    expect(correctTypo('wolontarait', vocabulary)).toBe('wolontariat');
    expect(correctTypo('facebok', vocabulary)).toBe('facebook');
    expect(correctTypo('fcebk', vocabulary)).toBeNull(); // two edits for five letters
    expect(correctTypo('golontariat', vocabulary)).toBeNull(); // first letter differs
    expect(correctTypo('lok', vocabulary)).toBeNull(); // too short to guess
  });

  it('builds FTS5 expressions from the index forms only (quoted, no operators from the user)', () => {
    const builder = new QueryBuilder(vocabulary, [], polish());
    expect(builder.word({ lower: 'lokale' })).toBe('"lokali"');
    expect(builder.word({ lower: 'online' })).toBe('"on line"');
    expect(builder.word({ lower: 'nieznane' })).toBeNull();
    expect(builder.parts(queryWords('"lokale" OR NEAR'))).toEqual([{ fts: '"lokali"' }, { fts: null }, { fts: null }]);
  });
});

describe('synonym list', () => {
  it('parses groups, skipping comments, blank lines and single phrases', () => {
    const groups = parseSynonyms(
      '# komentarz\n\nCAL | Centrum Aktywności Lokalnej # CAL\nsamotne\nsprzęt > komputery | rzutniki\n',
    );
    expect(groups).toEqual([
      { equivalents: [['CAL'], ['Centrum', 'Aktywności', 'Lokalnej']], narrower: [] },
      { equivalents: [['sprzęt']], narrower: [['komputery'], ['rzutniki']] },
    ]);
  });

  it('ships the domain groups the issue asks for', () => {
    const flat = synonymGroups().map((g) => g.equivalents.map((p) => p.join(' ')));
    const together = (a: string, b: string) => flat.some((g) => g.includes(a) && g.includes(b));
    expect(together('CAL', 'Centrum Aktywności Lokalnej')).toBe(true);
    expect(together('UMT', 'Urząd Miasta')).toBe(true);
    expect(together('GMT', 'Gmina Miasta Toruń')).toBe(true);
    expect(together('NGO', 'organizacja pozarządowa')).toBe(true);
    expect(together('wolontariusz', 'wolontariat')).toBe(true);
  });
});
