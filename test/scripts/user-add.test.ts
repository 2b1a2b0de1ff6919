import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.js';
import { ensureFirstAdmin } from '../../src/auth/bootstrap.js';
import { Agent, build, createUser, tempDatabasePath, type App } from '../helpers.js';
import { later, linkIn } from '../notifications/fixtures.js';
import { startSmtpSink } from '../notifications/smtp.js';
import { sendNewPassword, tokenOf } from '../auth/links.js';
import { BUILD_TIMEOUT_MS, cliEntry, ensureBuilt } from '../server-process.js';

beforeAll(ensureBuilt, BUILD_TIMEOUT_MS);

let app: App;
let databasePath: string;

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the script as an operator would, with only the environment it needs (no vitest leftovers). */
function userAdd(args: string[], stdin?: string, database = databasePath): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry('user-add'), ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const accounts = () => ({
  users: app.database.sqlite.prepare('SELECT * FROM users ORDER BY id').all(),
  userUnits: app.database.sqlite.prepare('SELECT * FROM user_units ORDER BY user_id, unit_id').all(),
});
const row = (email: string) =>
  app.database.sqlite
    .prepare('SELECT id, email, name, role, active, password_hash FROM users WHERE email = ?')
    .get(email) as
    | { id: number; email: string; name: string; role: string; active: number; password_hash: string }
    | undefined;
const unitsOf = (id: number) =>
  (
    app.database.sqlite
      .prepare(
        'SELECT u.name FROM user_units uu JOIN units u ON u.id = uu.unit_id WHERE uu.user_id = ? ORDER BY u.name',
      )
      .all(id) as { name: string }[]
  ).map((r) => r.name);

beforeAll(async () => {
  databasePath = tempDatabasePath('cli');
  app = await build({ databasePath });
});
afterAll(async () => {
  await app.close();
});

const badRuns: [string[], string, string?][] = [
  [
    ['--email', 'nowy@torun.test', '--role', 'unit', '--unit', 'Wydział Magii'],
    'Nie ma jednostki „Wydział Magii” w katalogu.',
  ],
  [
    [
      '--email',
      'nowy@torun.test',
      '--role',
      'unit',
      '--unit',
      'działy, jednostki GMT posiadające dokumenty strategiczne',
    ],
    'to grupa jednostek, a nie jednostka',
  ],
  [['--email', 'nowy@torun.test', '--role', 'unit'], 'musi mieć przypisaną co najmniej jedną jednostkę'],
  [
    ['--email', 'jednostka@torun.test', '--role', 'unit', '--password', 'Dobre-haslo-1234'],
    'musi mieć przypisaną co najmniej jedną jednostkę',
  ],
  [['--email', 'nowy@torun.test', '--role', 'boss'], 'Nieznana rola'],
  [['--email', 'nowy@torun.test'], 'Podaj rolę'],
  [['--role', 'admin'], 'Podaj adres e-mail'],
  [['--email', 'to-nie-adres', '--role', 'admin'], 'Podaj prawidłowy adres e-mail'],
  [
    ['--email', 'nowy@torun.test', '--role', 'admin', '--password', 'krotkie'],
    'Hasło musi mieć co najmniej 12 znaków.',
  ],
  [
    ['--email', 'nowy@torun.test', '--role', 'admin', '--password-stdin'],
    'Hasło musi mieć co najmniej 12 znaków.',
    'krotkie\n',
  ],
  [['--email', 'nowy@torun.test', '--role', 'admin', '--password-stdin'], 'Pierwszy wiersz wejścia jest pusty', ''],
  [
    ['--email', 'nowy@torun.test', '--role', 'admin', '--password', 'Dobre-haslo-1234', '--password-stdin'],
    'nie obiema opcjami',
    'Dobre-haslo-1234\n',
  ],
  [
    ['--email', 'nowy@torun.test', '--role', 'reviewer', '--unit', 'Wydział Kultury'],
    'Opcja --unit dotyczy tylko roli unit',
  ],
  [['--email', 'nowy@torun.test', '--role', 'admin', '--bogus'], 'Nieprawidłowe argumenty'],
];

