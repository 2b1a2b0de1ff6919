import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, sessionSecretFile } from '../../src/db/client.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { databaseFromNewerCode } from '../db/newer-database.js';
import { Agent, build, createUser, tempDatabasePath } from '../helpers.js';
import {
  type AppFolder,
  BUILD_TIMEOUT_MS,
  cliEntry,
  ensureBuilt,
  otherUsersAppFolder,
  startServer,
  stopAll,
} from '../server-process.js';

type Run = { code: number | null; stdout: string; stderr: string };

function cli(name: 'backup' | 'restore', databasePath: string, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [cliEntry(name), ...args], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: databasePath },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** The one backup `npm run backup` wrote into `folder`, unpacked into a new temporary folder. */
async function unpack(archive: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-unpacked-'));
  await tar.extract({ file: archive, cwd: dir });
  return dir;
}

const archiveIn = (run: Run) => /^Kopia zapasowa zapisana: (\S+\.tar\.gz) /.exec(run.stdout)?.[1];

let other: AppFolder;
beforeAll(async () => {
  await ensureBuilt();
  other = await otherUsersAppFolder();
}, BUILD_TIMEOUT_MS);
afterAll(stopAll);

describe('npm run backup -- FOLDER', { timeout: 120_000 }, () => {
  let databasePath: string;
  let writer: Database.Database;
  let proposalIds: number[];

  beforeAll(() => {
    databasePath = tempDatabasePath('live');
    const database = openDatabase(databasePath);
    importTorun2026(database.db);
    database.close();
    // a second connection, as the running site would be: WAL, busy timeout
    writer = new Database(databasePath);
    writer.pragma('journal_mode = WAL');
    writer.pragma('busy_timeout = 5000');
    writer.pragma('foreign_keys = ON');
    proposalIds = (writer.prepare('SELECT id FROM proposals').all() as { id: number }[]).map((r) => r.id);
  });
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

  it('writes one 0600 archive: a consistent snapshot taken while writes go on, the secret and the mail', async () => {
    fs.writeFileSync(sessionSecretFile(databasePath), 's'.repeat(64), { mode: 0o600 });
    const mailDir = path.join(path.dirname(databasePath), 'mail');
    fs.mkdirSync(mailDir);
    fs.writeFileSync(path.join(mailDir, 'potwierdzenie.eml'), 'Subject: test\r\n\r\nTreść.\r\n');
    const folder = path.join(path.dirname(databasePath), 'kopie');
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
    const run = await cli('backup', databasePath, folder);
    const endedAt = written;
    done = true;
    await burst;

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^Kopia zapasowa zapisana: .*kopie\/live-\d{8}T\d{6}Z\.tar\.gz \(73 propozycji, \d+ KiB\)\. /,
    );
    expect(run.stdout).toMatch(/Sprawdzenie spójności \(integrity_check\): ok\.\n$/);
    const archive = archiveIn(run)!;
    expect(mode(archive)).toBe(0o600);
    expect(mode(folder)).toBe(0o700);
    expect(fs.readdirSync(folder)).toEqual([path.basename(archive)]);

    const unpacked = await unpack(archive);
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual(['database.sqlite', 'mail/potwierdzenie.eml', 'session-secret']);
    expect(manifest).toMatchObject({ format: 1, proposals: 73 });
    expect(fs.readFileSync(path.join(unpacked, 'session-secret'), 'utf8')).toBe('s'.repeat(64));
    const copy = new Database(path.join(unpacked, 'database.sqlite'), { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const one = (sql: string) => Object.values(copy.prepare(sql).get() as Record<string, number>)[0]!;
      const events = one("SELECT count(*) FROM events WHERE type = 'test.burst'");
      // one snapshot: the counter written in the same transactions agrees exactly
      expect(one("SELECT value FROM meta WHERE key = 'test_burst'")).toBe(events);
      expect(events).toBeGreaterThanOrEqual(startedAt);
      expect(events).toBeLessThanOrEqual(endedAt);
    } finally {
      copy.close();
    }
  });

  it('--keep N keeps the newest N backups of this database and leaves every other file alone', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-kopie-'));
    const older = ['live-20261101T030000Z.tar.gz', 'live-20261102T030000Z.tar.gz', 'live-20261103T030000Z.tar.gz'];
    const others = ['inna-20261101T030000Z.tar.gz', 'live-notatki.txt', 'live-20261101T030000Z.tar.gz.bak'];
    for (const name of [...older, ...others]) fs.writeFileSync(path.join(folder, name), 'x');
    const run = await cli('backup', databasePath, folder, '--keep', '2');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'Usunięto starsze kopie (--keep 2): live-20261101T030000Z.tar.gz, live-20261102T030000Z.tar.gz.',
    );
    expect(fs.readdirSync(folder).sort()).toEqual([...others, older[2]!, path.basename(archiveIn(run)!)].sort());
  });

  it('says what is wrong, in Polish, with exit codes', async () => {
    const usage = await cli('backup', databasePath);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Użycie: npm run backup -- FOLDER [--keep N]');
    const aFile = await cli('backup', databasePath, 'kopia.sqlite');
    expect(aFile.code).toBe(2);
    expect(aFile.stderr).toContain('Podaj folder na kopie, nie plik');
    expect((await cli('backup', databasePath, os.tmpdir(), '--keep', '0')).code).toBe(2);

    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-kopie-'));
    const noDatabase = await cli('backup', path.join(folder, 'nie-ma-bazy.sqlite'), folder);
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toContain('Nie ma pliku bazy danych');
    expect(fs.readdirSync(folder)).toEqual([]);
  });
});

