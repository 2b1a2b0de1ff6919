/**
 * npm run import -- FILE [--consultation SLUG] [--title "…"] [--units UNITS.csv] [--busy-timeout MS]
 * Imports a proposal CSV (format: data/FORMAT.md) into the database named by DATABASE_URL.
 * While another process writes (the running site, another import), the import waits up to
 * --busy-timeout milliseconds (default 5000) for the write lock, then gives up with exit code 1 and
 * the database untouched.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { DatabaseNewerThanCodeError } from '../db/migrations.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase } from '../db/client.js';
import { oneLine, storageProblem } from '../lib/errors.js';
import { ImportError, formatProblem, parseProposalFile, parseUnitFile } from '../imports/format.js';
import { DEFAULT_UNITS_FILE, TORUN_2026 } from '../imports/seed.js';
import { importProposals } from '../imports/service.js';

const USAGE =
  'Użycie: npm run import -- PLIK.csv [--consultation SLUG] [--title "Tytuł"] [--units JEDNOSTKI.csv] ' +
  '[--busy-timeout MS]';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    return fail(`Nie można odczytać pliku ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      consultation: { type: 'string' },
      title: { type: 'string' },
      units: { type: 'string' },
      'busy-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
const file = args.positionals[0];
if (args.values.help || !file || args.positionals.length > 1) fail(USAGE);

const busyTimeout = args.values['busy-timeout'] ?? String(DEFAULT_BUSY_TIMEOUT_MS);
if (!/^[0-9]{1,7}$/.test(busyTimeout))
  fail(`Nieprawidłowy czas oczekiwania --busy-timeout „${busyTimeout}”: podaj liczbę milisekund.`);

const slug = args.values.consultation ?? TORUN_2026.slug;
if (!/^[a-z0-9][a-z0-9-]{0,79}$/.test(slug))
  fail(`Nieprawidłowy identyfikator konsultacji „${slug}”: dozwolone małe litery a–z, cyfry i „-”.`);

let config;
try {
  config = loadConfig();
} catch (err) {
  fail((err as Error).message);
}

const unitsFile = args.values.units ?? DEFAULT_UNITS_FILE;
let database;
try {
  const unitRows = parseUnitFile(readFile(unitsFile));
  let rows;
  try {
    rows = parseProposalFile(readFile(file));
  } catch (err) {
    if (err instanceof ImportError) throw new ImportError(err.problems, file);
    throw err;
  }
  database = openDatabase(config.databasePath, { busyTimeoutMs: Number(busyTimeout) });
  const title = args.values.title ?? (slug === TORUN_2026.slug ? TORUN_2026.title : undefined);
  const report = importProposals(database.db, { slug, title }, rows, unitRows);
  const lines = [
    `Import do konsultacji „${report.consultation}” zakończony.`,
    `  utworzone: ${report.created}`,
    `  zaktualizowane: ${report.updated}`,
    `  bez zmian: ${report.unchanged}`,
  ];
  if (report.unitsCreated) lines.push(`  nowe jednostki w katalogu: ${report.unitsCreated}`);
  if (report.warnings.length) lines.push('Ostrzeżenia:', ...report.warnings.map((w) => `  - ${w}`));
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (err) {
  if (err instanceof ImportError) {
    const where = err.file ?? file;
    fail(
      `Import przerwany – baza danych nie została zmieniona.\nBłędy w pliku ${where}:\n${err.problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`,
    );
  }
  if (err instanceof DatabaseNewerThanCodeError) fail(`Import przerwany: ${err.message}.`);
  // a busy, read-only or full database: the one transaction never began or was rolled back
  const problem = storageProblem(err, config.databasePath);
  if (problem) {
    const retry = /zajęta/.test(problem) ? ' Spróbuj ponownie za chwilę.' : '';
    const sentence = `${problem[0]!.toUpperCase()}${problem.slice(1)}.`;
    fail(oneLine(`${sentence} Import przerwany – baza danych nie została zmieniona.${retry}`));
  }
  throw err;
} finally {
  database?.close();
}
