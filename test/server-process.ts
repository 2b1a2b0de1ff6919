import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openDatabase } from '../src/db/client.js';

/**
 * The server as production runs it – `node` on the build in dist/ (npm run build), no compiler or loader in
 * the process – started as a child process by the tests that are about the running process (start-up,
 * signals, another user, a full disk, the proxy in front).
 */
export const root = path.resolve(import.meta.dirname, '..');
/** The V8 flags `npm start` and the systemd unit give node (see README, "Speed"). */
export const NODE_FLAGS = ['--no-allocation-site-pretenuring'];
export const SERVER_ENTRY = 'dist/server.js';

let built: Promise<void> | undefined;

/**
 * Builds dist/ unless it was built from exactly these sources (scripts/build.mjs --if-needed): the first test
 * file of a run that needs it builds, the others find it current (a lock keeps two from building at once).
 */
export function ensureBuilt(): Promise<void> {
  built ??= promisify(execFile)(process.execPath, [path.join(root, 'scripts/build.mjs'), '--if-needed'], {
    cwd: root,
  }).then(() => undefined);
  return built;
}
/** For beforeAll: a cold build on a loaded machine takes longer than a hook's usual timeout. */
export const BUILD_TIMEOUT_MS = 300_000;

export type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };
export type User = { uid: number; gid: number };

export type Started = {
  child: ChildProcess;
  /** the exit; rejects at once when the process could not be started at all (spawn error) */
  exited: Promise<Run>;
  output: () => { stdout: string; stderr: string };
  /** the port pino logs it listens on (needs LOG_LEVEL=info; PORT=0 picks a free one) */
  port: () => Promise<number>;
};

const started: ChildProcess[] = [];