describe('npm run restore -- FILE', { timeout: 120_000 }, () => {
  /** A data folder as the service has it: owned by the service user (as root: nobody), 0700. */
  function dataFolder(): { file: string; dir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-dane-'));
    fs.chmodSync(dir, 0o700);
    return { dir, file: path.join(dir, 'konsultacje.sqlite') };
  }
  const serviceUser = () => ('user' in other ? other.user : undefined);
  function giveToServiceUser(target: string) {
    const user = serviceUser();
    if (!user) return;
    fs.chownSync(target, user.uid, user.gid);
    if (fs.statSync(target).isDirectory())
      for (const f of fs.readdirSync(target)) giveToServiceUser(path.join(target, f));
  }
  const titleOf16 = (file: string) => {
    const reader = new Database(file, { readonly: true });
    try {
      return (reader.prepare('SELECT title FROM proposals WHERE lp = 16').get() as { title: string }).title;
    } finally {
      reader.close();
    }
  };

  it('backup → restore → start: data, the session secret (so sessions) and mail come back, owned by the service', async (ctx) => {
    if ('skip' in other) return ctx.skip(other.skip);
    const { dir, file } = dataFolder();
    // the site as it was: signed in, one mail written
    const app = await build({ databasePath: file });
    await createUser(app, 'admin@torun.test', 'admin');
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    await app.close();
    fs.mkdirSync(path.join(dir, 'mail'));
    fs.writeFileSync(path.join(dir, 'mail', 'stara.eml'), 'Subject: stara\r\n\r\n');
    const title = titleOf16(file);
    const backup = await cli('backup', file, path.join(dir, '..', `${path.basename(dir)}-kopie`));
    expect(backup.code, backup.stderr).toBe(0);

    // then things went wrong: a bad change, the secret lost, the mail folder replaced
    const db = new Database(file);
    db.prepare("UPDATE proposals SET title = 'zepsute' WHERE lp = 16").run();
    db.close();
    fs.rmSync(sessionSecretFile(file));
    fs.rmSync(path.join(dir, 'mail'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'mail'));
    fs.writeFileSync(path.join(dir, 'mail', 'nowa.eml'), 'Subject: nowa\r\n\r\n');
    giveToServiceUser(dir);

    const restore = await cli('restore', file, archiveIn(backup)!);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^Przywrócono kopię z \d{1,2} \S+ \d{4}, \d{2}:\d{2} \(wersja \d+\.\d+\.\d+/);
    expect(restore.stdout).toContain('sumy kontrolne i spójność bazy: ok');
    expect(titleOf16(file)).toBe(title);
    expect(fs.readdirSync(path.join(dir, 'mail'))).toEqual(['stara.eml']);
    // what was there is moved aside, not deleted
    const aside = fs.readdirSync(dir).filter((f) => f.includes('.przed-przywroceniem-'));
    expect(aside.some((f) => f.startsWith('konsultacje.sqlite.przed-przywroceniem-'))).toBe(true);
    const asideMail = aside.find((f) => f.startsWith('mail.przed-przywroceniem-'))!;
    expect(fs.readdirSync(path.join(dir, asideMail))).toEqual(['nowa.eml']);
    // the service's own files again: its owner, 0600 (folders 0700)
    const owner = serviceUser()?.uid ?? process.getuid!();
    for (const f of [file, sessionSecretFile(file), path.join(dir, 'mail', 'stara.eml')]) {
      expect(mode(f), f).toBe(0o600);
      expect(fs.statSync(f).uid, f).toBe(owner);
    }
    expect(mode(path.join(dir, 'mail'))).toBe(0o700);

    // and the service starts on it, as its user: the session from before the backup still signs in
    const server = startServer(
      { DATABASE_URL: file, PORT: '0', LOG_LEVEL: 'info', MAIL_WORKER: 'false' },
      { user: other.user, appRoot: other.appRoot },
    );
    const port = await server.port();
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const cookie = [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const staff = await fetch(`${base}/staff`, { headers: { cookie }, redirect: 'manual' });
    expect(staff.status).toBe(200);
    expect(await staff.text()).toContain('admin@torun.test');
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });

  it('refuses a damaged archive, a backup from newer code and a database in use, changing nothing', async () => {
    const { dir, file } = dataFolder();
    const seeded = openDatabase(file);
    importTorun2026(seeded.db);
    seeded.close();
    const folder = path.join(dir, 'kopie');
    const good = archiveIn(await cli('backup', file, folder))!;
    const snapshot = () =>
      Object.fromEntries(
        fs
          .readdirSync(dir)
          .filter((f) => f !== 'kopie')
          .map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f)) : 'folder']),
      );
    const before = snapshot();

    const damaged = path.join(folder, 'uszkodzona.tar.gz');
    const bytes = fs.readFileSync(good);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    fs.writeFileSync(damaged, bytes);
    const refusedDamaged = await cli('restore', file, damaged);
    expect(refusedDamaged.code).toBe(1);
    expect(refusedDamaged.stderr).toContain(`Plik ${damaged} nie jest poprawną kopią zapasową`);
    expect(refusedDamaged.stderr).toContain('Nic nie zmieniono.');

    const newer = databaseFromNewerCode(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-')), 'n.sqlite'));
    const fromNewer = archiveIn(await cli('backup', newer.file, folder))!;
    const refusedNewer = await cli('restore', file, fromNewer);
    expect(refusedNewer.code).toBe(1);
    expect(refusedNewer.stderr).toContain('pochodzi z nowszej wersji programu');

    // the running server keeps its connection open
    const running = new Database(file);
    running.prepare('SELECT count(*) FROM proposals').get();
    try {
      const refusedInUse = await cli('restore', file, good);
      expect(refusedInUse.code).toBe(1);
      expect(refusedInUse.stderr).toContain('jest otwarta przez inny proces');
      expect(refusedInUse.stderr).toContain('Zatrzymaj serwis');
    } finally {
      running.close();
    }
    expect(snapshot()).toEqual(before);
    expect((await cli('restore', file)).code).toBe(2);
  });
});
