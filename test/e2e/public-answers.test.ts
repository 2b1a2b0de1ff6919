import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, idOfLp, type App } from '../helpers.js';
import { at, KULTURA, storyTools, ZDROWIE } from '../public/fixtures.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

const SEARCH_LABEL = 'Szukaj w treści propozycji';
const PHONE = { width: 375, height: 740 };

describe.skipIf(skipBrowserTests)('public answers in Chromium: who answers, outcomes, progress, statuses', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let context: BrowserContext;
  let phone: BrowserContext;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    // a consultation under way: one decided, reopened and decided again, one merged into it, one waiting
    const story = await storyTools(app);
    const lp7 = idOfLp(app, 7);
    story.assign(lp7, [KULTURA, ZDROWIE], KULTURA, '2026-12-10', at(0));
    await story.position(lp7, KULTURA, 'uwzgledniona', 'Kultura popiera.', at(1));
    await story.position(lp7, ZDROWIE, 'czesciowo-uwzgledniona', 'Zdrowie w części.', at(2));
    story.decide(lp7, 'nieuwzgledniona', 'Pierwsza decyzja.', at(3));
    story.reopen(lp7, 'Nowe informacje.', at(4));
    story.decide(lp7, 'uwzgledniona', 'Druga decyzja.', at(5));
    story.duplicate(idOfLp(app, 66), 7, 'Ta sama prośba.', at(6));
    story.assign(idOfLp(app, 13), [KULTURA, ZDROWIE], KULTURA, '2026-12-10', at(7));
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    context = await newContext(browser);
    phone = await newContext(browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const url = (path: string) => `${base}${path}`;
  const lpsIn = (page: Page) => page.locator('#wyniki .proposal-item .lp').allTextContents();

  describe('axe-core: no WCAG 2.1 A/AA violations', () => {
    const pages: { name: string; path: () => string }[] = [
      { name: 'list with outcomes and progress', path: () => '/' },
      { name: 'list filtered by outcome', path: () => '/?outcome=uwzgledniona' },
      { name: 'list filtered by an assigned unit', path: () => '/?unit=wydzial-zdrowia-i-polityki-spolecznej' },
      { name: 'consultation page with its chart', path: () => '/consultation' },
      { name: 'statuses page', path: () => '/statuses' },
      { name: 'LP 7: decided, reopened, decided again', path: () => `/proposals/${idOfLp(app, 7)}?q=lokal` },
      { name: 'LP 13: who answers', path: () => `/proposals/${idOfLp(app, 13)}` },
      { name: 'LP 66: a duplicate', path: () => `/proposals/${idOfLp(app, 66)}` },
      { name: 'unit page', path: () => '/units/wydzial-kultury' },
    ];
    test.each(pages)('$name', async ({ path }) => {
      const page = await axePage(browser);
      expect((await page.goto(url(path())))?.status()).toBe(200);
      expect(await page.locator('h1').count()).toBe(1);
      const violations = await runAxe(page);
      expect(violations, `axe violations on ${path()}:\n${formatViolations(violations)}`).toEqual([]);
    });

    test('the list and the consultation page at a phone width', async () => {
      for (const path of ['/', '/consultation']) {
        const page = await axePage(browser, { viewport: PHONE });
        await page.goto(url(path));
        const violations = await runAxe(page);
        expect(violations, `axe violations on ${path} (phone):\n${formatViolations(violations)}`).toEqual([]);
      }
    });
  });

  test('status tags are sized to their text on a phone, differ by more than colour, and link to the statuses', async () => {
    const page = await phone.newPage();
    try {
      await page.goto(url('/?table=1'));
      const boxes = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('#wyniki .proposal-item')].slice(0, 8).map((item) => {
          const tag = item.querySelector<HTMLElement>('.status')!;
          const t = tag.getBoundingClientRect();
          const lineHeight = parseFloat(getComputedStyle(tag).lineHeight);
          return {
            width: t.width,
            itemWidth: item.getBoundingClientRect().width,
            height: t.height,
            lineHeight,
            mark: getComputedStyle(tag, '::before').content,
            text: tag.innerText.trim(),
          };
        }),
      );
      expect(boxes.length).toBe(8);
      for (const b of boxes) {
        expect(b.width).toBeLessThan(b.itemWidth / 2);
        expect(b.height).toBeLessThan(b.lineHeight * 2);
        expect(b.text.length).toBeGreaterThan(0);
      }
      const marks = await page.evaluate(() =>
        ['nowa', 'rozstrzygnieta', 'duplikat'].map((s) => {
          const el = document.createElement('a');
          el.className = `status status-${s}`;
          document.body.append(el);
          const cs = getComputedStyle(el);
          return { bg: cs.backgroundColor, mark: getComputedStyle(el, '::before').content };
        }),
      );
      expect(new Set(marks.map((m) => m.bg)).size).toBe(3);
      expect(new Set(marks.map((m) => m.mark)).size).toBe(3);
      await page.locator('#wyniki .status').first().click();
      await page.waitForURL((u) => u.pathname === '/statuses');
      expect(await page.locator('h1').innerText()).toBe('Jak czytać statusy');
    } finally {
      await page.close();
    }
  });

  test('live search replaces the history entry, shows "Wyczyść filtry" and keeps the count by the field on a phone', async () => {
    const page = await phone.newPage();
    try {
      await page.goto(url('/'));
      await page.waitForFunction(() => 'htmx' in window);
      const historyBefore = await page.evaluate(() => history.length);
      expect(await page.getByRole('link', { name: 'Wyczyść filtry' }).count()).toBe(0);
      await page.getByLabel(SEARCH_LABEL).pressSequentially('lokali', { delay: 40 });
      await expect.poll(() => new URL(page.url()).searchParams.get('q'), { timeout: 10_000 }).toBe('lokali');
      await expect.poll(() => page.locator('#liczba-wynikow').innerText()).toMatch(/Znaleziono \d+ propozycj/);
      expect(await page.evaluate(() => history.length)).toBe(historyBefore);
      await expect.poll(() => page.getByRole('link', { name: 'Wyczyść filtry' }).count()).toBe(1);

      // the count sits right under the search field, in view while typing on a phone
      const field = (await page.getByLabel(SEARCH_LABEL).boundingBox())!;
      const count = (await page.locator('#liczba-wynikow').boundingBox())!;
      expect(count.y).toBeGreaterThan(field.y);
      expect(count.y + count.height).toBeLessThanOrEqual(PHONE.height);
      expect(count.y - (field.y + field.height)).toBeLessThan(120);

      await page.getByRole('link', { name: 'Wyczyść filtry' }).click();
      await page.waitForURL((u) => !u.searchParams.has('q'));
      expect((await lpsIn(page)).length).toBe(71);
    } finally {
      await page.close();
    }
  });

  test('the breadcrumb leads back to the same filtered results', async () => {
    const page = await context.newPage();
    try {
      await page.goto(url('/'));
      await page.waitForFunction(() => 'htmx' in window);
      await page.getByRole('combobox', { name: 'Sposób rozpatrzenia' }).selectOption('uwzgledniona');
      await expect.poll(() => lpsIn(page)).toEqual(['LP 7']);
      await page.locator('#wyniki .proposal-item a[href^="/proposals/"]').first().click();
      await page.waitForURL((u) => u.pathname.startsWith('/proposals/'));
      const who = await page.getByRole('region', { name: 'Kto odpowiada' }).innerText();
      expect(who).toContain(`${KULTURA} (jednostka wiodąca)`);
      expect(who).toContain('Stanowiska: 2 z 2');
      expect(who).toContain('Adresaci wskazani na warsztacie');
      const history = await page.getByRole('region', { name: 'Historia' }).innerText();
      expect(history).toContain(`Przekazano do: ${KULTURA} (wiodący), ${ZDROWIE} – termin stanowisk 10 grudnia 2026`);
      expect(history).toContain('Propozycję otwarto ponownie');
      expect(history).toContain('Dołączono propozycję LP 66');
      await page.getByRole('link', { name: 'Wróć do wyników' }).click();
      await page.waitForURL((u) => u.searchParams.get('outcome') === 'uwzgledniona');
      expect(await lpsIn(page)).toEqual(['LP 7']);
      expect(await page.getByRole('combobox', { name: 'Sposób rozpatrzenia' }).inputValue()).toBe('uwzgledniona');
    } finally {
      await page.close();
    }
  });

  test('the consultation chart is one image with a name, and the same numbers are in a table', async () => {
    const page = await context.newPage();
    try {
      await page.goto(url('/consultation'));
      const chart = page.getByRole('img', { name: 'Postęp rozpatrywania propozycji według stolików' });
      expect(await chart.count()).toBe(1);
      expect((await chart.boundingBox())!.width).toBeGreaterThan(200);
      const table = page.getByRole('table', { name: /według stolików/ });
      expect(await table.locator('tbody tr').count()).toBe(7);
      expect(await page.getByRole('table').first().innerText()).toContain('rozstrzygnięte');
    } finally {
      await page.close();
    }
  });
});
