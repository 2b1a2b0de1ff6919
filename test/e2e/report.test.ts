import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Agent, build, createUser, idOfLp, TEST_PASSWORD, type App } from '../helpers.js';
import { at, KULTURA, storyTools } from '../public/fixtures.js';
import { allProposals, decideWithServices, staffAccounts } from '../reports/fixtures.js';
import { pdfInfo, pdfText, pdfWords, skipPdfTests, tempDir } from '../reports/pdf.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

const ADMIN = 'admin@t.test';
const WIDTHS = [1280, 390, 320];

describe.skipIf(skipBrowserTests || skipPdfTests)('the consultation report in Chromium', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let adminState: Awaited<ReturnType<BrowserContext['storageState']>>;
  let dir: string;
  const url = (p: string) => `${base}${p}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    const staff = await staffAccounts(app);
    // decisions on short and long rows (LP 25–27, 67: long texts with sub-points), pending rows between them
    for (const p of allProposals(app).filter((x) => [1, 3, 13, 25, 26, 27, 67].includes(x.lp))) {
      decideWithServices(app, p.id, p.lp, staff);
    }
    // a duplicate of a decided proposal
    const story = await storyTools(app);
    story.duplicate(idOfLp(app, 66), 13, 'Ta sama prośba.', at(0));
    story.assign(idOfLp(app, 7), [KULTURA], KULTURA, '2026-12-20', at(1));
    await createUser(app, 'rdpp@t.test', 'reviewer');
    await new Agent(app).login(ADMIN); // the account works before the browser uses it
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Adres e-mail').fill(ADMIN);
    await page.getByLabel('Hasło').fill(TEST_PASSWORD);
    await Promise.all([page.waitForURL(url('/staff')), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
    adminState = await context.storageState();
    await context.close();
    dir = tempDir('raport-print-');
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** axe finds nothing, there is one h1, and the page is no wider than the window. */
  async function expectAccessible(
    p: string,
    options: { admin?: boolean; width: number; prepare?: (page: Page) => Promise<void> },
  ) {
    const page = await axePage(browser, {
      storageState: options.admin ? adminState : undefined,
      viewport: { width: options.width, height: 800 },
    });
    const response = await page.goto(url(p));
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(url(p));
    if (options.prepare) await options.prepare(page);
    expect(await page.locator('h1').count()).toBe(1);
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: innerWidth }));
    expect(widths.page, `${p} at ${options.width} px is wider than the window`).toBeLessThanOrEqual(widths.window);
    const violations = await runAxe(page);
    const summary = violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
    expect(summary, `axe violations on ${p} at ${options.width} px:\n${formatViolations(violations)}`).toEqual([]);
  }

  const pages: { name: string; path: string; admin?: boolean }[] = [
    { name: 'the report (a draft), public', path: '/raport' },
    { name: 'the report, for an admin', path: '/raport?consultation=torun-2026', admin: true },
    { name: 'the header and sign-off form', path: '/staff/report/torun-2026', admin: true },
    { name: '"Jak czytać statusy"', path: '/statuses' },
    { name: 'the public progress page', path: '/consultation' },
    { name: 'the office’s progress page', path: '/staff', admin: true },
    { name: 'the admin’s consultations', path: '/staff/consultations', admin: true },
  ];
  test.each(WIDTHS.flatMap((width) => pages.map((p) => ({ ...p, width }))))(
    'axe and reflow: $name at $width px',
    async ({ path: p, admin, width }) => {
      await expectAccessible(p, { admin, width });
    },
  );

  test('axe: the form with its error summary after a failed submit, at every width', async () => {
    for (const width of WIDTHS) {
      await expectAccessible('/staff/report/torun-2026', {
        admin: true,
        width,
        prepare: async (page) => {
          await page.getByLabel('Data rozpoczęcia konsultacji').fill('2026-11-17');
          await page.getByLabel('Data zakończenia konsultacji').fill('2026-11-03');
          await page.getByLabel('Data zatwierdzenia').fill('2026-11-01');
          await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Zapisz informacje' }).click()]);
          await expect.poll(() => page.locator('#error-summary').count()).toBe(1);
          expect(await page.locator('#error-summary a[href="#approvedOn"]').count()).toBe(1);
        },
      });
    }
  });

  test('"Postęp konsultacji": the outcome rows are rows of the table, not floating tags', async () => {
    const page = await axePage(browser, { storageState: adminState, viewport: { width: 1280, height: 800 } });
    await page.goto(url('/staff'));
    const table = page.locator('section[aria-labelledby="rozstrzygniecia"] table');
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(6);
    for (const display of await rows.evaluateAll((trs) => trs.map((tr) => getComputedStyle(tr).display))) {
      expect(display).toBe('table-row');
    }
    // each row's cells line up with the column headings
    const headingX = await table
      .locator('thead th')
      .evaluateAll((ths) => ths.map((th) => th.getBoundingClientRect().x));
    const firstRow = await rows
      .nth(0)
      .locator('th, td')
      .evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().x));
    expect(firstRow).toEqual(headingX);
  });

  test('keyboard, no JavaScript: the table region takes focus, the form saves and the report shows it', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false, storageState: adminState });
    try {
      const page = await context.newPage();
      await page.goto(url('/raport'));
      const region = page.getByRole('region', { name: 'Propozycje i sposób ich rozpatrzenia' });
      await region.focus();
      expect(await page.evaluate(() => document.activeElement?.classList.contains('report-scroll'))).toBe(true);

      await page.goto(url('/staff/report/torun-2026'));
      await page.getByLabel('Podstawa prawna').focus();
      await page.keyboard.type('Uchwała nr 1/2026 Rady Miasta Torunia');
      await page.getByLabel('Forma konsultacji').fill('warsztat przy stolikach tematycznych');
      await page.getByLabel('Sporządził(a)').fill('Anna Kowalska, główny specjalista');
      await page.getByLabel('Zatwierdził(a)').fill('Jan Nowak, dyrektor Biura');
      // Enter in the last field sends the form, as a keyboard user does
      await page.getByLabel('Data zatwierdzenia').fill('2026-12-15');
      await page.getByLabel('Data zatwierdzenia').focus();
      await Promise.all([page.waitForURL(url('/staff/report/torun-2026?ok=saved')), page.keyboard.press('Enter')]);
      await page.getByRole('link', { name: 'Zobacz zestawienie' }).click();
      await page.waitForURL(url('/raport?consultation=torun-2026'));
      expect(await page.locator('.report-facts').first().innerText()).toContain(
        'Uchwała nr 1/2026 Rady Miasta Torunia',
      );
      const signOff = await page.locator('.report-sign-off').innerText();
      expect(signOff).toContain('Jan Nowak, dyrektor Biura');
      expect(signOff).toContain('15 grudnia 2026');
    } finally {
      await context.close();
    }
  });

  test('print: A4 landscape pages; headings with rows, the total once, long rows split, dashes kept', async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(url('/raport'));
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.site-header').isVisible()).toBe(false);
      expect(await page.locator('.report-actions').isVisible()).toBe(false);
      expect(await page.locator('.report-draft').evaluate((e) => getComputedStyle(e, '::before').content)).toBe(
        '"PROJEKT"',
      );
      // a long row may break across pages, a short one may not
      const breakInside = (lp: number) => page.locator(`#lp-${lp}`).evaluate((tr) => getComputedStyle(tr).breakInside);
      expect(await breakInside(25)).toBe('auto');
      expect(await breakInside(1)).toBe('avoid');
      const file = path.join(dir, 'raport.pdf');
      fs.writeFileSync(file, await page.pdf({ preferCSSPageSize: true }));

      const info = await pdfInfo(file);
      expect(info.pages).toBeGreaterThan(3);
      // A4 landscape in PostScript points: 842 × 595
      expect([Math.round(info.width), Math.round(info.height)]).toEqual([842, 595]);
      const text = await pdfText(file);
      expect(text).toContain(`Strona 1 z ${info.pages}`);
      expect(text).toMatch(/Dane według stanu na \d{1,2} \S+ \d{4}, godz\. \d{2}:\d{2}\./);
      expect(text).not.toContain('w wersji');
      expect(text).not.toContain('OCR');
      expect(text).toContain('- 2) szkolenia, doradztwo on line');
      expect(text).toContain('Zatwierdzenie zestawienia');
      // the summary's total is printed once (a repeated table footer would print it under each part)
      expect(text.match(/^razem$/gm)).toHaveLength(1);

      // every page that shows the column headings has rows under them
      const words = await pdfWords(file);
      for (let n = 1; n <= info.pages; n++) {
        const mine = words.filter((w) => w.page === n);
        const heading = mine.find((w) => w.text === 'Treść');
        if (!heading) continue;
        // below the headings (up to three lines), not counting the page number and the draft's watermark
        const below = mine.filter((w) => w.yMin > heading.yMax + 30 && !/^(Strona|z|\d+|PROJEKT)$/.test(w.text));
        expect(below.length, `page ${n}: the table's headings with no row under them`).toBeGreaterThan(5);
      }
    } finally {
      await context.close();
    }
  });
});
