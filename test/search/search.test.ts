import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type App } from '../helpers.js';

let app: App;
beforeAll(async () => {
  app = await build();
});
afterAll(async () => {
  await app.close();
});

const lps = (html: string) => [...html.matchAll(/<span class="lp">LP (\d+)<\/span>/g)].map((m) => Number(m[1]));
const page = async (q: string) => (await app.inject(`/?q=${encodeURIComponent(q)}`)).body;
const list = async (q: string) => lps(await page(q));
let address = 0;
/** The JSON export for a query (each request from its own address: the export is rate-limited per address). */
async function exported(q: string) {
  const res = await app.inject({
    url: `/export/proposals.json?q=${encodeURIComponent(q)}`,
    remoteAddress: `10.8.0.${++address}`,
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { lp: number; match: string }[];
}

describe('search through the list and the export', () => {
  it('finds the inflected forms Polish uses', async () => {
    for (const q of ['lokal', 'lokale', 'lokali']) expect(await list(q)).toEqual([7, 25, 57, 66]);
    const competitions = await list('konkurs');
    expect(competitions).toEqual(expect.arrayContaining([3, 9, 16, 19, 56, 58, 73]));
    expect(await list('konkursy')).toEqual(competitions);
    expect(await list('konkursach')).toEqual(competitions);
    expect(await list('Rubinkowo')).toEqual([7]); // the text says „na Rubinkowie”
    for (const q of ['wolontariusz', 'wolontariusze', 'wolontariuszy']) {
      expect(await list(q)).toEqual([67, 68, 69, 70, 71, 72, 73]); // and „wolontariat” (a synonym)
    }
    expect(await list('pisanie wniosków')).toEqual([2, 3]);
    // the export returns the same rows, all matching fully
    const rows = await exported('lokale');
    expect(rows.map((r) => r.lp)).toEqual([7, 25, 57, 66]);
    expect(rows.every((r) => r.match === 'full')).toBe(true);
  });

  it('does not take other words sharing the letters for forms (szkoły are not szkolenia, lokal not lokalny)', async () => {
    expect(await list('szkoły')).toEqual([10, 62, 68]);
    expect(await list('lokal')).not.toContain(67); // „inicjatywy lokalnej”
  });

  it('stems before folding, and finds unaccented queries the same', async () => {
    expect(await list('ksiegowosc')).toEqual(await list('księgowość'));
    expect(await list('uchodzcy')).toEqual([59]);
    expect(await list('mlodziez')).toEqual(await list('młodzież'));
  });

  it('corrects a typo against the index vocabulary only when the query finds nothing, and says so', async () => {
    const body = await page('wolontarait');
    expect(lps(body)).toEqual([67, 68, 69, 70, 71, 72, 73]);
    expect(body).toContain('Pokazujemy wyniki dla: <strong>wolontariat</strong>');
    expect(await list('facebok')).toEqual([28, 67]);
    expect((await exported('facebok')).map((r) => r.lp)).toEqual([28, 67]);
    // a correctly spelt query is never „corrected”
    expect(await page('wolontariat')).not.toContain('Pokazujemy wyniki dla');
    // the first letter is fixed: „golontariat” is not corrected to „wolontariat”
    expect(await list('golontariat')).toEqual([]);
  });

  it('matches hyphenated and split words without the hyphen, and joins split words', async () => {
    expect(await list('online')).toEqual([3, 31]); // „on line”, „on-line”
    expect(await list('on-line')).toEqual([3, 31]);
    expect(await list('CAL-u')).toEqual(await list('CAL'));
    expect(await list('CAL')).toEqual([1, 9, 19]); // CAL, CAL-u, CALE
    expect(await list('mikro granty')).toEqual(await list('mikrogranty'));
  });

  it('knows the synonyms in data/synonimy.txt', async () => {
    expect(await list('Centrum Aktywności Lokalnej')).toEqual([1, 9, 19]);
    const office = await list('urząd miasta');
    expect(office).toEqual(expect.arrayContaining([3, 13, 18, 20, 26, 46, 50, 66, 72]));
    expect(await list('UMT')).toEqual(office);
    expect(await list('generator ofert')).toEqual([18, 22, 27]); // witkac
    expect(await list('organizacje pozarządowe')).toEqual(await list('NGO'));
  });

  it('drops stop words unless the query is only stop words', async () => {
    expect(await list('wolontariat w szkołach')).toEqual([68]);
    expect(await list('szkolenia dla NGO')).toEqual(await list('szkolenia NGO'));
    expect((await list('dla')).length).toBeGreaterThan(0);
  });

  it('finds the proposal an LP number names', async () => {
    for (const q of ['7', 'LP 7', 'lp7', 'LP. 7']) expect(await list(q)).toEqual([7]);
    expect((await exported('lp 7')).map((r) => r.lp)).toEqual([7]);
    // no such LP in the filtered list: the digits are searched as text instead
    expect(lps((await app.inject('/?q=7&table=2')).body)).toEqual([]);
  });

  it('shows the best partial matches under their own heading when no proposal has every word', async () => {
    // „Barbarka” (one proposal) outweighs „wolontariat” (seven): those with only the common word are left out
    const body = await page('wolontariat barbarka');
    expect(body).toContain('Żadna propozycja nie zawiera wszystkich szukanych słów');
    expect(lps(body)).toEqual([19]);
    // two words of three (68: wolontariat, szkołach) outweigh the rarest alone (19: barbarka), under half the query
    const rows = await exported('wolontariat szkołach barbarka');
    expect(rows.map((r) => r.lp)).toEqual([68]);
    expect(rows.every((r) => r.match === 'partial')).toBe(true);
    // a query with every word found shows no such heading
    expect(await page('wolontariat szkołach')).not.toContain('Żadna propozycja nie zawiera');
  });

  it('joins a word family: a noun and its verb, a quality and its adjective, small and smaller', async () => {
    const consultations = [6, 30, 31, 41, 48, 72];
    expect(await list('konsultacje')).toEqual(consultations);
    expect(await list('konsultowanie')).toEqual(consultations); // „konsultowania on-line”, „konsultacji”
    expect(await list('księgowość')).toEqual([3, 59, 61]); // 61: „usługi prawne, księgowe”
    expect(await list('mniejsze organizacje')).toEqual(await list('małe organizacje'));
    expect(await list('mniejsze organizacje')).toEqual(expect.arrayContaining([6, 9, 40]));
  });

  it('reads a question as its subject: question words and fillers go, a common word is optional', async () => {
    const premises = await list('lokale');
    expect(await list('gdzie znajdę lokale dla NGO?')).toEqual(premises);
    expect(await list('czy miasto może dać lokal?')).not.toEqual([]);
    // „NGO” is in most proposals: it does not have to match when the query has a rarer word
    expect(await list('szkolenia dla NGO')).toEqual(await list('szkolenia'));
    expect(await list('szkolenia dla NGO')).toEqual([3, 53, 59, 64, 73]);
  });

  it('finds the proposals addressed to a unit by its name or usual abbreviation', async () => {
    expect(await list('ZGM')).toEqual([7, 66]); // Zakład Gospodarki Mieszkaniowej, named in no text
    expect(await list('Zakład Gospodarki Mieszkaniowej')).toEqual([7, 66]);
    expect(await list('MOPR-u')).toEqual([43, 71]);
    expect(await list('Pełnomocnik do spraw Równości')).toEqual([36, 71]);
    // a unit and a word: both must match
    expect(await list('ZGM lokale użytkowe')).toEqual([66]);
  });

  it('splits a hyphenated word as well as joining it', async () => {
    expect(await list('e-wolontariat')).toEqual(await list('wolontariat'));
  });

  it('knows what the field vocabulary and the thesaurus say a word means', async () => {
    // the field vocabulary: small grants by their other names; equipment includes computers, not the reverse
    expect(await list('mikrodotacje')).toEqual([4, 24, 68]);
    expect(await list('sprzęt')).toEqual(expect.arrayContaining([56, 58, 60]));
    expect(await list('komputery')).toEqual([56]);
    // the thesaurus, for a word these texts never use: kooperacja → współpraca
    expect(await list('kooperacja')).toEqual(await list('współpraca'));
    expect(await list('kooperacja')).not.toEqual([]);
    // a word the dictionary knows is not „corrected” into another word of the texts
    expect(await page('odśnieżanie')).not.toContain('Pokazujemy wyniki dla');
  });

  it('offers a way forward on an empty result', async () => {
    const body = await page('xyzzyq');
    expect(body).toContain('Nie znaleziono propozycji dla frazy „xyzzyq”');
    expect(body).toContain('Co można zrobić');
    expect(body).toContain('np. „7” albo „LP 7”');
    expect(await exported('xyzzyq')).toEqual([]);
  });
});
