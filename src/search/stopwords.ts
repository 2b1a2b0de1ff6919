/**
 * Polish words too common to say what a proposal is about (folded, as the index stores them). A query
 * drops them unless it has nothing else; a word typed in capitals (TAK, CAL) is never one of them.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a aby albo ale az bo by byc bedzie beda byl czy czyli dla do dot gdy gdzie go i ich ile im ja jak jaki jakie ' +
    'jako je jej jest jego juz ku lub ma maja mi na nad nam nas nie niech np nt o od oraz po pod poza przez przy ' +
    'sa sie sobie ta tak tam te tego tej ten to tu tym tylko u w we wiec z za ze zeby itp itd'
  ).split(' '),
);
