import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { build, tempDatabasePath } from '../helpers.js';
import { BUILD_TIMEOUT_MS, cliEntry, ensureBuilt, root } from '../server-process.js';

type Run = { code: number | null; stdout: string; stderr: string };

function backupCli(databasePath: string, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [cliEntry('backup'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: databasePath },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

let databasePath: string;
let dir: string;
let writer: Database.Database;
let proposalIds: number[];

beforeAll(async () => {
  await ensureBuilt();
  databasePath = tempDatabasePath('live');
  dir = path.dirname(databasePath);
  const database = openDatabase(databasePath);
  importTorun2026(database.db);
  database.close();
  // a second connection, as the running site would be: WAL, busy timeout
  writer = new Database(databasePath);
  writer.pragma('journal_mode = WAL');
  writer.pragma('busy_timeout = 5000');
  writer.pragma('foreign_keys = ON');
  proposalIds = (writer.prepare('SELECT id FROM proposals').all() as { id: number }[]).map((r) => r.id);
}, BUILD_TIMEOUT_MS);
afterAll(() => {
  writer.close();
});

/** One write transaction: an event and the counter that says how many such events exist. */
function writeOne(n: number) {
  writer
    .transaction(() => {
      writer
        .prepare(`INSERT INTO events (proposal_id, type, public, note, created_at)
      VALUES (?, 'test.burst', 0, ?, '2026-11-26T12:00:00Z')`)
        .run(proposalIds[n % proposalIds.length], `zapis ${n}`);
      writer
        .prepare(`INSERT INTO meta (key, value) VALUES ('test_burst', 1)
      ON CONFLICT (key) DO UPDATE SET value = value + 1`)
        .run();
    })
    .immediate();
}

describe('npm run backup -- FILE', { timeout: 120_000 }, () => {
  it('copies a consistent snapshot while writes go on, 0600, and the copy restores', async () => {
    const target = path.join(dir, 'kopia.sqlite');
    let written = 0;
    let done = false;
    const burst = (async () => {
      while (!done) {
        for (let i = 0; i < 20; i++) writeOne(written++);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    // let the burst get going, then back up in the middle of it
    while (written < 200) await new Promise((resolve) => setImmediate(resolve));
    const startedAt = written;
    const run = await backupCli(databasePath, target);
    const endedAt = written;
    done = true;
    await burst;

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Kopia zapasowa zapisana: .*kopia\.sqlite \(73 propozycji, \d+ KiB\)\. /);
    expect(run.stdout).toMatch(/Sprawdzenie spójności \(integrity_check\): ok\.\n$/);
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);

    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.pragma('foreign_key_check')).toEqual([]);
      const one = (sql: string) => Object.values(copy.prepare(sql).get() as Record<string, number>)[0]!;
      const events = one("SELECT count(*) FROM events WHERE type = 'test.burst'");
      const counter = one("SELECT value FROM meta WHERE key = 'test_burst'");
      // one snapshot: the counter written in the same transactions agrees exactly
      expect(counter).toBe(events);
      expect(events).toBeGreaterThanOrEqual(startedAt);
      expect(events).toBeLessThanOrEqual(endedAt);
      const orphans = 'SELECT count(*) FROM events e LEFT JOIN proposals p ON p.id = e.proposal_id WHERE p.id IS NULL';
      expect(one(orphans)).toBe(0);
      expect(one('SELECT count(*) FROM proposals')).toBe(73);
    } finally {
      copy.close();
    }

    // restore = put the copy where DATABASE_URL points (server stopped) and start
    const restored = tempDatabasePath('restored');
    fs.copyFileSync(target, restored);
    const app = await build({ databasePath: restored, seed: false });
    try {
      const health = await app.inject('/healthz');
      expect(health.statusCode).toBe(200);
      expect((await app.inject('/')).body).toContain('LP 16');
    } finally {
      await app.close();
    }
  });

  it('refuses to overwrite an existing file', async () => {
    const target = path.join(dir, 'istnieje.sqlite');
    fs.writeFileSync(target, 'ważne dane');
    const run = await backupCli(databasePath, target);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('już istnieje – kopii nie nadpisujemy');
    expect(fs.readFileSync(target, 'utf8')).toBe('ważne dane');
  });

  it('says what is wrong, in Polish, with exit codes', async () => {
    const usage = await backupCli(databasePath);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Użycie: npm run backup -- PLIK_KOPII');

    const missingFolder = await backupCli(databasePath, path.join(dir, 'nie-ma', 'kopia.sqlite'));
    expect(missingFolder.code).toBe(1);
    expect(missingFolder.stderr).toContain('Nie ma folderu');

    const target = path.join(dir, 'z-niczego.sqlite');
    const noDatabase = await backupCli(path.join(dir, 'nie-ma-bazy.sqlite'), target);
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toContain('Nie ma pliku bazy danych');
    expect(fs.existsSync(target)).toBe(false);
  });
});
