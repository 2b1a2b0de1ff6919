import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppFolder,
  asRoot,
  BUILD_TIMEOUT_MS,
  childrenOf,
  ensureBuilt,
  otherUsersAppFolder,
  root,
  SERVER_ENTRY,
  startProcess,
  startServer,
  stopAll,
} from '../server-process.js';

/** The command line of a running process, as `ps` shows it. */
const commandLine = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

const running = (pid: number) => fs.existsSync(`/proc/${pid}`);

async function waitUntilGone(pid: number) {
  for (let i = 0; i < 400 && running(pid); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  return !running(pid);
}

/** No compiler or loader: plain node, the production flags, the built entry point, and no helper process. */
function expectPlainNode(pid: number, appRoot: string) {
  const argv = commandLine(pid);
  const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
  expect(path.basename(argv[0]!)).toBe('node');
  expect(argv.slice(1, -1)).toEqual(['--no-allocation-site-pretenuring']);
  expect(path.resolve(cwd, argv.at(-1)!)).toBe(path.join(appRoot, SERVER_ENTRY));
  expect(argv.join(' ')).not.toMatch(/tsx|esbuild|--import|--loader|--require|--experimental/);
  expect(childrenOf(pid)).toEqual([]);
}

let other: AppFolder;
beforeAll(async () => {
  await ensureBuilt();
  other = await otherUsersAppFolder();
}, BUILD_TIMEOUT_MS);
afterAll(stopAll);

describe('the production build', { timeout: 120_000 }, () => {
  it('runs as an unprivileged user from a read-only app folder, writing only its data folder', async (ctx) => {
    if (!asRoot) ctx.skip('needs root: the server runs as another user (nobody), to whom the app folder is read-only');
    if ('skip' in other) return ctx.skip(other.skip);
    const { appRoot, user } = other;
    expect(fs.statSync(appRoot).uid).not.toBe(user!.uid);
    // the one writable folder, as the systemd unit's StateDirectory= makes it
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-data-'));
    fs.chownSync(data, user!.uid, user!.gid);
    fs.chmodSync(data, 0o700);
    const server = startServer(
      {
        DATABASE_URL: path.join(data, 'konsultacje.sqlite'),
        PORT: '0',
        LOG_LEVEL: 'info',
        // as under ProtectSystem=strict with no home: no temporary folder, no home folder to write in
        TMPDIR: '/nonexistent/tmp',
        HOME: '/nonexistent',
      },
      { user, appRoot },
    );
    const port = await server.port();
    expectPlainNode(server.child.pid!, appRoot);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const home = await fetch(`http://127.0.0.1:${port}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('LP 16');
    // the first start imported the Toruń table, made the first admin, the secret and the mail folder: all in data/
    expect(fs.readdirSync(data).sort()).toEqual(
      expect.arrayContaining(['konsultacje.sqlite', 'konsultacje.sqlite.session-secret']),
    );
    for (const name of fs.readdirSync(data)) expect(fs.statSync(path.join(data, name)).uid).toBe(user!.uid);

    server.child.kill('SIGTERM');
    const run = await server.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('npm start runs the build; killing the process npm start started stops the server, none left over', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-npm-'));
    const env = {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? os.tmpdir(),
      DATABASE_URL: path.join(data, 'konsultacje.sqlite'),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    };
    for (const kill of ['the server npm started', 'npm itself'] as const) {
      const npm = startProcess('npm', ['start'], { env, cwd: root });
      await npm.port();
      const children = childrenOf(npm.child.pid!);
      expect(children, 'npm start runs one process: the server itself, not a shell or a loader above it').toHaveLength(
        1,
      );
      const server = children[0]!;
      expectPlainNode(server, root);
      process.kill(kill === 'npm itself' ? npm.child.pid! : server, 'SIGTERM');
      const run = await npm.exited;
      expect(await waitUntilGone(server), `${kill} killed: the server is gone`).toBe(true);
      if (kill === 'the server npm started') expect(run.code, run.stderr).toBe(0);
    }
  });
});