/** Spawns `command` with the output collected; a spawn error (EACCES, ENOENT) rejects `exited` at once. */
export function startProcess(
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; user?: User },
): Started {
  const child = spawn(command, args, { cwd: opts.cwd ?? root, env: opts.env, ...(opts.user ?? {}) });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<Run>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${command} could not be started: ${err.message}`)));
    child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  // the rejection is the test's to see through `exited` or `port()`, not an unhandled one
  exited.catch(() => {});
  const port = () =>
    new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /"msg":"Server listening at http:\/\/[^"]*:(\d+)"/.exec(stdout);
        if (m) {
          clearInterval(timer);
          resolve(Number(m[1]));
        }
      }, 25);
      exited.then(
        (r) => {
          clearInterval(timer);
          reject(new Error(`server exited (${r.code ?? r.signal}): ${r.stderr}`));
        },
        (err) => {
          clearInterval(timer);
          reject(err);
        },
      );
    });
  return { child, exited, output: () => ({ stdout, stderr }), port };
}

/** Starts the built server (`appRoot`: the app folder to run it from, e.g. a copy another user can reach). */
export function startServer(
  env: Record<string, string>,
  opts: { user?: User; appRoot?: string; nodeFlags?: string[] } = {},
): Started {
  const appRoot = opts.appRoot ?? root;
  return startProcess(process.execPath, [...(opts.nodeFlags ?? NODE_FLAGS), path.join(appRoot, SERVER_ENTRY)], {
    cwd: appRoot,
    user: opts.user,
    env: { PATH: process.env.PATH!, HOME: env.HOME ?? os.tmpdir(), LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
  });
}

/** The processes whose parent is `pid`, read from /proc. */
export function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // the field after the parenthesised name: state, then the parent's pid
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
}

/** Every process below `pid` (npm's server, nginx's workers). */
export function descendants(pid: number): number[] {
  return childrenOf(pid).flatMap((child) => [child, ...descendants(child)]);
}

/** Ends every process the file started that is still running, and what those started (afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    started
      .filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined)
      .map((c) => {
        const gone = new Promise((resolve) => c.once('exit', resolve));
        // below it first: killed after its parent, a child would be left running on its own
        for (const pid of descendants(c.pid!)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // ended meanwhile
          }
        }
        c.kill('SIGKILL');
        return gone;
      }),
  );
}

/** A folder for the server's data, owned by `user` when given (so that user may write in it). */
export function dataFolder(user?: User): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-ops-'));
  if (user) fs.chownSync(dir, user.uid, user.gid);
  return dir;
}

/**
 * A migrated database in `dir`, owned by `user` when given: with a consultation, so that the server does not
 * import the Toruń data, or with `prepare` filling it in.
 */
export function seededDatabase(
  dir: string,
  prepare?: (database: ReturnType<typeof openDatabase>) => void,
  user?: User,
): string {
  const file = path.join(dir, 'konsultacje.sqlite');
  const database = openDatabase(file);
  if (prepare) prepare(database);
  else
    database.sqlite.exec(
      "INSERT INTO consultations (slug, title, created_at) VALUES ('x', 'x', '2026-11-26T00:00:00Z')",
    );
  database.close();
  if (user) for (const f of fs.readdirSync(dir)) fs.chownSync(path.join(dir, f), user.uid, user.gid);
  return file;
}

// ---- another user -------------------------------------------------------------------------------

/** root ignores file modes: what a read-only file or folder means is tried as another user. */
export const asRoot = process.getuid?.() === 0;
export const NOBODY: User = { uid: 65534, gid: 65534 };

/** What the built app reads at run time: everything else in the clone (sources, tests, dev tools) it never opens. */
const RUNTIME_ENTRIES = ['package.json', 'dist', 'migrations', 'views', 'static', 'data'];

/** Whether `user` can run node and read the app's entry point and one of its packages there. */
function canRun(user: User, appRoot: string): string | null {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      'for (const f of process.argv.slice(1)) require("fs").accessSync(f, require("fs").constants.R_OK)',
      path.join(appRoot, SERVER_ENTRY),
      path.join(appRoot, 'node_modules/fastify/package.json'),
      path.join(appRoot, 'migrations/meta/_journal.json'),
    ],
    { ...user, encoding: 'utf8' },
  );
  if (probe.error) return `${process.execPath}: ${probe.error.message}`;
  if (probe.status !== 0)
    return (
      probe.stderr
        .trim()
        .split('\n')
        .find((l) => l.includes('Error')) ?? probe.stderr
    );
  return null;
}

/** The packages the server needs (`npm ls --omit=dev`): dev tools are not copied. */
function productionPackages(): string[] {
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: root, encoding: 'utf8' });
  if (ls.status !== 0 && !ls.stdout) throw new Error(`npm ls: ${ls.stderr}`);
  return ls.stdout
    .split('\n')
    .filter((p) => p.startsWith(path.join(root, 'node_modules') + path.sep))
    .map((p) => path.relative(root, p));
}

/** Hard links where the file system allows (no bytes copied), copies elsewhere; modes kept, owner root. */
function linkTree(from: string, to: string) {
  const stat = fs.lstatSync(from);
  if (stat.isDirectory()) {
    fs.mkdirSync(to, { recursive: true, mode: 0o755 });
    for (const entry of fs.readdirSync(from)) linkTree(path.join(from, entry), path.join(to, entry));
  } else if (stat.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(from), to);
  } else {
    try {
      fs.linkSync(from, to);
    } catch {
      fs.copyFileSync(from, to);
    }
  }
}

/**
 * A copy of what the built app needs, for a user who cannot reach the clone (a clone inside /root, mode 0700):
 * root-owned and world-readable, so that user can run it but write nothing in it – as a read-only app folder.
 * Made once per build (its hash names the folder) and shared by the test files of a run.
 */
function reachableCopy(): string {
  const { sourceHash } = JSON.parse(fs.readFileSync(path.join(root, 'dist/BUILD.json'), 'utf8')) as {
    sourceHash: string;
  };
  const base = path.join(os.tmpdir(), 'konsultacje-app-');
  const folder = `${base}${sourceHash.slice(0, 16)}`;
  if (fs.existsSync(path.join(folder, '.complete'))) return folder;
  const partial = `${folder}.${process.pid}`;
  fs.mkdirSync(partial, { mode: 0o755 });
  fs.chmodSync(partial, 0o755);
  for (const entry of [...RUNTIME_ENTRIES, ...productionPackages()]) {
    linkTree(path.join(root, entry), path.join(partial, entry));
  }
  fs.writeFileSync(path.join(partial, '.complete'), '');
  try {
    fs.renameSync(partial, folder);
  } catch {
    // another test file made it meanwhile
    fs.rmSync(partial, { recursive: true, force: true });
  }
  // copies of older builds are of no use any more
  for (const name of fs.readdirSync(os.tmpdir())) {
    const old = path.join(os.tmpdir(), name);
    if (/^konsultacje-app-[0-9a-f]{16}$/.test(name) && old !== folder) fs.rmSync(old, { recursive: true, force: true });
  }
  return folder;
}

export type AppFolder = { appRoot: string; user: User | undefined } | { skip: string };

/**
 * Where the server can run as a user other than the one running the tests, when the tests run as root: the
 * clone itself when that user can reach it, else a copy it can. Not root: the tests' own user (file modes
 * already bind it). `{ skip }` says why neither works (e.g. node itself is out of that user's reach).
 */
export async function otherUsersAppFolder(): Promise<AppFolder> {
  await ensureBuilt();
  if (!asRoot) return { appRoot: root, user: undefined };
  const direct = canRun(NOBODY, root);
  if (!direct) return { appRoot: root, user: NOBODY };
  const copy = reachableCopy();
  const problem = canRun(NOBODY, copy);
  if (!problem) return { appRoot: copy, user: NOBODY };
  return { skip: `the server cannot run as nobody (uid 65534) here, not even from a copy in ${copy}: ${problem}` };
}

/** A command-line tool as `npm run NAME` runs it: the build's dist/cli/NAME.js under plain node. */
export function cliEntry(name: 'backup' | 'restore' | 'import' | 'user-add'): string {
  return path.join(root, 'dist/cli', `${name}.js`);
}