describe('npm run user:add', () => {
  it('creates an account without a password: its owner is invited by mail, sent by the server, to choose one', async () => {
    const sink = await startSmtpSink();
    const fresh = tempDatabasePath('cli-invite');
    const server = await build({ databasePath: fresh, mail: { smtpUrl: sink.url } });
    try {
      const args = ['--email', 'Biuro@Torun.test', '--role', 'admin', '--name', 'Biuro Dialogu'];
      const run = await userAdd(args, undefined, fresh);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Utworzono konto biuro@torun.test (Biuro Dialogu (administrator)).');
      expect(run.stdout).toContain(
        'Zaproszenie z linkiem do ustalenia hasła (ważnym 72 godziny od wysłania) czeka w kolejce poczty',
      );
      expect(run.stdout).not.toContain('Hasło początkowe');
      const db = server.database.sqlite;
      const user = db
        .prepare('SELECT id, name, role, active, password_hash FROM users WHERE email = ?')
        .get('biuro@torun.test') as { id: number; password_hash: string };
      expect(user).toMatchObject({ name: 'Biuro Dialogu', role: 'admin', active: 1, password_hash: '' });
      // still without a password, a second run invites again
      const again = await userAdd(args, undefined, fresh);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Ta osoba nie ustaliła jeszcze hasła: nowe zaproszenie');
      expect(
        db.prepare('SELECT actor_id, action, after FROM audit_log WHERE subject_id = ? ORDER BY id').all(user.id),
      ).toEqual([
        { actor_id: null, action: 'account.created', after: expect.any(String) },
        { actor_id: null, action: 'account.invitation-sent', after: JSON.stringify({ by: 'cli' }) },
        { actor_id: null, action: 'account.invitation-sent', after: JSON.stringify({ by: 'cli' }) },
      ]);

      // the running server's worker sends what the command line queued
      expect(await server.mailWorker.runOnce(later(1))).toMatchObject({ sent: 2 });
      const path = linkIn(sink.to('biuro@torun.test').at(-1)!.parsed.text ?? '', '/password/new');
      const owner = new Agent(server);
      await owner.get(path);
      const set = await sendNewPassword(owner, tokenOf(path), 'Haslo-Biura-Dialogu');
      expect(set.statusCode).toBe(303);
      const login = await new Agent(server).login('biuro@torun.test', 'Haslo-Biura-Dialogu');
      expect(login.headers.location).toBe('/staff');
      // with a password of its own, a run without one leaves it alone
      const withOwnPassword = await userAdd(args, undefined, fresh);
      expect(withOwnPassword.stdout).not.toContain('zaproszenie');
      expect(db.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'account-invitation'").get()).toEqual({ n: 2 });
    } finally {
      await server.close();
      await sink.stop();
    }
  }, 60_000);

  it('creates unit staff with several units and a password read from standard input', async () => {
    const run = await userAdd(
      [
        '--email',
        'kultura@torun.test',
        '--role',
        'unit',
        '--unit',
        'Wydział Kultury',
        '--unit',
        'Toruńska Agenda Kulturalna',
        '--password-stdin',
      ],
      'Haslo-z-wejscia-123\nto jest drugi wiersz\n',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Utworzono konto kultura@torun.test (pracownik jednostki: Wydział Kultury; Toruńska Agenda Kulturalna).',
    );
    expect(run.stdout).not.toContain('Hasło początkowe');
    const user = row('kultura@torun.test')!;
    expect(unitsOf(user.id)).toEqual(['Toruńska Agenda Kulturalna', 'Wydział Kultury']);
    expect(await verifyPassword('Haslo-z-wejscia-123', user.password_hash)).toBe(true);
    // the default (strong) scrypt cost, not the tests' cheap one
    expect(user.password_hash.startsWith(`scrypt$${2 ** 17}$`)).toBe(true);
    expect(run.stdout).toContain('Przy pierwszym logowaniu trzeba będzie ustalić własne hasło');
    // a password typed here is its owner's only to replace it
    const login = await new Agent(app).login('kultura@torun.test', 'Haslo-z-wejscia-123');
    expect(login.headers.location).toBe('/account');
  });

  it('updates the account on a second run, keeping the password unless one is given, and reactivates it', async () => {
    const before = row('kultura@torun.test')!;
    app.database.sqlite.prepare('UPDATE users SET active = 0 WHERE id = ?').run(before.id);
    const run = await userAdd([
      '--email',
      'KULTURA@torun.test',
      '--role',
      'unit',
      '--unit',
      'Wydział Edukacji',
      '--name',
      'Ewa Kultura',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Zaktualizowano konto kultura@torun.test');
    expect(run.stdout).not.toContain('Hasło');
    const after = row('kultura@torun.test')!;
    expect(after).toMatchObject({
      id: before.id,
      name: 'Ewa Kultura',
      role: 'unit',
      active: 1,
      password_hash: before.password_hash,
    });
    expect(unitsOf(after.id)).toEqual(['Wydział Edukacji']);

    const withPassword = await userAdd([
      '--email',
      'kultura@torun.test',
      '--role',
      'reviewer',
      '--password',
      'Calkiem-nowe-haslo',
    ]);
    expect(withPassword.code).toBe(0);
    expect(withPassword.stdout).toContain('Hasło zostało zmienione; otwarte sesje tego konta zostały zakończone.');
    const reviewer = row('kultura@torun.test')!;
    expect(reviewer).toMatchObject({ role: 'reviewer', name: 'Ewa Kultura' });
    expect(unitsOf(reviewer.id)).toEqual([]);
    await new Agent(app).login('kultura@torun.test', 'Calkiem-nowe-haslo');
    expect(
      app.database.sqlite.prepare('SELECT count(*) AS n FROM users WHERE email = ?').get('kultura@torun.test'),
    ).toEqual({ n: 1 });
  });

  describe('refuses bad input with a Polish message and exit code 1, leaving the database unchanged', () => {
    beforeAll(async () => {
      await createUser(app, 'jednostka@torun.test', 'unit', ['Wydział Kultury']);
    });
    for (const [args, message, stdin] of badRuns) {
      it(`${args.join(' ')}${stdin === undefined ? '' : ` < ${JSON.stringify(stdin)}`}`, async () => {
        const before = accounts();
        const run = await userAdd(args, stdin);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(message);
        expect(run.stdout).toBe('');
        expect(accounts()).toEqual(before);
      });
    }
  });

  it('a new password ends every open session of the account, and the change goes to the audit log', async () => {
    const id = await createUser(app, 'sesje@torun.test', 'reviewer');
    const first = new Agent(app);
    await first.login('sesje@torun.test');
    const second = new Agent(app);
    await second.login('sesje@torun.test');
    const count = () => app.database.sqlite.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').get(id);
    expect(count()).toEqual({ n: 2 });
    const args = ['--email', 'sesje@torun.test', '--role', 'reviewer', '--password-stdin'];
    const run = await userAdd(args, 'Nowe-haslo-z-konsoli\n');
    expect(run.code).toBe(0);
    expect(count()).toEqual({ n: 0 });
    expect((await first.get('/staff')).statusCode).toBe(303);
    const entry = app.database.sqlite
      .prepare("SELECT actor_id, after FROM audit_log WHERE subject_id = ? AND action = 'account.password-changed'")
      .get(id);
    expect(entry).toEqual({ actor_id: null, after: JSON.stringify({ by: 'cli', endedSessions: 2 }) });
    await new Agent(app).login('sesje@torun.test', 'Nowe-haslo-z-konsoli');
  }, 60_000);

  it('sets a new password for the first admin, admin@localhost, as the start-up text says', async () => {
    const fresh = tempDatabasePath('cli-first-admin');
    const other = await build({ databasePath: fresh, seed: false });
    try {
      const first = await ensureFirstAdmin(other.database.db);
      expect(first?.email).toBe('admin@localhost');
      const created = other.database.sqlite.prepare('SELECT actor_id, action, subject_label FROM audit_log').all();
      expect(created).toEqual([{ actor_id: null, action: 'account.created', subject_label: 'admin@localhost' }]);
      const args = ['--email', 'admin@localhost', '--role', 'admin', '--password-stdin'];
      const run = await userAdd(args, 'Haslo-pierwszego-admina\n', fresh);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Zaktualizowano konto admin@localhost');
      await new Agent(other).login('admin@localhost', 'Haslo-pierwszego-admina');
      // other made-up domains are still refused
      const bad = await userAdd(['--email', 'ktos@localhost', '--role', 'admin'], undefined, fresh);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('Podaj prawidłowy adres e-mail');
    } finally {
      await other.close();
    }
  }, 90_000);

  it('will not demote the last active admin', async () => {
    const fresh = tempDatabasePath('cli-last-admin');
    const other = await build({ databasePath: fresh, seed: false });
    try {
      await createUser(other, 'jedyny@torun.test', 'admin');
      const run = await userAdd(['--email', 'jedyny@torun.test', '--role', 'reviewer'], undefined, fresh);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('jedyny@torun.test to jedyne aktywne konto administratora');
      expect(other.database.sqlite.prepare('SELECT role FROM users').get()).toEqual({ role: 'admin' });
    } finally {
      await other.close();
    }
  });
});
