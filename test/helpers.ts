import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServer } from '../src/build.js';
import { importTorun2026 } from '../src/imports/seed.js';

/** A fresh, migrated SQLite file path in its own temporary folder. */
export function tempDatabasePath(name = 'test'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-'));
  return path.join(dir, `${name}.sqlite`);
}

/** Builds the app on a fresh SQLite file; `seed` imports the shipped Toruń dataset. */
export async function build(opts: { seed?: boolean; databasePath?: string } = {}) {
  const databasePath = opts.databasePath ?? tempDatabasePath();
  const app = await buildServer({ databasePath, baseUrl: 'http://127.0.0.1:3000', viewCache: true });
  if (opts.seed ?? true) importTorun2026(app.database.db);
  return app;
}

export type App = Awaited<ReturnType<typeof build>>;

/** The proposal id of an LP in the Toruń consultation. */
export function idOfLp(app: App, lp: number): number {
  const row = app.database.sqlite
    .prepare('SELECT p.id FROM proposals p JOIN consultations c ON c.id = p.consultation_id WHERE c.slug = ? AND p.lp = ?')
    .get('torun-2026', lp) as { id: number } | undefined;
  if (!row) throw new Error(`no LP ${lp}`);
  return row.id;
}
