/**
 * npm run user:add -- --email E --role admin|unit|reviewer [--unit "exact unit name"]... [--name N]
 *                     [--password P | --password-stdin]
 * Creates the account, or updates (and reactivates) the one with that e-mail, in the database
 * named by DATABASE_URL. Without a password, the owner of a new account (or of one whose owner
 * has not chosen a password yet) is invited by mail to choose one: the mail waits in the outbox
 * for the server's worker. A password given here must be replaced by its owner at the first
 * login, and ends the account's open sessions; every change goes to the audit log.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { DatabaseNewerThanCodeError } from '../db/migrations.js';
import { openDatabase, type Database } from '../db/client.js';
import { ROLE_LABELS } from '../auth/policy.js';
import { userAddArgsSchema } from '../admin/schema.js';
import { AccountError, addAccountFromCommandLine } from '../admin/accounts.js';

const USAGE = [
  'Użycie: npm run user:add -- --email ADRES --role admin|unit|reviewer [--unit "nazwa jednostki"]... [--name "Imię ' +
    'Nazwisko"]',
  '                            [--password HASŁO | --password-stdin]',
  '  --unit            dokładna nazwa jednostki z katalogu (dla roli unit; można podać kilka razy)',
  '  --password-stdin  czyta hasło z pierwszego wiersza wejścia (bezpieczniej niż --password, które widać na liście ' +
    'procesów)',
  'Bez hasła nowe konto dostaje e-mailem zaproszenie z linkiem do ustalenia hasła (ważnym 72 godziny);',
  'hasło podane tutaj właściciel konta musi zmienić przy pierwszym logowaniu.',
].join('\n');

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      unit: { type: 'string', multiple: true },
      name: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  fail(`Nieprawidłowe argumenty: ${(err as Error).message}\n${USAGE}`);
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (args.values.password !== undefined && args.values['password-stdin'])
  fail('Podaj hasło albo przez --password, albo przez --password-stdin, nie obiema opcjami.');

let password = args.values.password;
if (args.values['password-stdin']) {
  let input: string;
  try {
    input = fs.readFileSync(0, 'utf8');
  } catch (err) {
    fail(`Nie można odczytać hasła z wejścia: ${(err as Error).message}`);
  }
  password = input.split(/\r?\n/, 1)[0] ?? '';
  if (password === '') fail('Pierwszy wiersz wejścia jest pusty: podaj hasło (co najmniej 12 znaków).');
}

const parsed = userAddArgsSchema.safeParse({ ...args.values, password });
if (!parsed.success) fail(parsed.error.issues.map((i) => i.message).join('\n'));

let config;
try {
  config = loadConfig();
} catch (err) {
  fail((err as Error).message);
}

let database: Database | undefined;
try {
  database = openDatabase(config.databasePath);
  const result = await addAccountFromCommandLine(database.db, parsed.data);
  const what = `${result.email} (${ROLE_LABELS[result.role]}${parsed.data.unit.length ? `: ${parsed.data.unit.join('; ')}` : ''})`;
  const lines = [result.created ? `Utworzono konto ${what}.` : `Zaktualizowano konto ${what}; konto jest aktywne.`];
  if (result.invited) {
    lines.push(
      `${result.created ? 'Zaproszenie' : 'Ta osoba nie ustaliła jeszcze hasła: nowe zaproszenie'} z linkiem do ` +
        'ustalenia hasła (ważnym 72 godziny od wysłania) czeka w kolejce poczty; wyśle je działający serwer ' +
        '(bez SMTP_URL zapisze je jako plik .eml w folderze poczty).',
    );
  } else if (parsed.data.password) {
    if (!result.created) lines.push('Hasło zostało zmienione; otwarte sesje tego konta zostały zakończone.');
    lines.push('Przy pierwszym logowaniu trzeba będzie ustalić własne hasło w miejsce podanego tutaj.');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (err) {
  if (err instanceof AccountError) fail(`${err.message}\nBaza danych nie została zmieniona.`);
  if (err instanceof DatabaseNewerThanCodeError) fail(`Nie zmieniono kont: ${err.message}.`);
  throw err;
} finally {
  database?.close();
}
