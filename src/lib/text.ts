/**
 * Folds text for search: lower case, Polish diacritics removed, ł→l (which NFD does not
 * decompose, so FTS5's remove_diacritics leaves it alone).
 */
export function foldForSearch(text: string): string {
  return text
    .toLowerCase()
    .replace(/ł/g, 'l')
    .normalize('NFD')
    .replace(/\p{M}+/gu, '');
}

/** URL slug: folded, non-alphanumerics to single dashes. */
export function slugify(text: string): string {
  return foldForSearch(text)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/** Builds an FTS5 MATCH expression: every word must occur, as a prefix. Null if no words. */
export function toFtsQuery(q: string): string | null {
  const words = foldForSearch(q).match(/[\p{L}\p{N}]+/gu);
  if (!words || words.length === 0) return null;
  return words
    .slice(0, 12)
    .map((w) => `"${w}"*`)
    .join(' ');
}
