import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DbOrTx } from '../db/client.js';
import { clauseVersions } from '../db/schema/index.js';

/** The one editable place of the information clause (RODO art. 13) shown to people who follow by e-mail. */
export const CLAUSE_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../data/klauzula-informacyjna.md',
);

export type ClauseBlock =
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] };

export type Clause = {
  /** a short hash of the text: a subscription records the version it was given with */
  version: string;
  text: string;
  blocks: ClauseBlock[];
};

/** The version of a clause text: the first 12 hex digits of its SHA-256 (line endings normalised). */
export function clauseVersionOf(text: string): string {
  return createHash('sha256').update(normalise(text)).digest('hex').slice(0, 12);
}

function normalise(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

/**
 * A tiny subset of Markdown, enough for the clause: "## " headings, "- " lists, paragraphs separated by a blank
 * line. Everything else is plain text (escaped by the templates).
 */
export function clauseBlocks(text: string): ClauseBlock[] {
  const blocks: ClauseBlock[] = [];
  for (const chunk of normalise(text).split(/\n\s*\n/)) {
    const lines = chunk
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (!lines.length) continue;
    if (lines.length === 1 && lines[0]!.startsWith('## ')) {
      blocks.push({ kind: 'heading', text: lines[0]!.slice(3).trim() });
    } else if (lines.every((l) => l.startsWith('- '))) {
      blocks.push({ kind: 'list', items: lines.map((l) => l.slice(2).trim()) });
    } else {
      blocks.push({ kind: 'paragraph', text: lines.join(' ') });
    }
  }
  return blocks;
}

let cached: { mtimeMs: number; size: number; clause: Clause } | undefined;

/** The clause as it is in the file now (re-read when the file changes, so an edit needs no restart). */
export function currentClause(file = CLAUSE_FILE): Clause {
  const stat = fs.statSync(file);
  const unchanged = cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size;
  if (file === CLAUSE_FILE && unchanged) return cached!.clause;
  const text = normalise(fs.readFileSync(file, 'utf8'));
  const clause = { version: clauseVersionOf(text), text, blocks: clauseBlocks(text) };
  if (file === CLAUSE_FILE) cached = { mtimeMs: stat.mtimeMs, size: stat.size, clause };
  return clause;
}

/** Keeps each version's text the first time it is shown, so what a subscriber saw can be produced later. */
export function recordClauseShown(db: DbOrTx, clause: Clause, now = new Date()): void {
  db.insert(clauseVersions)
    .values({ version: clause.version, text: clause.text, firstShownAt: now.toISOString() })
    .onConflictDoNothing()
    .run();
}
