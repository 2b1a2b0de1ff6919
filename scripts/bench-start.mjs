#!/usr/bin/env node
/**
 * node scripts/bench-start.mjs [--out FILE] -- COMMAND [ARG ...]
 * Starts the server with COMMAND (e.g. `npm start`, or `npm run dev` for the tsx way) on a copy of a seeded
 * database and prints one JSON line: the milliseconds from exec to the first answer of /healthz, and the
 * resident memory (VmRSS, summed over the processes below COMMAND's own when it is npm, else COMMAND's tree)
 * at idle (2 s after the first answer) and after 1,000 requests for the list page (10 at a time). Then stops
 * it (SIGTERM) and waits for the whole tree to exit. Run it several times, under /usr/bin/time -v or a
 * benchmark harness, for figures to compare (README, "Speed").
 *
 * Plain JavaScript on purpose: it measures a start that may not involve a compiler at all.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sep = process.argv.indexOf('--');
if (sep < 0 || sep === process.argv.length - 1) {
  process.stderr.write('Użycie: node scripts/bench-start.mjs [--out PLIK] -- POLECENIE [ARGUMENTY]\n');
  process.exit(2);
}
const outIndex = process.argv.indexOf('--out');
const out = outIndex >= 0 && outIndex < sep ? process.argv[outIndex + 1] : undefined;
const [command, ...args] = process.argv.slice(sep + 1);

/** A seeded database made once (the first run) and copied for every run, so each start does the same work. */
function databaseCopy() {
  const template = path.join(os.tmpdir(), 'konsultacje-bench-start.sqlite');
  if (!fs.existsSync(template)) {
    const seeding = spawn(process.execPath, [path.join(root, 'dist/server.js')], {
      env: { ...process.env, DATABASE_URL: template, PORT: '0', MAIL_WORKER: 'false' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      seeding.stdout.on('data', (d) => {
        if (String(d).includes('Serwis działa')) seeding.kill('SIGTERM');
      });
      seeding.on('exit', () => (fs.existsSync(template) ? resolve(copy(template)) : reject(new Error('no seed'))));
    });
  }
  return Promise.resolve(copy(template));
}

function copy(template) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-bench-start-'));
  const file = path.join(dir, 'konsultacje.sqlite');
  fs.copyFileSync(template, file);
  fs.copyFileSync(`${template}.session-secret`, `${file}.session-secret`);
  return file;
}

function children(pid) {
  return fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const tree = (pid) => [pid, ...children(pid).flatMap(tree)];

function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The server's memory: its processes, without npm's own when npm started it. */
function serverRssMiB(pid) {
  const npm = path.basename(command) === 'npm';
  const pids = npm ? children(pid).flatMap(tree) : tree(pid);
  return Math.round((pids.reduce((sum, p) => sum + rssKiB(p), 0) / 1024) * 10) / 10;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
const get = (port, url) =>
  new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: url, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });

const databasePath = await databaseCopy();
const started = process.hrtime.bigint();
const child = spawn(command, args, {
  cwd: root,
  env: { ...process.env, DATABASE_URL: databasePath, PORT: '0', LOG_LEVEL: 'info', MAIL_WORKER: 'false' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stdout = '';
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', () => {});
const exited = new Promise((resolve) => child.on('exit', resolve));

let port;
while (!port) {
  port = Number(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]) || undefined;
  if (child.exitCode !== null) throw new Error(`the server exited: ${stdout}`);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
for (;;) {
  try {
    if ((await get(port, '/healthz')) === 200) break;
  } catch {
    // not answering yet
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}
const firstAnswerMs = Number(process.hrtime.bigint() - started) / 1e6;
await new Promise((resolve) => setTimeout(resolve, 2000));
const idleRssMiB = serverRssMiB(child.pid);
for (let sent = 0; sent < 1000; sent += 10) {
  const codes = await Promise.all(Array.from({ length: 10 }, () => get(port, '/')));
  if (codes.some((c) => c !== 200)) throw new Error(`answers ${codes.join(',')}`);
}
const after1000RssMiB = serverRssMiB(child.pid);
const serverPids = path.basename(command) === 'npm' ? children(child.pid).flatMap(tree) : tree(child.pid);
agent.destroy();
// stopped as an operator stops it: SIGTERM to the process they started; what is still running 5 s after that
// process exited is left over (an orphan), counted and then killed
child.kill('SIGTERM');
await exited;
const alive = () => serverPids.filter((p) => fs.existsSync(`/proc/${p}`));
for (let i = 0; i < 100 && alive().length; i++) await new Promise((resolve) => setTimeout(resolve, 50));
const leftOver = alive();
for (const p of leftOver) process.kill(p, 'SIGKILL');
child.stdout.destroy();
child.stderr.destroy();
fs.rmSync(path.dirname(databasePath), { recursive: true, force: true });
const figures = {
  command: [command, ...args].join(' '),
  firstAnswerMs: Math.round(firstAnswerMs),
  idleRssMiB,
  after1000RssMiB,
  processes: serverPids.length,
  leftOverAfterSigterm: leftOver.length,
  load: os.loadavg()[0],
};
const line = `${JSON.stringify(figures)}\n`;
if (out) fs.appendFileSync(out, line);
process.stdout.write(line);
