/**
 * A backup is one file, `<database name>-<UTC time>.tar.gz`, holding everything the site cannot be rebuilt
 * without: a consistent snapshot of the database (`VACUUM INTO`: one read transaction, writers go on), the
 * session secret kept beside it (without it every session and every signed cookie ends), the mail folder (the
 * `.eml` files written without SMTP_URL) and `manifest.json` (what, when, which version, a SHA-256 of each
 * file). `npm run backup` writes and rotates them (src/cli/backup.ts), `npm run restore` checks one and puts it
 * in place (src/cli/restore.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import type { Config } from '../config.js';
import { DEFAULT_BUSY_TIMEOUT_MS, databaseFiles, sessionSecretFile } from '../db/client.js';
import { appliedMigrations, shippedMigrations } from '../db/migrations.js';
import { storageProblem } from '../lib/errors.js';
import { APP_VERSION } from '../version.js';

/** A refusal or failure with its Polish message for the operator (exit code 1). */
export class BackupError extends Error {}

export const MANIFEST = 'manifest.json';
export const DATABASE_ENTRY = 'database.sqlite';
export const SECRET_ENTRY = 'session-secret';
export const MAIL_ENTRY = 'mail';
const FORMAT = 1;

export type Manifest = {
  format: number;
  createdAt: string;
  appVersion: string;
  /** the applied migration the snapshot ends with (its time, drizzle's `created_at`), and how many */
  migrations: { count: number; last: number };
  proposals: number;
  /** every file but the manifest, by its path in the archive */
  files: Record<string, { sha256: string; bytes: number }>;
};

/** The stem of the backups' names: the database file's name without `.sqlite`. */
export const backupStem = (databasePath: string) => path.basename(databasePath).replace(/\.sqlite3?$/, '');

