import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, idOfLp, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

/** LP numbers listed in a list page or fragment, in order. */
function lps(html: string): number[] {
  return [...html.matchAll(/<span class="lp">LP (\d+)<\/span>/g)].map((m) => Number(m[1]));
}

describe('public list', () => {
  it('shows every proposal the source has, grouped by workshop table, all "nowa"', async () => {
    const res = await app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    const listed = lps(res.body);
    expect(listed).toHaveLength(71);
    expect(listed).not.toContain(54);
    expect(res.body).toContain('Znaleziono 71 propozycji.');
    expect(res.body).toContain('nie pokazuje wierszy o numerach LP: 54, 55');
    expect(res.body.match(/<section class="table-group"/g)).toHaveLength(7);
    expect(res.body).toContain('Stolik 4: Komunikacja GMT i NGO');
    expect(res.body).toContain('Moderatorzy: Elżbieta Dokurno – Wydział Kultury; Anna Lamers – Fundacja Kosmos');
    expect(res.body.match(/class="status status-nowa"/g)).toHaveLength(71);
    expect(res.body).toContain('<html lang="pl">');
  });

  it('filters by table, unit and status from the query string', async () => {
    expect(lps((await app.inject('/?table=3')).body)).toEqual([17, 18, 19, 20, 21, 22, 23, 24]);
    const unit = lps((await app.inject('/?unit=zaklad-gospodarki-mieszkaniowej')).body);
    expect(unit).toEqual([7, 66]);
    expect(lps((await app.inject('/?status=rozstrzygnieta')).body)).toEqual([]);
    expect(lps((await app.inject('/?status=nowa&table=1')).body)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("lists a unit's proposals also through the unit groups it belongs to", async () => {
    const { sqlite } = app.database;
    const group = sqlite
      .prepare("SELECT id FROM units WHERE name = 'działy, jednostki GMT posiadające dokumenty strategiczne'")
      .get() as { id: number };
    const unit = sqlite.prepare("SELECT id FROM units WHERE slug = 'wydzial-prawny'").get() as { id: number };
    const before = lps((await app.inject('/?unit=wydzial-prawny')).body);
    expect(before).toEqual([23, 51]);
    sqlite.prepare('INSERT INTO unit_group_members (group_id, unit_id) VALUES (?, ?)').run(group.id, unit.id);
    sqlite.prepare("UPDATE meta SET value = value + 1 WHERE key = 'data_version'").run();
    expect(lps((await app.inject('/?unit=wydzial-prawny')).body)).toEqual([23, 32, 51]);
    const page = await app.inject('/units/wydzial-prawny');
    expect(lps(page.body)).toEqual([23, 32, 51]);
    expect(page.body).toContain('Należy do grup');
    sqlite.prepare('DELETE FROM unit_group_members').run();
    sqlite.prepare("UPDATE meta SET value = value + 1 WHERE key = 'data_version'").run();
  });

  it('returns only the results fragment when htmx targets it, the full page otherwise', async () => {
    const fragment = await app.inject({
      url: '/?q=mikrogranty',
      headers: { 'hx-request': 'true', 'hx-target': 'wyniki' },
    });
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body).toContain('id="wyniki"');
    expect(lps(fragment.body)).toEqual([4, 24, 68]); // 68: „minigrantów” (data/synonimy.txt)
    expect(fragment.headers.vary).toContain('HX-Request');
    // a boosted request or history restore without that target gets the whole page
    const boosted = await app.inject({
      url: '/?q=mikrogranty',
      headers: { 'hx-request': 'true', 'hx-boosted': 'true' },
    });
    expect(boosted.body).toContain('<html lang="pl">');
  });

  it('refuses bad filter values with a Polish message', async () => {
    const res = await app.inject('/?status=zamknieta');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Nieznany status propozycji.');
    const unknownUnit = await app.inject('/?unit=nie-ma-takiej');
    expect(unknownUnit.statusCode).toBe(404);
    expect(unknownUnit.body).toContain('Nie ma jednostki o identyfikatorze „nie-ma-takiej”.');
  });

  it('answers 304 to a matching ETag and changes the ETag when data changes', async () => {
    const first = await app.inject('/?table=1');
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await app.inject({ url: '/?table=1', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    app.database.sqlite.prepare("UPDATE proposals SET title = 'zmieniony tytuł' WHERE lp = 1").run();
    app.database.sqlite.prepare("UPDATE meta SET value = value + 1 WHERE key = 'data_version'").run();
    const after = await app.inject({ url: '/?table=1', headers: { 'if-none-match': etag } });
    expect(after.statusCode).toBe(200);
    expect(after.body).toContain('zmieniony tytuł');
    expect(after.headers.etag).not.toBe(etag);
  });
});

describe('search', () => {
  const search = async (q: string) => lps((await app.inject(`/?q=${encodeURIComponent(q)}`)).body);

  it('is insensitive to diacritics both ways and to case', async () => {
    const withDiacritics = await search('szkoleń');
    expect(withDiacritics).toEqual(expect.arrayContaining([3, 53, 59, 73]));
    expect(await search('szkolen')).toEqual(withDiacritics);
    expect(await search('SZKOLEŃ')).toEqual(withDiacritics);
    expect(await search('lokali uzytkowych')).toEqual([25, 66]);
    expect(await search('lokali użytkowych')).toEqual([25, 66]);
  });

  it('folds ł to l in the index and in the query', async () => {
    expect(await search('młodzież')).toEqual(await search('mlodziez'));
    expect(await search('mlodziez')).toEqual(expect.arrayContaining([59, 68]));
    expect(await search('Łączenie')).toEqual(await search('laczenie'));
    expect(await search('stołów')).toEqual([39, 60]); // „okrągłych stołów”, „stoły” (a form of the same word)
  });

  it('requires every word and matches its forms, not other words sharing the letters', async () => {
    expect(await search('wolontariat szkoł')).toEqual([68]); // szkołach, not szkolenia
    expect(await search('wolontariat szkołach')).toEqual([68]);
    expect(await search('mikrogrant')).toEqual([4, 24, 68]); // mikrogranty, minigrantów (a synonym)
  });

  it('treats FTS syntax in the query as plain words', async () => {
    const res = await app.inject(`/?q=${encodeURIComponent('"NGO" OR -*')}`);
    expect(res.statusCode).toBe(200);
    expect((await app.inject(`/?q=${encodeURIComponent('(((')}`)).body).toContain('Nie znaleziono propozycji');
  });

  it('escapes the query when showing it back', async () => {
    const res = await app.inject(`/?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('proposal page', () => {
  it('shows LP, table, moderators, structured text, units, remarks and source notes', async () => {
    const res = await app.inject(`/proposals/${idOfLp(app, 25)}`);
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toContain('LP 25');
    expect(html).toContain('ORBITORUN.PL');
    expect(html).toContain('<p class="subheading">Rozwiązanie:</p>');
    expect(html).toContain('<li>przebudowanie strony</li>');
    expect(html).toContain('Stolik 4: Komunikacja GMT i NGO');
    expect(html).toContain('Joanna Danicka – CISTOR Stowarzyszenie Partnerstwo Społeczne');
    expect(html).toContain('href="/units/biuro-dialogu-i-innowacji-miejskich"');
    expect(html).toContain('jako moderator stolika do wyjaśnienia');
    expect(html).toContain('nowa');
  });

  it('says when the LP was deduced and when the source has no row', async () => {
    const deduced = await app.inject(`/proposals/${idOfLp(app, 28)}`);
    expect(deduced.body).toContain('ustalony z kolejności wierszy');
    const gap = await app.inject(`/proposals/${idOfLp(app, 54)}`);
    expect(gap.statusCode).toBe(200);
    expect(gap.body).toContain('brak wiersza w źródle');
  });

  it('answers 404 in Polish for a missing or malformed id', async () => {
    for (const url of ['/proposals/999999', '/proposals/abc', '/nie-ma-takiej-strony']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).toContain('<html lang="pl">');
      expect(res.body).toMatch(/Nie (ma|znaleziono)/);
    }
  });
});

describe('units', () => {
  it('lists the directory by kind with groups apart', async () => {
    const res = await app.inject('/units');
    expect(res.body).toContain('Grupy jednostek (adresaci zbiorczy)');
    expect(res.body).toContain('Toruńska Agenda Kulturalna');
  });

  it("a group's page lists the proposals addressed to it", async () => {
    const res = await app.inject('/units/dzialy-jednostki-gmt-posiadajace-dokumenty-strategiczne');
    expect(lps(res.body)).toEqual([32]);
    expect(res.body).toContain('nie wskazano jeszcze jednostek należących do grupy');
  });
});

describe('security headers', () => {
  it('sends a strict CSP and no-sniff', async () => {
    const res = await app.inject('/');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
