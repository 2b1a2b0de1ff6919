/**
 * Polish words too common to say what a proposal is about (folded, as the index stores them): function
 * words, and the question words and fillers people put around what they look for („gdzie znajdę…”, „czy
 * miasto może…”, „jak zostać…”). A query drops them unless it has nothing else; a word typed in capitals
 * (TAK, CAL) is never one of them.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a aby albo ale az bo by byc bedzie beda byl czy czyli dla do dot ds gdy gdzie go i ich ile im ja jak jaki jakie ' +
    'jako je jej jest jego juz ku lub ma maja mi na nad nam nas nie niech np nt o od oraz po pod poza przez przy ' +
    'sa sie sobie ta tak tam te tego tej ten to tu tym tylko u w we wiec z za ze zeby itp itd ' +
    // question words and particles of a question or a request
    'co kto kogo komu czym czego kiedy dlaczego czemu skad dokad jaka jakich jakim ktory ktora ktore ktorych ' +
    'kiedys gdzies cos ktos jakis moze mozna trzeba nalezy warto prosze chce chcemy chcialbym chcialabym ' +
    'chcielibysmy szukam szukamy potrzebuje potrzebujemy mam mamy moj moja moje nasz nasza nasze ' +
    'bardzo jeszcze takze tez wlasnie teraz wiecej mniej duzo malo czyzby'
  ).split(' '),
);

/**
 * Verbs that carry a question or a request, not its subject (by lemma, so every form counts: „znajdę”,
 * „dostaniemy”, „robi”). A word that is a form of one of these is a filler.
 */
export const FILLER_LEMMAS: ReadonlySet<string> = new Set([
  'być',
  'mieć',
  'móc',
  'musieć',
  'chcieć',
  'woleć',
  'zostać',
  'zostawać',
  'robić',
  'zrobić',
  'dać',
  'dawać',
  'dostać',
  'dostawać',
  'znaleźć',
  'znajdować',
  'szukać',
  'poszukać',
  'poszukiwać',
  'prosić',
  'wiedzieć',
  'pytać',
  'zapytać',
]);
