import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/client.js';

/** The server (src/server.ts) as a child process, as `npm start` runs it, and what the tests around it share. */
const root = path.resolve(import.meta.dirname, '../..');
const server = path.join(root, 'src/server.ts');

/** root ignores file modes: a read-only file or folder means something only to another user */
export const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

export type Run = { code: number | null; stdout: string; stderr: string };
export type StartedServer = ReturnType<typeof startServer>;

export function startServer(env: Record<string, string>, opts: { asNobody?: boolean } = {}) {
  // node itself, not the tsx command: that one relays SIGTERM and kills the server if it is busy for 30 ms
  const child = spawn(process.execPath, ['--no-allocation-site-pretenuring', '--import', 'tsx', server], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: env.HOME ?? os.tmpdir(), LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
    ...(opts.asNobody && asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** The port a server started with PORT=0 and LOG_LEVEL=info listens on (pino logs it). */
export function listeningPort(started: StartedServer): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"msg":"Server listening at http:\/\/127\.0\.0\.1:(\d+)"/.exec(started.output().stdout);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    }, 50);
    void started.exited.then((r) => {
      clearInterval(timer);
      reject(new Error(`server exited: ${r.stderr}`));
    });
  });
}

/** A folder another user may write in (when tests run as root, the server runs as nobody). */
export function sharedTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'konsultacje-ops-'));
  if (asRoot) fs.chownSync(dir, NOBODY, NOBODY);
  return dir;
}

/**
 * A migrated database owned by the user the server will run as: with a consultation, so that the server does not
 * import the Toruń data, or with `prepare` filling it in.
 */
export function seededDatabase(dir: string, prepare?: (database: ReturnType<typeof openDatabase>) => void): string {
  const file = path.join(dir, 'konsultacje.sqlite');
  const database = openDatabase(file);
  if (prepare) prepare(database);
  else
    database.sqlite.exec(
      "INSERT INTO consultations (slug, title, created_at) VALUES ('x', 'x', '2026-11-26T00:00:00Z')",
    );
  database.close();
  for (const f of fs.readdirSync(dir)) if (asRoot) fs.chownSync(path.join(dir, f), NOBODY, NOBODY);
  return file;
}
