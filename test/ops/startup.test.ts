import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_VERSION } from '../../src/version.js';
import { databaseFromNewerCode } from '../db/newer-database.js';
import {
  type AppFolder,
  BUILD_TIMEOUT_MS,
  dataFolder,
  ensureBuilt,
  otherUsersAppFolder,
  type Run,
  seededDatabase as seededDatabaseIn,
  startServer,
  stopAll,
} from '../server-process.js';

/** Where the server runs as another user (as root: nobody, from the clone or a copy it can reach). */
let other: AppFolder;
beforeAll(async () => {
  await ensureBuilt();
  other = await otherUsersAppFolder();
  if ('skip' in other) console.warn(`test/ops/startup: the tests as another user are skipped – ${other.skip}`);
}, BUILD_TIMEOUT_MS);
afterAll(stopAll);

const otherUser = () => ('user' in other ? other.user : undefined);
const sharedTempDir = () => dataFolder(otherUser());
const seededDatabase = (dir: string) => seededDatabaseIn(dir, undefined, otherUser());

/** Runs the server as the other user, or skips the test saying why it cannot. */
function startAsOtherUser(ctx: { skip: (note: string) => never }, env: Record<string, string>) {
  if ('skip' in other) return ctx.skip(other.skip);
  return startServer(env, { user: other.user, appRoot: other.appRoot });
}

function expectOnePolishLine(run: Run, ...parts: string[]) {
  expect(run.code, run.stderr).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^Nie można uruchomić serwera: /);
  for (const part of parts) expect(lines[0]).toContain(part);
  expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  expect(run.stdout).not.toContain('Serwis działa');
}

describe('start-up failures: one Polish line, exit code 1', { timeout: 120_000 }, () => {
  it('the port is already in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dir = sharedTempDir();
      const run = await startServer({ DATABASE_URL: seededDatabase(dir), PORT: String(port) }).exited;
      expectOnePolishLine(run, `port ${port}`, 'jest już zajęty', 'PORT');
    } finally {
      blocker.close();
    }
  });

  it('the database was migrated by a newer version of the code', async () => {
    const { file } = databaseFromNewerCode(path.join(sharedTempDir(), 'konsultacje.sqlite'));
    const run = await startServer({ DATABASE_URL: file, PORT: '0' }).exited;
    expectOnePolishLine(run, file, 'pochodzi z nowszej wersji programu', `(${APP_VERSION})`, 'npm run restore');
  });

  it('the database file is read-only', async (ctx) => {
    const dir = sharedTempDir();
    const file = seededDatabase(dir);
    fs.chmodSync(file, 0o444);
    const run = await startAsOtherUser(ctx, { DATABASE_URL: file, PORT: '0', HOME: dir }).exited;
    expectOnePolishLine(run, file, 'tylko do odczytu');
  });

  it('the data folder cannot be written', async (ctx) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-ops-'));
    fs.chmodSync(dir, 0o555); // root-owned when run as root: nobody cannot write in it either
    const file = path.join(dir, 'nowa.sqlite');
    const run = await startAsOtherUser(ctx, { DATABASE_URL: file, PORT: '0', HOME: os.tmpdir() }).exited;
    expectOnePolishLine(run, file, 'nie można otworzyć ani utworzyć pliku bazy danych');
  });
});

describe('configuration refused at start-up', { timeout: 120_000 }, () => {
  it('TRUST_PROXY=true: exit code 1, in Polish, naming the variable and what to give instead', async () => {
    const dir = sharedTempDir();
    const started = startServer({ DATABASE_URL: seededDatabase(dir), PORT: '0', TRUST_PROXY: 'true' });
    // a server that accepted the value would run until stopped: stop it, and let the assertions say why
    const watch = setInterval(() => {
      if (started.output().stdout.includes('Serwis działa')) started.child.kill('SIGTERM');
    }, 50);
    const run = await started.exited;
    clearInterval(watch);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('Nieprawidłowa konfiguracja w zmiennych środowiskowych:');
    expect(run.stderr).toContain('TRUST_PROXY: wartość true nie jest dozwolona');
    expect(run.stderr).toContain('(TRUST_PROXY=1');
    expect(run.stderr).toContain('adresy pośredników');
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(run.stdout).not.toContain('Serwis działa');
  });
});

describe('a running server', { timeout: 120_000 }, () => {
  it('answers an over-long address with a Polish 431 page, not Node’s or Fastify’s JSON', async () => {
    const dir = sharedTempDir();
    const started = startServer({ DATABASE_URL: seededDatabase(dir), PORT: '0', LOG_LEVEL: 'info' });
    const port = await started.port();
    const ok = await fetch(`http://127.0.0.1:${port}/proposals/abc`);
    expect(ok.status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/?q=${'a'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const body = await res.text();
    expect(body).toContain('<html lang="pl">');
    expect(body).toContain('Adres strony lub nagłówki żądania są zbyt długie.');
    expect(body).not.toMatch(/Request Header Fields Too Large|Exceeded/);
    started.child.kill('SIGTERM');
    expect((await started.exited).code).toBe(0);
  });

  it('logs every request at LOG_LEVEL=info without the tokens of subscription links', async () => {
    const dir = sharedTempDir();
    const started = startServer({ DATABASE_URL: seededDatabase(dir), PORT: '0', LOG_LEVEL: 'info' });
    const port = await started.port();
    const secret = 'Tajny_token-z-linku-w-mailu-123';
    for (const link of ['manage', 'confirm', 'unsubscribe']) {
      expect((await fetch(`http://127.0.0.1:${port}/subscriptions/${link}?token=${secret}`)).status).toBe(404);
    }
    started.child.kill('SIGTERM');
    const { stdout } = await started.exited;
    expect(stdout).not.toContain(secret);
    for (const link of ['manage', 'confirm', 'unsubscribe']) {
      expect(stdout).toContain(`"url":"/subscriptions/${link}?token=[redacted]"`);
    }
  });
});
