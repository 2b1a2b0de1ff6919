import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { build, type App } from '../helpers.js';
import { CACHE_MAX_ROWS } from '../../src/exports/routes.js';
import { importConsultation } from './fixtures.js';

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

// the export is rate-limited per IP address: each test speaks from its own addresses
let nextHost = 0;
const host = () => `127.0.${Math.floor(++nextHost / 250) + 1}.${(nextHost % 250) + 1}`;
const get = (url: string, headers: Record<string, string> = {}, remoteAddress = host()) =>
  app.inject({ method: 'GET', url, headers, remoteAddress });

describe('the page cache is keyed on validated parameters, not the raw URL', () => {
  it('junk query parameters on the export share one cached copy', async () => {
    const first = await get('/export/proposals.json?junk=0');
    expect(first.statusCode).toBe(200);
    const entries = app.pageCacheStats().entries;
    for (let i = 1; i <= 40; i++) {
      const res = await get(`/export/proposals.json?junk=${i}&x${i}=${'y'.repeat(i)}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers.etag).toBe(first.headers.etag);
    }
    expect(app.pageCacheStats().entries).toBe(entries);
    // equivalent spellings of the same filter are one response too
    const a = await get('/export/proposals.json?table=01&status=nowa');
    const b = await get('/export/proposals.json?status=nowa&table=1&junk=2');
    expect(a.headers.etag).toBe(b.headers.etag);
    expect(app.pageCacheStats().entries).toBe(entries + 1);
  });

  it('junk query parameters and htmx targets on the pages share one cached copy', async () => {
    await get('/');
    await get('/?q=szkolen');
    const entries = app.pageCacheStats().entries;
    for (let i = 0; i < 20; i++) {
      expect((await get(`/?junk=${i}`)).statusCode).toBe(200);
      const htmx = { 'hx-request': 'true', 'hx-target': `junk-${i}` };
      expect((await get(`/?q=szkolen&junk=${i}`, htmx)).statusCode).toBe(200);
      expect((await get(`/units?junk=${i}`)).statusCode).toBe(200);
    }
    // the units page is the only new response
    expect(app.pageCacheStats().entries).toBe(entries + 1);
  });
});

describe('a large export', () => {
  const size = 1200;
  beforeAll(() => {
    importConsultation(
      app,
      'duza',
      'Duże konsultacje',
      Array.from({ length: size }, (_, i) => ({
        title: `propozycja numer ${i + 1}`,
        points: ['1) pierwszy punkt', '2) drugi punkt'],
      })),
    );
  });

  it('is streamed whole in LP order and never held in the cache', async () => {
    await get('/'); // the import bumped the data version: settle the cache first
    const before = app.pageCacheStats();
    const res = await get('/export/proposals.json?consultation=duza');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
    const rows = res.json() as { lp: number; text: string }[];
    expect(rows.map((r) => r.lp)).toEqual(Array.from({ length: size }, (_, i) => i + 1));
    expect(rows[9]!.text).toBe('propozycja numer 10\n- 1) pierwszy punkt\n- 2) drugi punkt');

    const csv = await get('/export/proposals.csv?consultation=duza');
    expect(csv.statusCode).toBe(200);
    const records = parse(csv.rawPayload, { delimiter: ';', bom: true, relax_column_count: true }) as string[][];
    expect(records).toHaveLength(size + 1);
    expect(new Set(records.map((r) => r.length))).toEqual(new Set([16]));
    expect(app.pageCacheStats()).toEqual(before);
  });

  it('answers a matching If-None-Match with 304 without sending it again', async () => {
    const first = await get('/export/proposals.json?consultation=duza');
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await get('/export/proposals.json?consultation=duza', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });
});

describe('large exports shared fairly by address', () => {
  beforeAll(() => {
    importConsultation(
      app,
      'udzialy',
      'Konsultacje do udziałów',
      Array.from({ length: CACHE_MAX_ROWS + 200 }, (_, i) => ({ title: `propozycja ${i + 1}` })),
    );
  });

  it('a few addresses asking for many, and reading none, cannot keep anyone else out', async () => {
    const url = '/export/proposals.json?consultation=udzialy';
    type Asked = { address: string; res?: Awaited<ReturnType<App['inject']>>; consumed?: boolean };
    const asked: Asked[] = [];
    const served: string[] = []; // addresses, in the order their exports began
    let onServed = () => {};
    // the response arrives when the export begins; its body is a stream nobody reads yet, so the slot stays taken
    const ask = (address: string) => {
      const entry: Asked = { address };
      asked.push(entry);
      const done = app.inject({ method: 'GET', url, remoteAddress: address, payloadAsStream: true }).then((res) => {
        entry.res = res;
        if (res.statusCode === 200) served.push(address);
        onServed();
        return res;
      });
      return { entry, done };
    };
    const nextServed = (count: number) =>
      new Promise<void>((resolve) => {
        onServed = () => served.length >= count && resolve();
        onServed();
      });
    const readAll = async (res: Awaited<ReturnType<App['inject']>>) => {
      const chunks: Buffer[] = [];
      for await (const chunk of res.stream()) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    /** Reads a running export to its end, which frees its slot; when none is running, waits for one to begin. */
    const step = async () => {
      const running = asked.find((a) => a.res?.statusCode === 200 && !a.consumed);
      if (!running) return nextServed(served.length + 1);
      running.consumed = true;
      await readAll(running.res!);
    };
    // lets the requests sent so far reach the slots (the victim should come last; nothing below depends on it)
    const turns = async () => {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    await get('/'); // the import bumped the data version: settle the cache first
    // one address takes a slot early and asks again: its second export waits, the only one in flight for the URL
    const early = host();
    const attacks = [ask(early)];
    await nextServed(1);
    attacks.push(ask(early));
    await turns();
    // three more ask four times each
    const flooders = [host(), host(), host()];
    attacks.push(...flooders.flatMap((address) => [1, 2, 3, 4].map(() => ask(address))));
    await nextServed(2); // both slots taken
    await turns();
    const attackers = [early, ...flooders];
    const victim = ask(host());

    // whatever the attackers were refused, the victim is not: it waits for a slot like everyone else
    while (!victim.entry.res) await Promise.race([step(), victim.done]);
    expect(victim.entry.res.statusCode).toBe(200);
    // and it began before any attacker's second export: not after the early address's, which was in flight first
    const before = served.slice(0, served.indexOf(victim.entry.address));
    expect(new Set(before).size).toBe(before.length);
    const rows = JSON.parse(await readAll(victim.entry.res)) as unknown[];
    expect(rows).toHaveLength(CACHE_MAX_ROWS + 200);
    victim.entry.consumed = true;

    // each attacker address was refused beyond one export running and one waiting, in Polish
    expect(attacks.filter(({ entry }) => entry.res?.statusCode === 429)).toHaveLength(6);
    for (const { entry } of attacks) {
      if (entry.res && entry.res.statusCode !== 200) {
        expect(entry.res.statusCode).toBe(429);
        expect(JSON.parse(await readAll(entry.res))).toEqual({
          statusCode: 429,
          error:
            'Z tego adresu pobierany jest już duży eksport, a następny czeka na swoją kolej. ' +
            'Poczekaj, aż się zakończą, i spróbuj ponownie.',
        });
      }
    }
    // the rest are served in turn as the running ones finish
    while (asked.some((a) => !a.res || (a.res.statusCode === 200 && !a.consumed))) await step();
    const servedPerAttacker = attackers.map((a) => served.filter((s) => s === a).length);
    expect(servedPerAttacker).toEqual([2, 2, 2, 2]);
  });
  it('counts an IPv6 client’s whole /64 as one address', async () => {
    const url = '/export/proposals.json?consultation=udzialy';
    // inject sends a request only once something awaits it: `then` sends it now
    const open = (remoteAddress: string) =>
      app.inject({ method: 'GET', url, remoteAddress, payloadAsStream: true }).then((res) => res);
    const running = await open('2001:db8:5:6::1'); // unread: keeps its slot
    expect(running.statusCode).toBe(200);
    const waiting = open('2001:db8:5:6::2');
    const refused = await open('2001:db8:5:6:ffff:ffff:ffff:ffff');
    expect(refused.statusCode).toBe(429);
    // another network is not held back
    const other = await open('2001:db8:5:7::1');
    expect(other.statusCode).toBe(200);
    const drain = async (res: Awaited<ReturnType<App['inject']>>) => {
      for await (const chunk of res.stream()) expect(chunk).toBeDefined();
    };
    await drain(running); // frees the network's slot: its second export begins
    expect((await waiting).statusCode).toBe(200);
    await Promise.all([drain(await waiting), drain(other), drain(refused)]);
  });
});

describe('open data for other web sites', () => {
  it('allows any origin to read the JSON and CSV export, also a 304 and an error', async () => {
    for (const url of ['/export/proposals.json', '/export/proposals.csv']) {
      const res = await get(url, { origin: 'https://ngo.example.org' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const notModified = await get(url, { 'if-none-match': res.headers.etag as string });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.headers['access-control-allow-origin']).toBe('*');
    }
    const bad = await get('/export/proposals.json?table=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe('*');
    // the pages stay same-origin
    expect((await get('/')).headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limit on the export', () => {
  it('refuses the 31st export in a minute from one address, in Polish, and nobody else', async () => {
    const attacker = host();
    for (let i = 0; i < 30; i++) {
      expect((await get(`/export/proposals.json?junk=${i}`, {}, attacker)).statusCode).toBe(200);
    }
    const refused = await get('/export/proposals.json', {}, attacker);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/json');
    expect(refused.json()).toEqual({
      statusCode: 429,
      error: 'Zbyt wiele pobrań eksportu z tego adresu (najwyżej 30 na minutę). Odczekaj minutę i spróbuj ponownie.',
    });
    expect(refused.headers['retry-after']).toBeTruthy();
    expect((await get('/export/proposals.json')).statusCode).toBe(200);
    // the pages are not limited
    expect((await get('/', {}, attacker)).statusCode).toBe(200);
  });
});

describe('CSV export', () => {
  const formula = '=HYPERLINK("http://x","y")';
  beforeAll(() => {
    importConsultation(app, 'wstrzykniecie', 'Próba CSV', [
      { title: formula, points: ['pierwsza linia', 'druga linia\r\ntrzecia linia'], remarks: ['+48 123', '@SUM(A1)'] },
      { title: 'zwykła propozycja; ze średnikiem i "cudzysłowem"', remarks: ['-1'] },
      { title: 'propozycja bez niespodzianek' },
    ]);
    // the importer trims cells; tab and carriage return only reach the database another way
    app.database.sqlite
      .prepare(`UPDATE proposals SET source_notes = json_array(char(9) || '=1+1', char(13) || '=2')
      WHERE lp = 3 AND consultation_id = (SELECT id FROM consultations WHERE slug = 'wstrzykniecie')`)
      .run();
    app.database.sqlite.prepare("UPDATE meta SET value = value + 1 WHERE key = 'data_version'").run();
  });

  it('round-trips through a real CSV parser: one record per proposal, every record as wide as the header', async () => {
    for (const url of ['/export/proposals.csv?consultation=wstrzykniecie', '/export/proposals.csv']) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      const json = (await get(url.replace('.csv', '.json'))).json() as unknown[];
      // a spreadsheet ends a row at any unquoted line break, not only at the file's first one (\r\n)
      const records = parse(res.rawPayload, {
        delimiter: ';',
        bom: true,
        relax_column_count: true,
        record_delimiter: ['\r\n', '\n', '\r'],
      }) as string[][];
      expect(records, url).toHaveLength(json.length + 1);
      const width = records[0]!.length;
      expect(width).toBe(16);
      for (const r of records) expect(r, url).toHaveLength(width);
    }
  });

  it('escapes cells a spreadsheet would run as formulas with a leading single quote', async () => {
    const res = await get('/export/proposals.csv?consultation=wstrzykniecie');
    const records = parse(res.rawPayload, { delimiter: ';', bom: true, columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(3);
    const [first, second, third] = records as [Record<string, string>, Record<string, string>, Record<string, string>];
    expect(first.Tytuł).toBe(`'${formula}`);
    expect(first.Treść).toBe(`'${formula}\n- pierwsza linia\n- druga linia\n- trzecia linia`);
    expect(first.Uwagi).toBe("'+48 123\n@SUM(A1)");
    expect(second.Tytuł).toBe('zwykła propozycja; ze średnikiem i "cudzysłowem"');
    expect(second.Uwagi).toBe("'-1");
    expect(third.Tytuł).toBe('propozycja bez niespodzianek');
    expect(third['Notatki o źródle']).toBe("'\t=1+1\n\r=2");
    for (const r of records) {
      for (const cell of Object.values(r)) expect(cell, JSON.stringify(r)).not.toMatch(/^[=+\-@\t\r]/);
    }
    // numbers stay numbers; the JSON export is unchanged
    expect(first.LP).toBe('1');
    const json = (await get('/export/proposals.json?consultation=wstrzykniecie')).json() as { title: string }[];
    expect(json[0]!.title).toBe(formula);
  });
});
