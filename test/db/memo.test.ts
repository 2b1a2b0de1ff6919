import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editUnit } from '../../src/admin/service.js';
import { openDatabase, type Database as AppDatabase } from '../../src/db/client.js';
import { perDataVersion } from '../../src/db/memo.js';
import { bumpDataVersion } from '../../src/db/version.js';
import { build, tempDatabasePath, unitIdByName, type App } from '../helpers.js';

describe('perDataVersion (values read once per data version)', () => {
  const file = tempDatabasePath();
  let database: AppDatabase;
  let other: Database.Database;
  beforeAll(() => {
    database = openDatabase(file);
    other = new Database(file);
  });
  afterAll(() => {
    other.close();
    database.close();
  });

  it('computes a value once per version and again after a write on this or another connection', () => {
    let computed = 0;
    const read = () => perDataVersion(database.db, 'answer', () => ++computed);
    expect([read(), read(), read()]).toEqual([1, 1, 1]);
    bumpDataVersion(database.db);
    expect([read(), read()]).toEqual([2, 2]);
    // the import CLI writes through its own connection
    other.prepare("UPDATE meta SET value = value + 1 WHERE key = 'data_version'").run();
    expect(read()).toBe(3);
    expect(computed).toBe(3);
  });

  it('keeps an undefined result (a slug that names nothing) like any other', () => {
    let computed = 0;
    const read = () =>
      perDataVersion(database.db, 'missing', () => {
        computed++;
        return undefined;
      });
    expect(read()).toBeUndefined();
    expect(read()).toBeUndefined();
    expect(computed).toBe(1);
  });

  it('does not grow without bound on a stream of distinct keys', () => {
    let computed = 0;
    for (let i = 0; i < 2500; i++) perDataVersion(database.db, `junk:${i}`, () => ++computed);
    expect(computed).toBe(2500);
    // the earliest keys were dropped when the map was emptied at its limit, the latest are kept
    perDataVersion(database.db, 'junk:0', () => ++computed);
    perDataVersion(database.db, 'junk:2499', () => ++computed);
    expect(computed).toBe(2501);
  });
});

describe('the public list after a change to what it reads once per version', () => {
  let app: App;
  beforeAll(async () => {
    app = await build();
  });
  afterAll(async () => {
    await app.close();
  });

  it('shows a renamed unit at once, in the rows and in the filter (both read again after the write)', async () => {
    const name = 'Wydział Informatyki i Cyfryzacji';
    const renamed = 'Wydział Cyfryzacji i Informatyki Miejskiej';
    const rowText = (html: string) => html.match(/<span class="units-source">[^<]*<\/span>/g)?.join('\n') ?? '';
    const before = await app.inject({ method: 'GET', url: '/' });
    expect(rowText(before.body)).toContain(name);
    const id = unitIdByName(app, name);
    editUnit(app.database.db, id, { name: renamed, kind: 'wydział', email: '', members: [] }, null);
    const after = await app.inject({ method: 'GET', url: '/' });
    expect(rowText(after.body)).toContain(renamed);
    expect(rowText(after.body)).not.toContain(name);
    expect(after.body).toMatch(new RegExp(`<option[^>]*>${renamed}</option>`));
  });
});
