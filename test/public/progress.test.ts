import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOMES } from '../../src/db/schema/workflow.js';
import { escapeXml, renderStackedBarChart } from '../../src/progress/chart.js';
import { percent } from '../../src/progress/counts.js';
import { OUTCOME_LABELS, stageOf } from '../../src/workflow/workflow.js';
import { build, idOfLp, type App } from '../helpers.js';
import { at, KULTURA, storyTools, ZDROWIE } from './fixtures.js';

describe('the SVG chart', () => {
  const svg = renderStackedBarChart({
    id: 'w',
    title: 'Postęp <stoliki>',
    description: 'Opis & liczby',
    series: [
      { key: 'a', label: 'rozstrzygnięte' },
      { key: 'b', label: 'w toku' },
    ],
    rows: [
      { label: 'Stolik 1: "A" & <B>', values: { a: 3, b: 1 } },
      { label: 'Stolik 2', values: { a: 0, b: 0 } },
    ],
  });

  it('is one labelled image with a title and a description, its marks hidden from screen readers', () => {
    expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-labelledby="w-title w-desc"/);
    expect(svg).toContain('<title id="w-title">Postęp &#60;stoliki&#62;</title>');
    expect(svg).toContain('<desc id="w-desc">Opis &#38; liczby</desc>');
    expect(svg).toContain('<g aria-hidden="true">');
    expect(svg).not.toMatch(/<script|on\w+=/i);
  });

  it('escapes labels, writes counts as text and draws no segment for a zero', () => {
    expect(svg).toContain('Stolik 1: &#34;A&#34; &#38; &#60;B&#62;');
    expect(svg).not.toContain('<B>');
    expect(svg.match(/fill="url\(#w-p0\)" stroke="#fff"/g)).toHaveLength(1);
    expect(svg).toMatch(/font-weight="700">3<\/text>/);
    expect(escapeXml(`<'&">`)).toBe('&#60;&#39;&#38;&#34;&#62;');
  });

  it('counts every status in one stage and rounds percentages', () => {
    expect(stageOf('w-realizacji')).toBe('decided');
    expect(stageOf('stanowiska-zebrane')).toBe('inProgress');
    expect(stageOf('duplikat')).toBe('merged');
    expect(percent(1, 3)).toBe(33);
    expect(percent(0, 0)).toBe(0);
  });
});

describe('public progress', () => {
  let app: App;
  beforeAll(async () => {
    app = await build();
    const story = await storyTools(app);
    const lp7 = idOfLp(app, 7);
    story.assign(lp7, [KULTURA], KULTURA, '2026-12-10', at(0));
    await story.position(lp7, KULTURA, 'uwzgledniona', '', at(1));
    story.decide(lp7, 'uwzgledniona', 'Tak.', at(2));
    story.assign(idOfLp(app, 1), [ZDROWIE], ZDROWIE, '2026-12-10', at(3));
    story.duplicate(idOfLp(app, 66), 7, '', at(4));
  });
  afterAll(async () => {
    await app.close();
  });

  it('the list sums up: decided, in progress, waiting, by outcome, with links', async () => {
    const res = await app.inject('/');
    expect(res.body).toContain('Rozstrzygnięto <strong>1 z 71</strong> propozycji (1%)');
    expect(res.body).toContain('w toku: 1; czeka na przekazanie do jednostek: 68; połączone z inną propozycją: 1.');
    expect(res.body).toContain('<a href="/?outcome=uwzgledniona">uwzględniona: 1</a>');
    expect(res.body).toContain('href="/consultation"');
  });

  it('the outcome filter lists the proposals decided that way, and refuses an unknown one', async () => {
    const res = await app.inject('/?outcome=uwzgledniona');
    expect([...res.body.matchAll(/<span class="lp">LP (\d+)<\/span>/g)].map((m) => m[1])).toEqual(['7']);
    expect(res.body).toContain('<span class="outcome outcome-uwzgledniona">');
    expect((await app.inject('/?outcome=nieuwzgledniona')).body).toContain('Nie znaleziono propozycji');
    const bad = await app.inject('/?outcome=moze');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Nieznany sposób rozpatrzenia propozycji.');
    const exported = (await app.inject('/export/proposals.json?outcome=uwzgledniona')).json() as {
      lp: number;
      outcome: string;
    }[];
    expect(exported.map((r) => [r.lp, r.outcome])).toEqual([[7, 'uwzgledniona']]);
    const dup = ((await app.inject('/export/proposals.json?status=duplikat')).json() as { duplicateOf: unknown }[])[0];
    expect(dup!.duplicateOf).toEqual({ lp: 7, url: `http://127.0.0.1:3000/proposals/${idOfLp(app, 7)}` });
  });

  it('the consultation page has the chart and the same numbers as tables, per table linked to the list', async () => {
    const res = await app.inject('/consultation');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Postęp konsultacji</h1>');
    expect(res.body).toContain('role="img"');
    expect(res.body).toContain('Rozstrzygnięto 1 z 71 propozycji (1%)');
    expect(res.body).toMatch(/<th scope="row">rozstrzygnięte<\/th><td>1<\/td><td>1%<\/td>/);
    expect(res.body).toMatch(/<a href="\/\?outcome=uwzgledniona">uwzględniona<\/a><\/th><td>1<\/td><td>100%<\/td>/);
    expect(res.body).toContain('<a href="/?table=1">Stolik 1');
    expect(res.body.match(/<a href="\/\?table=\d+">/g)).toHaveLength(7);
    expect((await app.inject('/consultation?consultation=nie-ma')).statusCode).toBe(404);
  });

  it('"Jak czytać statusy" explains every status, and every tag links to it', async () => {
    const res = await app.inject('/statuses');
    expect(res.statusCode).toBe(200);
    for (const s of ['nowa', 'przekazana', 'stanowiska-zebrane', 'rozstrzygnieta', 'w-realizacji', 'zrealizowana']) {
      expect(res.body).toContain(`id="status-${s}"`);
    }
    const list = (await app.inject('/')).body;
    expect(list.match(/<a class="status status-[a-z-]+" href="\/statuses#status-[a-z-]+">/g)).toHaveLength(71);
  });

  it('"Jak czytać statusy" names every outcome and says in a sentence what it means, with its proposals linked', async () => {
    const res = await app.inject('/statuses');
    for (const outcome of OUTCOMES) {
      const entry = new RegExp(
        `<dt id="outcome-${outcome}"><span class="outcome outcome-${outcome}"><span class="visually-hidden">` +
          `Sposób rozpatrzenia: </span>([^<]+)</span></dt>\\s*<dd>([^<]+) <a href="/\\?outcome=${outcome}">`,
      ).exec(res.body);
      expect(entry, outcome).not.toBeNull();
      expect(entry![1]).toBe(OUTCOME_LABELS[outcome]);
      expect(entry![2]!.length, outcome).toBeGreaterThan(60);
    }
    expect(res.body).toContain('Uzasadnienie („sposób wykorzystania”)');
    // what "rozpatrzona" counts, as the report and the progress pages count it
    expect(res.body).toContain('<h2 id="rozpatrzona">Propozycja rozpatrzona</h2>');
  });
});
