import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseFiles, openDatabase } from '../../src/db/client.js';
import { build, tempDatabasePath } from '../helpers.js';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('the database and the session secret are readable by their owner only', () => {
  let previous: number;
  afterEach(() => {
    process.umask(previous);
  });

  it('a new database file and its -wal/-shm are created 0600 even with umask 022', async () => {
    previous = process.umask(0o022);
    const file = tempDatabasePath('perm');
    const app = await build({ databasePath: file, seed: true });
    try {
      for (const f of databaseFiles(file)) expect(mode(f), f).toBe(0o600);
      expect(mode(`${file}.session-secret`)).toBe(0o600);
      // the umask of the process is left as it was
      expect(process.umask()).toBe(0o022);
    } finally {
      await app.close();
    }
  });

  it('a folder it creates for the database is private too', () => {
    previous = process.umask(0o022);
    const file = path.join(path.dirname(tempDatabasePath()), 'nowy', 'folder', 'baza.sqlite');
    const database = openDatabase(file);
    database.close();
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
  });

  it('an existing 0644 database from an older deployment is narrowed to 0600 on open', () => {
    previous = process.umask(0o022);
    const file = tempDatabasePath('old');
    openDatabase(file).close();
    fs.chmodSync(file, 0o644);
    const database = openDatabase(file);
    try {
      for (const f of databaseFiles(file)) expect(mode(f), f).toBe(0o600);
    } finally {
      database.close();
    }
  });
});
