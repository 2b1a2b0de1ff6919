import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The curated synonym list an admin can extend (one group a line, phrases separated by „|”). */
export const SYNONYMS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/synonimy.txt');

/** Groups of phrases that mean the same here; each phrase is its words as typed. */
export type SynonymGroup = string[][];

export function parseSynonyms(text: string): SynonymGroup[] {
  const groups: SynonymGroup[] = [];
  for (const line of text.split(/\r?\n/)) {
    const content = line.replace(/#.*/, '').trim();
    if (!content) continue;
    const phrases = content
      .split('|')
      .map((p) => p.trim().split(/\s+/).filter(Boolean))
      .filter((p) => p.length > 0);
    if (phrases.length > 1) groups.push(phrases);
  }
  return groups;
}

let loaded: SynonymGroup[] | undefined;

/** The shipped list, read once. */
export function synonymGroups(): SynonymGroup[] {
  loaded ??= parseSynonyms(fs.readFileSync(SYNONYMS_FILE, 'utf8'));
  return loaded;
}
