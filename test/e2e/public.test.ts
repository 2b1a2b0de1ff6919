import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, idOfLp, type App } from '../helpers.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

const SEARCH_LABEL = 'Szukaj w treści propozycji';

describe.skipIf(skipBrowserTests)('public pages in Chromium', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let context: BrowserContext;

  beforeAll(async () => {
    // fails (rather than skips) with a clear message when Chromium is missing and CI is set
    browser = await launchBrowser();
    app = await build({ seed: true });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    context = await newContext(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const url = (path: string) => `${base}${path}`;

  /** The "LP n" labels shown in the results region, in order. */
  const lpsIn = (page: Page, selector = '#wyniki') => page.locator(`${selector} .proposal-item .lp`).allTextContents();

  describe('axe-core: no WCAG 2.1 A/AA violations', () => {
    const pages: { name: string; path: () => string; status: number }[] = [
      { name: 'list', path: () => '/', status: 200 },
      { name: 'filtered list', path: () => '/?q=szkolen&table=1', status: 200 },
      { name: 'proposal LP 3 (sub-points)', path: () => `/proposals/${idOfLp(app, 3)}`, status: 200 },
      { name: 'proposal LP 25', path: () => `/proposals/${idOfLp(app, 25)}`, status: 200 },
      { name: 'proposal LP 54 (no row in the source)', path: () => `/proposals/${idOfLp(app, 54)}`, status: 200 },
      { name: 'units', path: () => '/units', status: 200 },
      { name: 'unit page', path: () => '/units/biuro-dialogu-i-innowacji-miejskich', status: 200 },
      { name: '404 page', path: () => '/nie-ma-takiej-strony', status: 404 },
      { name: '404 proposal', path: () => '/proposals/999999', status: 404 },
    ];

    test('the axe helper reports a known violation (sanity check)', async () => {
      const page = await axePage(browser);
      await page.goto(url('/units'));
      await page.evaluate(() => {
        const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main')?.append(img);
      });
      const violations = await runAxe(page);
      expect(violations.map((v) => v.id)).toContain('image-alt');
      expect(formatViolations(violations)).toMatch(/image-alt \(critical\).*\n\s+- \["img"\]: /);
    });

    test.each(pages)('$name', async ({ path, status }) => {
      const page = await axePage(browser);
      const response = await page.goto(url(path()));
      expect(response?.status()).toBe(status);
      expect(await page.locator('h1').count()).toBe(1);
      const violations = await runAxe(page);
      const summary = violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
      expect(summary, `axe violations on ${path()}:\n${formatViolations(violations)}`).toEqual([]);
    });
  });

  test('htmx live search updates the results region and the URL without reloading', async () => {
    const page = await context.newPage();
    // CSP violations (script-src 'self') and script errors show up as console errors
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto(url('/'));
      await page.waitForFunction(() => 'htmx' in window);
      expect((await lpsIn(page)).length).toBeGreaterThan(60);
      // a marker that would be lost if the browser navigated instead of swapping the fragment
      await page.evaluate(() => {
        (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
      });
      // the live region must be the same element after the search, or screen readers stay silent
      await page.evaluate(() => {
        (document.getElementById('liczba-wynikow') as HTMLElement & { __kept?: boolean }).__kept = true;
      });

      const fragmentRequest = page.waitForRequest(
        (r) => r.url().includes('q=') && r.headers()['hx-target'] === 'wyniki',
      );
      await page.getByLabel(SEARCH_LABEL).pressSequentially('lokali uzytkowych', { delay: 15 });
      await fragmentRequest;

      await expect.poll(() => lpsIn(page), { timeout: 10_000 }).toEqual(['LP 25', 'LP 66']);
      expect(await lpsIn(page)).not.toContain('LP 1');
      await expect.poll(() => page.locator('#liczba-wynikow').innerText()).toContain('Znaleziono 2 propozycje');
      expect(await page.getByRole('status').filter({ hasText: 'Znaleziono 2 propozycje' }).count()).toBe(1);
      expect(
        await page.evaluate(
          () => (document.getElementById('liczba-wynikow') as HTMLElement & { __kept?: boolean }).__kept,
        ),
      ).toBe(true);
      expect(await page.locator('#wyniki').count()).toBe(1); // outerHTML swap keeps exactly one region
      expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

      await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('lokali uzytkowych');
      expect(page.url()).toContain('q=');
      // the field keeps its value and focus while the results change
      expect(await page.getByLabel(SEARCH_LABEL).inputValue()).toBe('lokali uzytkowych');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await page.close();
    }
  });

  test('without JavaScript the filter form submits by GET and the page comes back filtered', async () => {
    const noJs = await newContext(browser, { javaScriptEnabled: false });
    try {
      const page = await noJs.newPage();
      await page.goto(url('/'));
      expect((await lpsIn(page)).length).toBeGreaterThan(60);

      await page.getByLabel(SEARCH_LABEL).fill('szkolen');
      await page.getByRole('combobox', { name: 'Stolik', exact: true }).selectOption('1');
      await Promise.all([
        page.waitForURL((u) => u.searchParams.has('q')),
        page.getByRole('button', { name: 'Filtruj' }).click(),
      ]);

      const params = new URL(page.url()).searchParams;
      expect(params.get('q')).toBe('szkolen');
      expect(params.get('table')).toBe('1');
      expect(await lpsIn(page)).toEqual(['LP 3']);
      expect(await page.locator('#liczba-wynikow').innerText()).toContain('Znaleziono 1 propozycję');
      expect(await page.title()).toMatch(/^Wyniki wyszukiwania/);
      // the full page came back, with the form keeping the chosen filters
      expect(await page.locator('h1').innerText()).toBe('Propozycje i uwagi z konsultacji');
      expect(await page.getByLabel(SEARCH_LABEL).inputValue()).toBe('szkolen');
      expect(await page.getByRole('combobox', { name: 'Stolik', exact: true }).inputValue()).toBe('1');
      expect(await page.getByRole('link', { name: 'Wyczyść filtry' }).count()).toBe(1);
    } finally {
      await noJs.close();
    }
  });

  test('keyboard: skip link first, focus moves to main, search reachable, visible focus outline', async () => {
    const page = await context.newPage();
    try {
      await page.goto(url('/'));
      const active = () =>
        page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return { tag: el?.tagName ?? '', id: el?.id ?? '', text: (el?.textContent ?? '').trim() };
        });

      await page.keyboard.press('Tab');
      const first = await active();
      expect(first.tag).toBe('A');
      expect(first.text).toBe('Przejdź do treści');

      // the focused skip link is on screen and has a visible outline
      const skipStyle = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const cs = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {
          outlineStyle: cs.outlineStyle,
          outlineWidth: parseFloat(cs.outlineWidth),
          left: box.left,
          width: box.width,
        };
      });
      expect(skipStyle.outlineStyle).not.toBe('none');
      expect(skipStyle.outlineWidth).toBeGreaterThan(0);
      expect(skipStyle.left).toBeGreaterThanOrEqual(0);
      expect(skipStyle.width).toBeGreaterThan(0);

      await page.keyboard.press('Enter');
      await expect.poll(async () => (await active()).id).toBe('tresc');
      expect((await active()).tag).toBe('MAIN');

      let reached = false;
      for (let i = 0; i < 5 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await active()).id === 'q';
      }
      expect(reached, 'the search field should be reachable with Tab right after the skip link').toBe(true);

      // tab on to the first link inside the results: it too must show a focus outline
      let linkOutline: string | null = null;
      for (let i = 0; i < 15 && linkOutline === null; i++) {
        await page.keyboard.press('Tab');
        linkOutline = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el?.tagName === 'A' && el.closest('#wyniki') ? getComputedStyle(el).outlineStyle : null;
        });
      }
      expect(linkOutline, 'a link in the results should receive focus').not.toBeNull();
      expect(linkOutline).not.toBe('none');
    } finally {
      await page.close();
    }
  });

  test('Polish text renders on the proposal page (LP 20)', async () => {
    const page = await context.newPage();
    try {
      const response = await page.goto(url(`/proposals/${idOfLp(app, 20)}`));
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toContain('charset=utf-8');
      expect(await page.locator('main').innerText()).toContain('Toruńskiej Agendy Kulturalnej');
      expect(await page.locator('h1').innerText()).toContain('LP 20');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('pl');
    } finally {
      await page.close();
    }
  });
});
