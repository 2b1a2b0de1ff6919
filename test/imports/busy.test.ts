import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { importTorun2026, TORUN_2026 } from '../../src/imports/seed.js';
import { tempDatabasePath } from '../helpers.js';
import { BUILD_TIMEOUT_MS, cliEntry, ensureBuilt, root } from '../server-process.js';

beforeAll(ensureBuilt, BUILD_TIMEOUT_MS);

const run = promisify(execFile);

async function importCli(databasePath: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliEntry('import'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databasePath },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Everything the importer writes, read through a connection of its own. */
function snapshot(databasePath: string): string {
  const db = new Database(databasePath, { readonly: true });
  try {
    return JSON.stringify(
      ['consultations', 'workshop_tables', 'units', 'proposals', 'proposal_units', 'meta'].map((t) =>
        db.prepare(`SELECT * FROM ${t}`).all(),
      ),
    );
  } finally {
    db.close();
  }
}

describe('import while another process holds the write lock', { timeout: 120_000 }, () => {
  let databasePath: string;
  let holder: Database.Database;

  beforeAll(() => {
    databasePath = tempDatabasePath('busy');
    const database = openDatabase(databasePath);
    importTorun2026(database.db);
    // an LP the file will change: the import has real work to do, not only a no-op
    database.sqlite.prepare("UPDATE proposals SET title = 'zmieniony tytuł' WHERE lp = 5").run();
    database.close();
    holder = new Database(databasePath);
    holder.pragma('busy_timeout = 0');
  });
  afterAll(() => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
  });

  it('gives up after --busy-timeout with a Polish message, exit code 1 and the database untouched', async () => {
    holder.exec('BEGIN IMMEDIATE');
    const before = snapshot(databasePath);
    const res = await importCli(databasePath, TORUN_2026.file, '--busy-timeout', '200');
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain('Baza danych jest zajęta przez inny proces');
    expect(res.stderr).toContain('Import przerwany – baza danych nie została zmieniona.');
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(res.stdout).toBe('');
    expect(snapshot(databasePath)).toBe(before);
    holder.exec('ROLLBACK');

    // with the lock released the same import goes through
    const ok = await importCli(databasePath, TORUN_2026.file, '--busy-timeout', '200');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('zaktualizowane: 1');
  });

  it('refuses a busy timeout that is not a number of milliseconds', async () => {
    const res = await importCli(databasePath, TORUN_2026.file, '--busy-timeout', '1e3');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Nieprawidłowy czas oczekiwania --busy-timeout');
  });
});
