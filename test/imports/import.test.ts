import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { TORUN_2026 } from '../../src/imports/seed.js';
import { databaseFromNewerCode } from '../db/newer-database.js';
import { tempDatabasePath } from '../helpers.js';
import { BUILD_TIMEOUT_MS, cliEntry, ensureBuilt, root } from '../server-process.js';

beforeAll(ensureBuilt, BUILD_TIMEOUT_MS);

const run = promisify(execFile);
const HEADER =
  'lp,lp_deduced,in_source,table_no,table_theme,table_theme_legible,moderators,title,points,units,remarks,source_notes';

async function importCli(databasePath: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliEntry('import'), ...args], {
      cwd: root,
      // only what the CLI needs: vitest puts Vite's BASE_URL="/" into process.env
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databasePath },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function writeCsv(name: string, content: string | Buffer): string {
  const file = path.join(path.dirname(tempDatabasePath()), name);
  fs.writeFileSync(file, content);
  return file;
}

/** A stable picture of everything the importer writes. */
function snapshot(databasePath: string): string {
  const db = new Database(databasePath, { readonly: true });
  try {
    const tables = [
      'consultations',
      'workshop_tables',
      'units',
      'proposals',
      'proposal_units',
      'proposal_search',
      'meta',
    ];
    return JSON.stringify(
      tables.map((t) => db.prepare(`SELECT ${t === 'proposal_search' ? 'rowid, *' : '*'} FROM ${t}`).all()),
    );
  } finally {
    db.close();
  }
}

const row = (lp: number, over: Partial<Record<string, string>> = {}) => {
  const r = {
    lp: String(lp),
    lp_deduced: 'nie',
    in_source: 'tak',
    table_no: '1',
    table_theme: 'Temat testowy',
    table_theme_legible: 'tak',
    moderators: 'Jan Kowalski – Biuro',
    title: `propozycja numer ${lp}`,
    points: '',
    units: 'Biuro Dialogu i Innowacji Miejskich',
    remarks: '',
    source_notes: '',
    ...over,
  };
  return Object.values(r)
    .map((v) => `"${v.replace(/"/g, '""')}"`)
    .join(',');
};

