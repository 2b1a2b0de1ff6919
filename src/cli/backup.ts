/**
 * npm run backup -- FILE
 * A consistent copy of the database named by DATABASE_URL, taken while the site keeps running:
 * `VACUUM INTO` reads one snapshot (one read transaction; in WAL mode writers are not blocked and do
 * not disturb it) and writes it to FILE, which is created beforehand with mode 0600 and never
 * overwritten. The copy is checked with PRAGMA integrity_check before it is reported.
 *
 * Exit codes: 0 copy written and checked; 1 the copy could not be made (nothing is left behind);
 * 2 wrong usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig } from '../config.js';
import { DEFAULT_BUSY_TIMEOUT_MS } from '../db/client.js';
import { oneLine, storageProblem } from '../lib/errors.js';

const USAGE = 'Użycie: npm run backup -- PLIK_KOPII (np. npm run backup -- kopie/konsultacje-2026-11-26.sqlite)';

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 2);
}
const target = args.positionals[0];
if (args.values.help || !target || args.positionals.length > 1) fail(USAGE, 2);

let config;
try {
  config = loadConfig();
} catch (err) {
  fail((err as Error).message, 2);
}
const source = config.databasePath;
if (source === ':memory:') fail('Baza danych w pamięci (DATABASE_URL=:memory:) nie ma czego kopiować.', 2);
const targetPath = path.resolve(target);
if (targetPath === path.resolve(source)) fail('Plik kopii nie może być samym plikiem bazy danych.', 2);
if (!fs.existsSync(source)) fail(`Nie ma pliku bazy danych ${source} (sprawdź zmienną DATABASE_URL).`);

// 'wx': fails if the file exists (also when it appears between a check and the write); 0600 from the start
let created = false;
try {
  fs.closeSync(fs.openSync(targetPath, 'wx', 0o600));
  created = true;
  fs.chmodSync(targetPath, 0o600); // whatever the umask
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') fail(`Plik ${target} już istnieje – kopii nie nadpisujemy. Podaj nową nazwę pliku.`);
  if (created) fs.rmSync(targetPath, { force: true });
  if (code === 'ENOENT') fail(`Nie ma folderu ${path.dirname(targetPath)} – utwórz go albo podaj inną ścieżkę.`);
  const problem = storageProblem(err, targetPath) ?? code ?? (err as Error).message;
  fail(oneLine(`Nie można utworzyć pliku kopii ${target}: ${problem}.`));
}

let sqlite: Database.Database | undefined;
try {
  sqlite = new Database(source, { fileMustExist: true });
  sqlite.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
  // VACUUM INTO accepts an existing file only when it is empty: the one made above, with its mode
  sqlite.prepare('VACUUM INTO ?').run(targetPath);
  sqlite.close();
  sqlite = undefined;

  const copy = new Database(targetPath, { readonly: true, fileMustExist: true });
  let check: string;
  let proposals: number;
  try {
    check = (copy.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    proposals = (copy.prepare('SELECT count(*) AS n FROM proposals').get() as { n: number }).n;
  } finally {
    copy.close();
  }
  if (check !== 'ok') throw Object.assign(new Error(`integrity_check: ${check}`), { code: 'BACKUP_CHECK' });
  const fd = fs.openSync(targetPath, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const kib = Math.ceil(fs.statSync(targetPath).size / 1024);
  process.stdout.write(
    `Kopia zapasowa zapisana: ${target} (${proposals} propozycji, ${kib} KiB). ` +
      'Sprawdzenie spójności (integrity_check): ok.\n',
  );
} catch (err) {
  sqlite?.close();
  fs.rmSync(targetPath, { force: true });
  for (const extra of ['-journal', '-wal', '-shm']) fs.rmSync(`${targetPath}${extra}`, { force: true });
  if ((err as { code?: string }).code === 'BACKUP_CHECK')
    fail(
      oneLine(`Kopia nie przeszła sprawdzenia spójności (${(err as Error).message}) – usunięto ją. Spróbuj ponownie.`),
    );
  const problem = storageProblem(err, source);
  fail(
    oneLine(
      `Nie udało się wykonać kopii zapasowej: ${problem ?? (err as Error).message}. ` +
        'Plik kopii nie został zapisany.',
    ),
  );
}
