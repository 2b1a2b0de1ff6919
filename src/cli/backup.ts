/**
 * npm run backup -- FOLDER [--keep N]
 * One backup of the site into FOLDER (created 0700 when missing): `<database>-<UTC time>.tar.gz`, 0600,
 * with a consistent snapshot of the database named by DATABASE_URL taken while the site keeps running, the
 * session secret and the mail folder (src/backup/archive.ts). `--keep N` then deletes this database's older
 * backups in FOLDER, keeping the newest N.
 *
 * Exit codes: 0 backup written and checked; 1 it could not be made (nothing is left behind); 2 wrong usage.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BackupError, createBackup } from '../backup/archive.js';
import { configOrExit, fail } from './common.js';

const USAGE =
  'Użycie: npm run backup -- FOLDER [--keep N] (np. npm run backup -- /var/backups/konsultacje --keep 14)\n' +
  '  --keep N  zostaw N najnowszych kopii tej bazy w folderze, starsze usuń';

// the backup holds the session secret and every account: nothing it creates is for anyone else
process.umask(0o077);

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { keep: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 2);
}
const folder = args.positionals[0];
if (args.values.help || !folder || args.positionals.length > 1) fail(USAGE, 2);
if (/\.(sqlite3?|db)$/.test(folder))
  fail(`Podaj folder na kopie, nie plik (${folder}): kopia to plik .tar.gz zapisywany w tym folderze.\n${USAGE}`, 2);
const keepText = args.values.keep;
if (keepText !== undefined && !/^[1-9][0-9]{0,3}$/.test(keepText))
  fail(`Nieprawidłowe --keep „${keepText}”: podaj liczbę kopii do zachowania (1–9999).`, 2);

const config = configOrExit();
if (config.databasePath === ':memory:') fail('Baza danych w pamięci (DATABASE_URL=:memory:) nie ma czego kopiować.', 2);

try {
  const result = await createBackup(
    config,
    path.resolve(folder),
    keepText === undefined ? undefined : Number(keepText),
  );
  const lines = [
    `Kopia zapasowa zapisana: ${result.archive} (${result.proposals} propozycji, ${Math.ceil(result.bytes / 1024)} KiB). ` +
      'Sprawdzenie spójności (integrity_check): ok.',
  ];
  if (result.removed.length)
    lines.push(
      `Usunięto starsze kopie (--keep ${keepText}): ${result.removed.map((f) => path.basename(f)).join(', ')}.`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (err) {
  if (err instanceof BackupError) fail(err.message);
  throw err;
}
