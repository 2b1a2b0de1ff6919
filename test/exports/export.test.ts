import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { build, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

type Exported = {
  lp: number;
  table: { number: number; theme: string; moderators: string[] } | null;
  title: string;
  text: string;
  points: string[];
  units: string[];
  remarks: string[];
  status: string;
  sourceNotes: string[];
  lpDeduced: boolean;
};

describe('GET /export/proposals.json', () => {
  it('exports every proposal the source has with its fields', async () => {
    const res = await app.inject('/export/proposals.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    const rows = res.json() as Exported[];
    expect(rows).toHaveLength(71);
    const lp12 = rows.find((r) => r.lp === 12)!;
    expect(lp12.remarks).toEqual(['brak możliwości prawnych']);
    expect(lp12.units).toEqual([
      'działy, jednostki GMT, pełnomocnicy prowadzący działania z sektorem pozarządowym (konkursy dla NGO)',
    ]);
    expect(lp12.status).toBe('nowa');
    const lp3 = rows.find((r) => r.lp === 3)!;
    expect(lp3.table?.number).toBe(1);
    expect(lp3.points).toHaveLength(3);
    expect(lp3.text.split('\n')).toHaveLength(4);
    expect(lp3.text).toContain('- 1) dyżury doradcze');
    const lp29 = rows.find((r) => r.lp === 29)!;
    expect(lp29.lpDeduced).toBe(true);
    expect(lp29.sourceNotes.join(' ')).toContain('59');
  });

  it('takes the same filters as the list', async () => {
    const byQuery = (await app.inject('/export/proposals.json?q=lokali%20uzytkowych')).json() as Exported[];
    expect(byQuery.map((r) => r.lp)).toEqual([25, 66]);
    const byTableStatus = (await app.inject('/export/proposals.json?table=7&status=nowa')).json() as Exported[];
    expect(byTableStatus.map((r) => r.lp)).toEqual([67, 68, 69, 70, 71, 72, 73]);
    const byUnit = (await app.inject('/export/proposals.json?unit=urbitor')).json() as Exported[];
    expect(byUnit.map((r) => r.lp)).toEqual([13]);
  });

  it('answers bad parameters with a JSON error', async () => {
    const res = await app.inject('/export/proposals.json?table=abc');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, error: 'Numer stolika musi być liczbą.' });
  });
});

describe('GET /export/proposals.csv', () => {
  it('is UTF-8 with BOM and semicolons, for Polish Excel, with the same rows', async () => {
    const res = await app.inject('/export/proposals.csv?table=3');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('attachment');
    const raw = res.rawPayload;
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = raw.toString('utf8').slice(1);
    expect(text.split('\r\n')[0]).toBe(
      'LP;LP ustalone;Stolik;Temat stolika;Tytuł;Treść;Jednostki;Uwagi;Status;Rozstrzygnięcie;Sposób ' +
        'wykorzystania;Data decyzji;Notatki o źródle;Adres;Przekazano do;Duplikat propozycji LP',
    );
    const records = parse(text, { delimiter: ';', columns: true }) as Record<string, string>[];
    expect(records.map((r) => Number(r.LP))).toEqual([17, 18, 19, 20, 21, 22, 23, 24]);
    const lp20 = records.find((r) => r.LP === '20')!;
    expect(lp20.Tytuł).toContain('Toruńskiej Agendy Kulturalnej');
    expect(lp20.Status).toBe('nowa');
  });
});
