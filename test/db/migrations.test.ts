import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { DatabaseNewerThanCodeError, shippedMigrations } from '../../src/db/migrations.js';
import { databaseFromNewerCode } from './newer-database.js';
import { APP_VERSION } from '../../src/version.js';
import { tempDatabasePath } from '../helpers.js';

describe('code older than its database', () => {
  it('refuses to open a database that records a migration this code does not ship, and leaves it as it was', () => {
    const { file } = databaseFromNewerCode();
    const before = fs.readFileSync(file);
    let error: unknown;
    try {
      openDatabase(file).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatabaseNewerThanCodeError);
    const message = (error as Error).message;
    expect(message).toContain(`baza danych ${file} pochodzi z nowszej wersji programu`);
    expect(message).toContain(`której ta wersja (${APP_VERSION}) nie zna`);
    expect(message).toContain('npm run restore');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('opens a database its own migrations made, again and again', () => {
    const file = tempDatabasePath('same');
    openDatabase(file).close();
    const database = openDatabase(file);
    expect(database.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({
      n: shippedMigrations().count,
    });
    database.close();
  });
});