describe('npm run import', () => {
  let seeded: string;

  beforeAll(async () => {
    seeded = tempDatabasePath('seeded');
    const first = await importCli(seeded, TORUN_2026.file);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('utworzone: 73');
  });

  it('imports the Toruń table: 73 LPs, 71 with text, deduced LPs and gaps reported', () => {
    const db = new Database(seeded, { readonly: true });
    const counts = db
      .prepare('SELECT count(*) n, sum(in_source) present, sum(lp_deduced) deduced FROM proposals')
      .get() as Record<string, number>;
    expect(counts).toEqual({ n: 73, present: 71, deduced: 11 });
    const lp20 = db.prepare('SELECT title FROM proposals WHERE lp = 20').get() as { title: string };
    expect(lp20.title).toContain('Toruńskiej Agendy Kulturalnej');
    const lp25 = db.prepare('SELECT points FROM proposals WHERE lp = 25').get() as { points: string };
    expect(JSON.parse(lp25.points)).toContain('Rozwiązanie:');
    const units7 = db
      .prepare(`SELECT u.name FROM proposal_units pu JOIN units u ON u.id = pu.unit_id JOIN proposals p ON p.id = pu.proposal_id
      WHERE p.lp = 7 ORDER BY pu.ordinal`)
      .all()
      .map((r) => (r as { name: string }).name);
    expect(units7).toEqual(['Biuro Dialogu i Innowacji Miejskich', 'Zakład Gospodarki Mieszkaniowej']);
    const remarks12 = JSON.parse(
      (db.prepare('SELECT remarks FROM proposals WHERE lp = 12').get() as { remarks: string }).remarks,
    );
    expect(remarks12).toEqual(['brak możliwości prawnych']);
    const groups = db.prepare("SELECT count(*) n FROM units WHERE kind = 'grupa'").get() as { n: number };
    expect(groups.n).toBe(4);
    // moderators' affiliations are not units
    expect(db.prepare("SELECT count(*) n FROM units WHERE name LIKE '%Fundacja Kosmos%'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('re-running the same file changes nothing', async () => {
    const before = snapshot(seeded);
    const again = await importCli(seeded, TORUN_2026.file);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/utworzone: 0\s+zaktualizowane: 0\s+bez zmian: 73/);
    expect(again.stdout).toContain(
      'LP ustalone z kolejności i układu (nieczytelne w źródle): 2, 26, 28, 29, 41, 42, 44, 51, 52, 57, 58',
    );
    expect(again.stdout).toContain('Źródło nie pokazuje wierszy o LP: 54, 55');
    expect(again.stdout).toContain('Wiersze bez wskazanej jednostki: LP 42, 45, 47, 49');
    expect(snapshot(seeded)).toBe(before);
  });

  it('a changed file updates the changed proposal in place and never duplicates', async () => {
    const db = tempDatabasePath();
    const v1 = writeCsv('v1.csv', [HEADER, row(1), row(2)].join('\n'));
    expect((await importCli(db, v1, '--consultation', 'proba')).code).toBe(0);
    const v2 = writeCsv(
      'v2.csv',
      [HEADER, row(1), row(2, { title: 'propozycja numer 2, poprawiona', units: 'Wydział Edukacji' }), row(3)].join(
        '\n',
      ),
    );
    const result = await importCli(db, v2, '--consultation', 'proba');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/utworzone: 1\s+zaktualizowane: 1\s+bez zmian: 1/);
    const sqlite = new Database(db, { readonly: true });
    expect(sqlite.prepare('SELECT lp, title FROM proposals ORDER BY lp').all()).toEqual([
      { lp: 1, title: 'propozycja numer 1' },
      { lp: 2, title: 'propozycja numer 2, poprawiona' },
      { lp: 3, title: 'propozycja numer 3' },
    ]);
    expect(
      sqlite
        .prepare(
          `SELECT u.name FROM proposal_units pu JOIN units u ON u.id = pu.unit_id JOIN proposals p ON p.id = pu.proposal_id WHERE p.lp = 2`,
        )
        .all(),
    ).toEqual([{ name: 'Wydział Edukacji' }]);
    // the search index follows the update
    expect(
      sqlite.prepare('SELECT count(*) n FROM proposal_search WHERE proposal_search MATCH \'"poprawiona"\'').get(),
    ).toEqual({ n: 1 });
    sqlite.close();
  });

  it('imports a second consultation beside the first', async () => {
    const db = tempDatabasePath();
    expect((await importCli(db, TORUN_2026.file)).code).toBe(0);
    const next = writeCsv('next.csv', [HEADER, row(1), row(7)].join('\n'));
    const result = await importCli(
      db,
      next,
      '--consultation',
      'torun-2027',
      '--title',
      'Program współpracy na 2027 rok',
    );
    expect(result.code, result.stderr).toBe(0);
    const sqlite = new Database(db, { readonly: true });
    expect(
      sqlite
        .prepare(
          'SELECT c.slug, count(p.id) n FROM consultations c JOIN proposals p ON p.consultation_id = c.id GROUP BY ' +
            'c.slug ORDER BY c.slug',
        )
        .all(),
    ).toEqual([
      { slug: 'torun-2026', n: 73 },
      { slug: 'torun-2027', n: 2 },
    ]);
    sqlite.close();
  });

  describe('bad input is refused with row and column, exit code 1, and the database unchanged', () => {
    const cases: [string, string | Buffer, RegExp][] = [
      [
        'unknown unit',
        [HEADER, row(1), row(2, { units: 'Wydział Nieistniejący' })].join('\n'),
        /wiersz 3, kolumna „units”: nieznana jednostka „Wydział Nieistniejący”/,
      ],
      [
        'duplicate LP',
        [HEADER, row(1), row(2), row(1)].join('\n'),
        /wiersz 4, kolumna „lp”: LP 1 powtarza się \(pierwszy raz w wierszu 2\)/,
      ],
      ['missing column', 'lp,title\n1,coś\n', /kolumna „units”: brak wymaganej kolumny w nagłówku/],
      [
        'wrong encoding',
        Buffer.concat([
          Buffer.from(`${HEADER}\n`),
          Buffer.from(row(1).replace('propozycja', 'propozycja \u00f3 '), 'latin1'),
        ]),
        /wiersz 2: plik nie jest zapisany w kodowaniu UTF-8/,
      ],
      ['empty file', '', /plik jest pusty/],
      ['header only', `${HEADER}\n`, /nie ma żadnego wiersza danych/],
      [
        'LP not a number',
        [HEADER, row(1).replace('"1"', '"x1"')].join('\n'),
        /wiersz 2, kolumna „lp”: LP musi być liczbą/,
      ],
      [
        'bad yes/no',
        [HEADER, row(1, { lp_deduced: 'może' })].join('\n'),
        /wiersz 2, kolumna „lp_deduced”: oczekiwano „tak” albo „nie”/,
      ],
      [
        'row without text',
        [HEADER, row(1, { title: '' })].join('\n'),
        /wiersz 2, kolumna „title”: brak tekstu propozycji/,
      ],
      ['broken quoting', `${HEADER}\n"1,"nie"\n`, /błąd składni CSV/],
    ];
    for (const [name, content, message] of cases) {
      it(name, async () => {
        const before = snapshot(seeded);
        const file = writeCsv(`${name.replace(/\W/g, '_')}.csv`, content);
        const result = await importCli(seeded, file);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).toContain('baza danych nie została zmieniona');
        expect(snapshot(seeded)).toBe(before);
      });
    }

    it('a missing file', async () => {
      const result = await importCli(seeded, '/nonexistent/plik.csv');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Nie można odczytać pliku /nonexistent/plik.csv');
    });
  });

  it('rolls back everything when one row fails after others were valid (one transaction)', async () => {
    const db = tempDatabasePath();
    const file = writeCsv('partial.csv', [HEADER, row(1), row(2), row(3, { units: 'Nie ma takiej' })].join('\n'));
    expect((await importCli(db, file, '--consultation', 'x')).code).toBe(1);
    const { sqlite, close } = openDatabase(db);
    expect(sqlite.prepare('SELECT count(*) n FROM proposals').get()).toEqual({ n: 0 });
    expect(sqlite.prepare('SELECT count(*) n FROM consultations').get()).toEqual({ n: 0 });
    close();
  });

  it('refuses a database that newer code has migrated, in one Polish sentence, writing nothing', async () => {
    const { file } = databaseFromNewerCode();
    const before = fs.readFileSync(file);
    const run = await importCli(file, path.join(root, 'data/torun-2026.csv'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Import przerwany: baza danych .* pochodzi z nowszej wersji programu/);
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});
