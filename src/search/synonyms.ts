import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The curated vocabulary of the field an admin can extend (data/synonimy.txt: its header says how). */
export const SYNONYMS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/synonimy.txt');

/** A phrase as typed: its words. */
export type Phrase = string[];

/**
 * Phrases that mean the same here (`equivalents`: any of them finds all), and narrower ones that searching
 * an equivalent also finds, but that do not find the equivalents themselves.
 */
export type SynonymGroup = { equivalents: Phrase[]; narrower: Phrase[] };

const phrasesOf = (text: string): Phrase[] =>
  text
    .split('|')
    .map((p) => p.trim().split(/\s+/).filter(Boolean))
    .filter((p) => p.length > 0);

export function parseSynonyms(text: string): SynonymGroup[] {
  const groups: SynonymGroup[] = [];
  for (const line of text.split(/\r?\n/)) {
    const content = line.replace(/#.*/, '').trim();
    if (!content) continue;
    const [wide, narrow = ''] = content.split('>', 2) as [string, string?];
    const group = { equivalents: phrasesOf(wide), narrower: phrasesOf(narrow) };
    if (group.equivalents.length + group.narrower.length > 1 && group.equivalents.length > 0) groups.push(group);
  }
  return groups;
}

let loaded: SynonymGroup[] | undefined;

/** The shipped list, read once. */
export function synonymGroups(): SynonymGroup[] {
  loaded ??= parseSynonyms(fs.readFileSync(SYNONYMS_FILE, 'utf8'));
  return loaded;
}
