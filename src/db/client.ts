import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema/index.js';
import { APP_VERSION } from '../version.js';
import { assertNoUnknownMigrations, migrationsFolder } from './migrations.js';

export type Db = BetterSQLite3Database<typeof schema>;
/** A transaction handle; query functions accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export type Database = { sqlite: SQLite.Database; db: Db; close: () => void };

export type OpenOptions = {
  /** how long a statement waits for another connection's write lock before SQLITE_BUSY (ms) */
  busyTimeoutMs?: number;
};

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** The signing secret generated once and kept beside the database when SESSION_SECRET is not set. */
export function sessionSecretFile(databasePath: string): string {
  return `${path.resolve(databasePath)}.session-secret`;
}

/** The database file and the files SQLite keeps beside it (WAL, shared memory). */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/**
 * Runs fn with umask 077, so files it creates are readable by their owner only. (Worker threads may
 * not change the umask; there the chmod in openDatabase is what narrows the files.)
 */
export function withPrivateUmask<T>(fn: () => T): T {
  let previous: number | undefined;
  try {
    previous = process.umask(0o077);
  } catch {
    previous = undefined;
  }
  try {
    return fn();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}

/**
 * Takes group and other access away from the files that exist (an older deployment's 644 becomes
 * 600; a deliberately read-only 444 becomes 400, still read-only). Best effort.
 */
export function restrictToOwner(files: string[]): void {
  for (const f of files) {
    try {
      const mode = fs.statSync(f).mode & 0o777;
      if ((mode & 0o077) !== 0) fs.chmodSync(f, mode & 0o700);
    } catch {
      // missing, or not ours to change (read-only file system): the open itself says what is wrong
    }
  }
}

/**
 * Copies the write-ahead log into the database file and empties it (`wal_checkpoint(TRUNCATE)`): until then
 * the log still holds the pages as they were before a delete, and the file the pages secure_delete has not yet
 * overwritten. Waits (busy timeout) for other connections' readers; false when one kept it from completing.
 */
export function truncateWal(db: Db): boolean {
  const [result] = db.all<{ busy: number }>(sql`PRAGMA wal_checkpoint(TRUNCATE)`);
  return result?.busy === 0;
}

/**
 * Opens (creating folders as needed) and migrates the SQLite file; refuses one that newer code has migrated
 * (DatabaseNewerThanCodeError). The file and its -wal/-shm are
 * the owner's only (0600): they hold accounts, password hashes and sessions.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk) withPrivateUmask(() => fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true }));
  const sqlite = withPrivateUmask(() => {
    const connection = new SQLite(file);
    try {
      // WAL creates the -wal and -shm files (SQLite gives them the database file's mode)
      connection.pragma('journal_mode = WAL');
    } catch (err) {
      connection.close();
      throw err;
    }
    return connection;
  });
  if (onDisk) restrictToOwner(databaseFiles(file));
  try {
    // deleted rows are overwritten with zeros, not left in free space: erasing an address (RODO) must erase it
    sqlite.pragma('secure_delete = ON');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    sqlite.pragma('synchronous = NORMAL');
    // 64 MiB page cache: full-text counts at 100,000 proposals touch many pages
    sqlite.pragma('cache_size = -65536');
    // before migrating: code older than the database must not run on a schema it does not understand
    assertNoUnknownMigrations(sqlite, file, APP_VERSION);
    const db = drizzle(sqlite, { schema });
    migrate(db, { migrationsFolder });
    return { sqlite, db, close: () => sqlite.close() };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}
