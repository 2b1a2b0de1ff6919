/**
 * npm run restore -- FILE
 * Puts a backup made by `npm run backup` in place of the database named by DATABASE_URL, its session secret
 * and the mail folder, with the server stopped: the backup is checked first (every file's SHA-256, the
 * database's integrity, a schema this code knows), the current files are moved aside (never deleted), and
 * the restored ones get the owner of the database's folder and mode 0600 (src/backup/archive.ts).
 *
 * Exit codes: 0 restored; 1 refused or failed (the message says what was changed: nothing, unless it says so);
 * 2 wrong usage.
 */
import { parseArgs } from 'node:util';
import { BackupError, restoreBackup } from '../backup/archive.js';
import { configOrExit, fail } from './common.js';
import { formatDateTimePl } from '../lib/dates.js';

const USAGE =
  'Użycie: npm run restore -- PLIK_KOPII (np. npm run restore -- /var/backups/konsultacje/konsultacje-20261126T030000Z.tar.gz)';

process.umask(0o077);

let args;
try {
  args = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 2);
}
const file = args.positionals[0];
if (args.values.help || !file || args.positionals.length > 1) fail(USAGE, 2);

const config = configOrExit();
if (config.databasePath === ':memory:')
  fail('Baza danych w pamięci (DATABASE_URL=:memory:) nie ma dokąd przywrócić.', 2);

try {
  const result = await restoreBackup(config, file);
  const { manifest } = result;
  const lines = [
    `Przywrócono kopię z ${formatDateTimePl(manifest.createdAt)} (wersja ${manifest.appVersion}, ` +
      `${manifest.proposals} propozycji); sumy kontrolne i spójność bazy: ok.`,
    ...result.restored.map((f) => `  przywrócono: ${f}`),
    ...result.movedAside.map((f) => `  dotychczasowy plik odłożono jako: ${f}`),
  ];
  if (result.owner)
    lines.push(
      `  właściciel przywróconych plików: uid ${result.owner.uid}, gid ${result.owner.gid} (jak folderu danych)`,
    );
  if (config.sessionSecret)
    lines.push('  Uwaga: ustawione SESSION_SECRET ma pierwszeństwo przed przywróconym plikiem sekretu sesji.');
  lines.push(
    'Uruchom serwis (np. systemctl start konsultacje) i sprawdź /healthz; migracje nowsze niż kopia zostaną zastosowane przy starcie.',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (err) {
  if (err instanceof BackupError) fail(err.message);
  throw err;
}
