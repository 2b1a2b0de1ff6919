import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/admin/accounts.js';
import { openDatabase } from '../../src/db/client.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { TEST_PASSWORD, TEST_SCRYPT_COST } from '../helpers.js';
import { BUILD_TIMEOUT_MS, ensureBuilt, startServer } from '../server-process.js';

/**
 * A disk that is really full, as the issue reproduced it: the database on a small tmpfs that another
 * file has filled, the server a child process. Unlike PRAGMA max_page_count (test/ops/disk-full.test.ts,
 * the file may not grow), here the write-ahead log cannot grow either, so every write fails – a staff
 * member's session touch and a login's session row included. Mounting a tmpfs needs root (and a
 * machine that lets root mount); where it cannot, the test is skipped and says why in the output:
 * test/ops/disk-full.test.ts still covers the same answers with PRAGMA max_page_count.
 */
const EMAIL = 'admin@torun.test';

function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function unmount(dir: string) {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  }
}

const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-tmpfs-probe-'));
const canMount = process.getuid?.() === 0 && mountTmpfs(probe, '1m');
if (canMount) unmount(probe);
fs.rmdirSync(probe);
if (!canMount) console.warn('test/ops/disk-full-server: skipped – mounting a tmpfs needs root and CAP_SYS_ADMIN here');

/** A browser over fetch: keeps cookies, finds the CSRF token in the last page, never follows redirects. */
class Client {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly base: string) {}

  async request(url: string, init: { method?: string; form?: Record<string, string>; accept?: string } = {}) {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (init.accept) headers.accept = init.accept;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ _csrf: this.csrf, ...init.form }).toString();
    }
    const res = await fetch(`${this.base}${url}`, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, ...rest] = pair!.split('=');
      if (/expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name!);
      else this.cookies.set(name!, rest.join('='));
    }
    const text = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text);
    if (token) this.csrf = token[1]!;
    return { status: res.status, headers: res.headers, text };
  }

  async login(password = TEST_PASSWORD) {
    await this.request('/login');
    return this.request('/login', { method: 'POST', form: { email: EMAIL, password } });
  }
}

describe.skipIf(!canMount)('a full disk under a running server', { timeout: 120_000 }, () => {
  let dir: string;
  let file: string;
  let filler: string;
  let server: ChildProcess;
  let exited: Promise<number | null>;
  let output: () => { stderr: string };
  let base: string;
  let admin: Client;
  let proposalId: number;

  const sessionRows = () => {
    const reader = new SQLite(file, { readonly: true });
    try {
      return reader.prepare('SELECT expires_at, data FROM sessions').all();
    } finally {
      reader.close();
    }
  };

  /** Fills the file system with another file, down to its last free page. */
  function fillTheDisk() {
    const fd = fs.openSync(filler, 'w');
    try {
      for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9]) {
        const chunk = Buffer.alloc(size, 0x78);
        try {
          for (;;) fs.writeSync(fd, chunk);
        } catch (err) {
          expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.statfsSync(dir).bavail).toBe(0);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-full-'));
    expect(mountTmpfs(dir, '8m'), 'mount -t tmpfs').toBe(true);
    file = path.join(dir, 'konsultacje.sqlite');
    filler = path.join(dir, 'wypelniacz.bin');
    const database = openDatabase(file);
    importTorun2026(database.db);
    await upsertUser(
      database.db,
      { email: EMAIL, role: 'admin', unitNames: [], password: TEST_PASSWORD },
      TEST_SCRYPT_COST,
    );
    proposalId = (database.sqlite.prepare('SELECT id FROM proposals WHERE lp = 11').get() as { id: number }).id;
    database.close();

    await ensureBuilt();
    const started = startServer({
      DATABASE_URL: file,
      PORT: '0',
      LOG_LEVEL: 'info',
      MAIL_WORKER: 'false',
      SESSION_SECRET: 'x'.repeat(40),
    });
    server = started.child;
    exited = started.exited.then((r) => r.code);
    const port = await started.port();
    output = started.output;
    base = `http://127.0.0.1:${port}`;
    admin = new Client(base);
    expect((await admin.login()).status).toBe(303);
    expect((await admin.request('/staff')).status).toBe(200);
    fillTheDisk();
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) {
      unmount(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a staff write with the Polish 503 (the disk really is full)', async () => {
    await admin.request(`/staff/proposals/${proposalId}`);
    const res = await admin.request(`/proposals/${proposalId}/notes`, { method: 'POST', form: { text: 'Notatka.' } });
    expect(res.status).toBe(503);
    expect(res.text).toContain('Brak miejsca na dysku serwera');
  });

  it('keeps signed-in pages readable: the session touch is skipped, not the page', async () => {
    const before = sessionRows();
    for (const url of ['/staff', `/staff/proposals/${proposalId}`, '/account', '/']) {
      const res = await admin.request(url);
      expect(res.status, `${url}: ${res.text.slice(0, 300)}`).toBe(200);
      expect(res.text).toContain(EMAIL);
    }
    // nothing could be written: the idle limit counts from the last request that could be recorded
    expect(sessionRows()).toEqual(before);
  });

  it('keeps the public pages and the export readable', async () => {
    for (const url of ['/', `/proposals/${proposalId}`, '/units', '/export/proposals.json']) {
      expect((await fetch(`${base}${url}`)).status, url).toBe(200);
    }
  });

  it('says on the login form why logging in does not work now, and signs nobody in', async () => {
    const visitor = new Client(base);
    expect((await visitor.request('/login')).status).toBe(200);
    const res = await visitor.request('/login', { method: 'POST', form: { email: EMAIL, password: TEST_PASSWORD } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('300');
    expect(res.text).toContain('Nie można się teraz zalogować: na dysku serwera zabrakło miejsca');
    // it is the login form, with the e-mail kept, to try again later
    expect(res.text).toContain('<label for="email">Adres e-mail</label>');
    expect(res.text).toContain(`value="${EMAIL}"`);
    expect([...visitor.cookies.keys()]).not.toContain('sid');
    // a wrong password is still told as such: the check needs no writing
    const wrong = await visitor.request('/login', { method: 'POST', form: { email: EMAIL, password: 'zle-haslo' } });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('Nieprawidłowy adres e-mail lub hasło.');
  });

  it('signs a browser out all the same (its session row waits for its idle limit)', async () => {
    // a copy of the signed-in browser (the original goes on below)
    const other = new Client(base);
    for (const [name, value] of admin.cookies) other.cookies.set(name, value);
    expect((await other.request('/staff')).status).toBe(200);
    const out = await other.request('/logout', { method: 'POST', form: {} });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/');
    expect(other.cookies.has('sid')).toBe(false);
    expect((await other.request('/staff')).status).toBe(303);
  });

  it('reports the database as read-only in /healthz while writes fail', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'error', database: 'read-only', migrations: 'current' });
  });

  it('works again as soon as there is room: health, login, writes', async () => {
    fs.rmSync(filler);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' });
    const visitor = new Client(base);
    expect((await visitor.login()).status).toBe(303);
    expect((await visitor.request('/staff')).status).toBe(200);
    await admin.request(`/staff/proposals/${proposalId}`);
    const note = await admin.request(`/proposals/${proposalId}/notes`, { method: 'POST', form: { text: 'Notatka.' } });
    expect(note.status).toBe(303);
    // the server never stopped
    expect(server.exitCode).toBeNull();
    expect(output().stderr).not.toMatch(/uncaught|unhandled/i);
  });
});
