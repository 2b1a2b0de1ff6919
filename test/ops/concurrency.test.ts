import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { importTorun2026 } from '../../src/imports/seed.js';
import { tempDatabasePath } from '../helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.resolve(here, '../../node_modules/.bin/tsx');

function writer(file: string, proposalId: number, count: number, label: string) {
  return new Promise<{ ok: number; failures: string[] }>((resolve, reject) => {
    const child = spawn(tsx, [path.join(here, 'writer-child.ts'), file, String(proposalId), String(count), label]);
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

describe('two processes writing to one database file', () => {
  it('every write lands: transactions start IMMEDIATE and wait for the lock (no SQLITE_BUSY)', async () => {
    const file = tempDatabasePath('concurrent');
    const database = openDatabase(file);
    importTorun2026(database.db);
    const proposalId = (database.sqlite.prepare('SELECT id FROM proposals WHERE lp = 7').get() as { id: number }).id;
    database.close();

    const results = await Promise.all([0, 1, 2].map((n) => writer(file, proposalId, 300, `proces ${n}`)));
    expect(results.flatMap((r) => r.failures)).toEqual([]);
    expect(results.map((r) => r.ok)).toEqual([300, 300, 300]);
    const check = openDatabase(file);
    const notes = check.sqlite.prepare("SELECT count(*) n FROM events WHERE type = 'note.added'").get();
    const version = check.sqlite.prepare("SELECT value FROM meta WHERE key = 'data_version'").get() as {
      value: number;
    };
    check.close();
    expect(notes).toEqual({ n: 900 });
    expect(version.value).toBeGreaterThanOrEqual(900);
  }, 120_000);
});
