#!/usr/bin/env node
/**
 * npm run build: compiles src/ (TypeScript) to plain JavaScript in dist/, which `node` runs with no compiler
 * or loader in the process. dist/ mirrors src/ one level below the app folder (src/db/client.ts becomes
 * dist/db/client.js), so the paths the code finds beside itself (../../migrations, views, static, data) are the
 * same from either.
 *
 * `--if-needed` (npm start, the CLIs, the test suite): builds only when dist/ was not built from exactly these
 * sources (a hash of src/ and the build settings, kept in dist/BUILD.json). An up-to-date dist/ is left alone
 * without writing anything, so a read-only app folder with a current build starts; without TypeScript
 * installed (`npm ci --omit=dev`) a stale one is an error that says what to run.
 *
 * Plain JavaScript itself (not TypeScript), so that it runs before there is anything to run TypeScript with.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stampFile = path.join(dist, 'BUILD.json');
const lockFile = path.join(root, 'dist.lock');
/** What the output depends on besides src/. */
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function sourceFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? sourceFiles(full) : [full];
    })
    .sort();
}

/** A hash of every input's path and content: a checkout of other code changes it, a touched file does not. */
function sourceHash() {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(path.join(root, 'src')), ...SETTINGS.map((f) => path.join(root, f))]) {
    hash.update(`${path.relative(root, file)}\0`);
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function builtHash() {
  try {
    return JSON.parse(fs.readFileSync(stampFile, 'utf8')).sourceHash;
  } catch {
    return undefined;
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};

/** One build at a time (npm start and a test run may ask together); a lock left by a dead process is taken over. */
function withLock(fn) {
  for (let waited = 0; ; waited += 100) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockFile, 'utf8'));
      if (!holder || !alive(holder)) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (waited > 300_000) fail(`Budowanie: plik ${lockFile} trzyma proces ${holder} od ponad 5 minut.`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function build(hash) {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  if (!fs.existsSync(tsc))
    fail(
      'Nie można zbudować serwisu: brak kompilatora TypeScript (node_modules/typescript). ' +
        'Uruchom „npm ci”, potem „npm run build” (zob. README, „Wdrożenie”).',
    );
  // built beside dist/ and swapped in whole: a server started meanwhile sees the old build or the new one
  const next = `${dist}.next-${process.pid}`;
  const old = `${dist}.old-${process.pid}`;
  fs.rmSync(next, { recursive: true, force: true });
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', next], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    fs.rmSync(next, { recursive: true, force: true });
    fail(`Budowanie nie powiodło się (tsc: ${run.error?.message ?? `kod wyjścia ${run.status}`}).`);
  }
  fs.writeFileSync(
    path.join(next, 'BUILD.json'),
    `${JSON.stringify({ sourceHash: hash, builtAt: new Date().toISOString() }, null, 2)}\n`,
  );
  if (fs.existsSync(dist)) fs.renameSync(dist, old);
  fs.renameSync(next, dist);
  fs.rmSync(old, { recursive: true, force: true });
}

const ifNeeded = process.argv.includes('--if-needed');
const hash = sourceHash();
if (ifNeeded && builtHash() === hash) process.exit(0);
withLock(() => {
  // another process may have built these very sources while this one waited
  if (ifNeeded && builtHash() === hash) return;
  if (ifNeeded) process.stderr.write('Budowanie serwisu (npm run build): src/ → dist/ …\n');
  build(hash);
});