/** `konsultacje-20261126T030000Z.tar.gz`: sorts by time as text. */
export function backupName(databasePath: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${backupStem(databasePath)}-${stamp}.tar.gz`;
}

const isBackupOf = (databasePath: string, name: string) =>
  name.startsWith(`${backupStem(databasePath)}-`) && /-\d{8}T\d{6}Z\.tar\.gz$/.test(name);

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function filesUnder(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full, base);
    return entry.isFile() ? [path.relative(base, full)] : [];
  });
}

function fsyncFile(file: string) {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The database's integrity check, its proposals and its migrations, read through a read-only connection. */
function inspectDatabase(file: string) {
  const copy = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const check = (copy.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
    const foreignKeys = (copy.pragma('foreign_key_check') as unknown[]).length;
    const hasProposals = copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'proposals'").get();
    const proposals = hasProposals
      ? (copy.prepare('SELECT count(*) AS n FROM proposals').get() as { n: number }).n
      : null;
    return { check, foreignKeys, proposals, migrations: appliedMigrations(copy) };
  } finally {
    copy.close();
  }
}

export type BackupResult = { archive: string; proposals: number; bytes: number; removed: string[] };

/**
 * Writes one backup into `folder` (created 0700 when missing), then keeps the newest `keep` of this database's
 * backups there and deletes the older ones. Nothing is left behind when it fails.
 */
export async function createBackup(config: Config, folder: string, keep: number | undefined, now = new Date()) {
  const source = config.databasePath;
  if (!fs.existsSync(source))
    throw new BackupError(`Nie ma pliku bazy danych ${source} (sprawdź zmienną DATABASE_URL).`);
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new BackupError(
      `Nie można utworzyć folderu kopii ${folder}: ${storageProblem(err, folder) ?? (err as Error).message}.`,
    );
  }
  if (!fs.statSync(folder).isDirectory()) throw new BackupError(`${folder} nie jest folderem – podaj folder na kopie.`);
  const archive = path.join(folder, backupName(source, now));
  if (fs.existsSync(archive)) throw new BackupError(`Kopia ${archive} już istnieje – kopii nie nadpisujemy.`);
  const staging = fs.mkdtempSync(path.join(folder, '.kopia-w-toku-'));
  const partial = `${archive}.w-toku`;
  try {
    const snapshot = path.join(staging, DATABASE_ENTRY);
    const sqlite = new Database(source, { fileMustExist: true });
    try {
      sqlite.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
      sqlite.prepare('VACUUM INTO ?').run(snapshot);
    } finally {
      sqlite.close();
    }
    const inspected = inspectDatabase(snapshot);
    if (inspected.check !== 'ok')
      throw new BackupError(
        `Kopia nie przeszła sprawdzenia spójności (integrity_check: ${inspected.check}) – spróbuj ponownie.`,
      );
    const secret = sessionSecretFile(source);
    if (fs.existsSync(secret)) fs.copyFileSync(secret, path.join(staging, SECRET_ENTRY));
    if (fs.existsSync(config.mail.dir)) fs.cpSync(config.mail.dir, path.join(staging, MAIL_ENTRY), { recursive: true });
    const files = Object.fromEntries(
      filesUnder(staging).map((f) => [
        f,
        { sha256: sha256(path.join(staging, f)), bytes: fs.statSync(path.join(staging, f)).size },
      ]),
    );
    const last = inspected.migrations.at(-1)?.createdAt ?? 0;
    const manifest: Manifest = {
      format: FORMAT,
      createdAt: now.toISOString(),
      appVersion: APP_VERSION,
      migrations: { count: inspected.migrations.length, last },
      proposals: inspected.proposals ?? 0,
      files,
    };
    fs.writeFileSync(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    // the archive holds the secret: owner only from the first byte; under its final name only when complete
    fs.closeSync(fs.openSync(partial, 'wx', 0o600));
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true }, [MANIFEST, ...Object.keys(files)]);
    fs.chmodSync(partial, 0o600);
    fsyncFile(partial);
    fs.renameSync(partial, archive);
    const removed = keep === undefined ? [] : rotate(source, folder, keep);
    return { archive, proposals: manifest.proposals, bytes: fs.statSync(archive).size, removed } satisfies BackupResult;
  } catch (err) {
    fs.rmSync(partial, { force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError(
      `Nie udało się wykonać kopii zapasowej: ${storageProblem(err, source) ?? (err as Error).message}. ` +
        'Plik kopii nie został zapisany.',
    );
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Deletes this database's backups in `folder` but the newest `keep` (by the time in their names). */
function rotate(databasePath: string, folder: string, keep: number): string[] {
  const backups = fs
    .readdirSync(folder)
    .filter((name) => isBackupOf(databasePath, name))
    .sort();
  const old = backups.slice(0, Math.max(0, backups.length - keep));
  for (const name of old) fs.rmSync(path.join(folder, name));
  return old.map((name) => path.join(folder, name));
}

// ---- restore ----------------------------------------------------------------------------------

export type CheckedBackup = { manifest: Manifest; folder: string };

/**
 * Unpacks `file` into `staging` and checks it: only the entries a backup has (no links, no paths outside),
 * every file's SHA-256 as the manifest says and no file it does not list, a database that passes
 * `integrity_check` and records no migration this code does not ship.
 */
export async function checkBackup(file: string, staging: string): Promise<CheckedBackup> {
  const bad = (why: string) =>
    new BackupError(`Plik ${file} nie jest poprawną kopią zapasową: ${why}. Nic nie zmieniono.`);
  if (!fs.existsSync(file)) throw new BackupError(`Nie ma pliku ${file}.`);
  const refused: string[] = [];
  try {
    await tar.extract({
      file,
      cwd: staging,
      strict: true,
      filter: (entryPath, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const allowed =
          (type === 'File' && [MANIFEST, DATABASE_ENTRY, SECRET_ENTRY].includes(entryPath)) ||
          (['File', 'Directory'].includes(type) &&
            (entryPath === MAIL_ENTRY || entryPath.startsWith(`${MAIL_ENTRY}/`)));
        if (!allowed) refused.push(entryPath);
        return allowed;
      },
    });
  } catch (err) {
    throw bad(`nie da się go rozpakować (${(err as Error).message})`);
  }
  if (refused.length) throw bad(`zawiera nieoczekiwane wpisy (${refused.slice(0, 3).join(', ')})`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(staging, MANIFEST), 'utf8')) as Manifest;
  } catch {
    throw bad(`brak czytelnego ${MANIFEST}`);
  }
  if (manifest.format !== FORMAT || typeof manifest.files !== 'object')
    throw bad(`nieznany format (${String(manifest.format)})`);
  const present = filesUnder(staging).filter((f) => f !== MANIFEST);
  const listed = Object.keys(manifest.files);
  const extra = present.filter((f) => !(f in manifest.files));
  if (extra.length) throw bad(`pliki spoza spisu: ${extra.slice(0, 3).join(', ')}`);
  for (const name of listed) {
    const target = path.join(staging, name);
    if (!fs.existsSync(target)) throw bad(`brakuje pliku ${name}`);
    if (sha256(target) !== manifest.files[name]!.sha256) throw bad(`plik ${name} jest uszkodzony (inna suma SHA-256)`);
  }
  if (!listed.includes(DATABASE_ENTRY)) throw bad(`brak bazy danych (${DATABASE_ENTRY})`);
  const inspected = inspectDatabase(path.join(staging, DATABASE_ENTRY));
  if (inspected.check !== 'ok' || inspected.foreignKeys)
    throw bad(
      `baza danych nie przeszła sprawdzenia spójności (${inspected.check}; klucze obce: ${inspected.foreignKeys})`,
    );
  const known = new Set(shippedMigrations().entries.map((e) => e.when));
  if (inspected.migrations.some((m) => !known.has(m.createdAt)))
    throw new BackupError(
      `Kopia ${file} pochodzi z nowszej wersji programu (${manifest.appVersion}), niż ta (${APP_VERSION}): ` +
        'ta wersja nie zna jej schematu bazy danych. Przywróć ją nowszą wersją programu. Nic nie zmieniono.',
    );
  return { manifest, folder: staging };
}

/** Whether a process (the running server, a backup, an import) has the database open: it holds a lock then. */
export function databaseInUse(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  const sqlite = new Database(file, { fileMustExist: true });
  try {
    sqlite.pragma('busy_timeout = 0');
    // in WAL mode every open connection keeps a shared lock: an exclusive one is refused while any is open
    sqlite.pragma('locking_mode = EXCLUSIVE');
    sqlite.exec('BEGIN EXCLUSIVE; COMMIT');
    return false;
  } catch (err) {
    if (String((err as { code?: string }).code).startsWith('SQLITE_BUSY')) return true;
    throw err;
  } finally {
    sqlite.close();
  }
}

export type Owner = { uid: number; gid: number };

/** Gives a restored file or folder (and what is in it) its owner and the owner-only mode. */
function own(target: string, owner: Owner | null) {
  const stat = fs.statSync(target);
  fs.chmodSync(target, stat.isDirectory() ? 0o700 : 0o600);
  if (owner) fs.chownSync(target, owner.uid, owner.gid);
  if (stat.isDirectory()) for (const entry of fs.readdirSync(target)) own(path.join(target, entry), owner);
}

function moveAside(from: string, suffix: string, moved: string[]) {
  if (!fs.existsSync(from)) return;
  const to = `${from}.${suffix}`;
  fs.renameSync(from, to);
  moved.push(to);
}

/** Moves a folder's content into place, also onto another file system (MAIL_DIR set elsewhere). */
function moveInto(from: string, to: string) {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    fs.cpSync(from, to, { recursive: true });
    fs.rmSync(from, { recursive: true, force: true });
  }
}

export type RestoreResult = { manifest: Manifest; movedAside: string[]; restored: string[]; owner: Owner | null };

/**
 * Puts a checked backup in place of the current database, session secret and mail folder, which are moved
 * aside (renamed `….przed-przywroceniem-<time>`), never deleted. The restored files get the owner of the
 * database's folder (the service user, when an administrator restores as root) and mode 0600 (folders 0700).
 * Refused while a process has the database open.
 */
export async function restoreBackup(config: Config, file: string, now = new Date()): Promise<RestoreResult> {
  const target = path.resolve(config.databasePath);
  const dataDir = path.dirname(target);
  if (!fs.existsSync(dataDir))
    throw new BackupError(
      `Nie ma folderu danych ${dataDir} (sprawdź DATABASE_URL; utwórz go dla użytkownika serwisu).`,
    );
  const folderStat = fs.statSync(dataDir);
  const runningAsRoot = process.getuid?.() === 0;
  const owner = runningAsRoot && folderStat.uid !== 0 ? { uid: folderStat.uid, gid: folderStat.gid } : null;
  // unpacked beside the database, so that putting it in place is a rename on the same file system
  const staging = fs.mkdtempSync(path.join(dataDir, '.przywracanie-'));
  try {
    const checked = await checkBackup(path.resolve(file), staging);
    if (databaseInUse(target))
      throw new BackupError(
        `Baza danych ${target} jest otwarta przez inny proces (działający serwis, kopia zapasowa albo import). ` +
          'Zatrzymaj serwis (np. systemctl stop konsultacje) i uruchom przywracanie ponownie. Nic nie zmieniono.',
      );
    const suffix = `przed-przywroceniem-${now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}`;
    const movedAside: string[] = [];
    const restored: string[] = [];
    for (const f of databaseFiles(target)) moveAside(f, suffix, movedAside);
    fs.renameSync(path.join(staging, DATABASE_ENTRY), target);
    own(target, owner);
    restored.push(target);
    const secret = sessionSecretFile(target);
    if (fs.existsSync(path.join(staging, SECRET_ENTRY))) {
      moveAside(secret, suffix, movedAside);
      fs.renameSync(path.join(staging, SECRET_ENTRY), secret);
      own(secret, owner);
      restored.push(secret);
    }
    const mailDir = path.resolve(config.mail.dir);
    if (fs.existsSync(path.join(staging, MAIL_ENTRY))) {
      moveAside(mailDir, suffix, movedAside);
      fs.mkdirSync(path.dirname(mailDir), { recursive: true });
      moveInto(path.join(staging, MAIL_ENTRY), mailDir);
      own(mailDir, owner);
      restored.push(mailDir);
    }
    return { manifest: checked.manifest, movedAside, restored, owner };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
