import { openDatabase } from '../../src/db/client.js';
import { shippedMigrations } from '../../src/db/migrations.js';
import { tempDatabasePath } from '../helpers.js';

/** A database as newer code leaves it: one more migration recorded than this code ships. */
export function databaseFromNewerCode(file = tempDatabasePath('newer')): { file: string; when: number } {
  const database = openDatabase(file);
  const when = shippedMigrations().lastWhen + 86_400_000;
  database.sqlite.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('nowsza', when);
  database.sqlite.exec('CREATE TABLE from_the_future (id INTEGER PRIMARY KEY)');
  database.close();
  return { file, when };
}
