import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type SQLite from 'better-sqlite3';
import { formatDateTimePl } from '../lib/dates.js';

export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** One migration the code ships (drizzle-kit's journal, migrations/meta/_journal.json). */
export type ShippedMigration = { tag: string; when: number };
export type ShippedMigrations = { count: number; lastWhen: number; entries: ShippedMigration[] };

/** The migrations the code ships: how many, the newest one's time, each one's name and time. */
export function shippedMigrations(folder = migrationsFolder): ShippedMigrations {
  const file = path.join(folder, 'meta/_journal.json');
  const journal = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: ShippedMigration[] };
  const entries = journal.entries.map(({ tag, when }) => ({ tag, when }));
  return { count: entries.length, lastWhen: Math.max(0, ...entries.map((e) => e.when)), entries };
}

/** The migrations recorded as applied in the database (drizzle's table; none in a new file). */
export function appliedMigrations(sqlite: SQLite.Database): { hash: string; createdAt: number }[] {
  const table = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'");
  if (!table.get()) return [];
  return (
    sqlite.prepare('SELECT hash, created_at AS createdAt FROM __drizzle_migrations ORDER BY created_at').all() as {
      hash: string;
      createdAt: number | string;
    }[]
  ).map((r) => ({ hash: r.hash, createdAt: Number(r.createdAt) }));
}

/**
 * The database was migrated by newer code than this: it records a migration this code does not ship.
 * Drizzle's migrator would apply nothing and let the old code run on a schema it does not understand.
 */
export class DatabaseNewerThanCodeError extends Error {
  readonly code = 'DATABASE_NEWER_THAN_CODE';
  constructor(
    readonly file: string,
    readonly unknown: { createdAt: number }[],
    version: string,
  ) {
    const when = formatDateTimePl(new Date(unknown[0]!.createdAt));
    const what = unknown.length === 1 ? `migrację z ${when}` : `${unknown.length} migracje, pierwszą z ${when}`;
    super(
      `baza danych ${file} pochodzi z nowszej wersji programu – zastosowano w niej ${what}, ` +
        `której ta wersja (${version}) nie zna. Uruchom wersję, z której pochodzi baza (albo nowszą), ` +
        'albo przywróć kopię zapasową zrobioną przed aktualizacją (npm run restore; README, „Aktualizacja”)',
    );
  }
}

/** Refuses (DatabaseNewerThanCodeError) a database with a migration the code does not ship. */
export function assertNoUnknownMigrations(
  sqlite: SQLite.Database,
  file: string,
  version: string,
  shipped = shippedMigrations(),
): void {
  const known = new Set(shipped.entries.map((e) => e.when));
  const unknown = appliedMigrations(sqlite).filter((m) => !known.has(m.createdAt));
  if (unknown.length) throw new DatabaseNewerThanCodeError(file, unknown, version);
}
