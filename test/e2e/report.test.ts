import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Agent, build, createUser, TEST_PASSWORD, type App } from '../helpers.js';
import { allProposals, decideWithServices, staffAccounts } from '../reports/fixtures.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

const ADMIN = 'admin@t.test';

describe.skipIf(skipBrowserTests)('the consultation report in Chromium', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let adminState: Awaited<ReturnType<BrowserContext['storageState']>>;
  const url = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    const staff = await staffAccounts(app);
    // a few decisions, so the table holds outcomes, texts and pending rows side by side
    for (const p of allProposals(app).filter((x) => [1, 3, 13, 25].includes(x.lp))) {
      decideWithServices(app, p.id, p.lp, staff);
    }
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
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function expectNoAxeViolations(
    path: string,
    options: { admin?: boolean; prepare?: (p: Page) => Promise<void> },
  ) {
    const page = await axePage(browser, { storageState: options.admin ? adminState : undefined });
    const response = await page.goto(url(path));
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(url(path));
    if (options.prepare) await options.prepare(page);
    expect(await page.locator('h1').count()).toBe(1);
    const violations = await runAxe(page);
    const summary = violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
    expect(summary, `axe violations on ${page.url()}:\n${formatViolations(violations)}`).toEqual([]);
  }

  test('axe: the report page (a draft), for the public and for an admin', async () => {
    await expectNoAxeViolations('/raport', {});
    await expectNoAxeViolations('/raport?consultation=torun-2026', { admin: true });
  });

  test('axe: the header form, and the form with its error summary after a failed submit', async () => {
    await expectNoAxeViolations('/staff/report/torun-2026', { admin: true });
    await expectNoAxeViolations('/staff/report/torun-2026', {
      admin: true,
      prepare: async (page) => {
        await page.getByLabel('Data rozpoczęcia konsultacji').fill('2026-11-17');
        await page.getByLabel('Data zakończenia konsultacji').fill('2026-11-03');
        await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Zapisz informacje' }).click()]);
        await expect.poll(() => page.locator('#error-summary').count()).toBe(1);
      },
    });
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
      // Tab to the button and submit with Enter, as a keyboard user does
      await page.getByLabel('Uwagi o przebiegu konsultacji').focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Zapisz informacje');
      await Promise.all([page.waitForURL(url('/staff/report/torun-2026?ok=saved')), page.keyboard.press('Enter')]);
      await page.getByRole('link', { name: 'Zobacz zestawienie' }).click();
      await page.waitForURL(url('/raport?consultation=torun-2026'));
      expect(await page.locator('.report-facts').innerText()).toContain('Uchwała nr 1/2026 Rady Miasta Torunia');
    } finally {
      await context.close();
    }
  });

  test('print: A4 landscape, no site navigation, column headings repeated on every page', async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(url('/raport'));
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.site-header').isVisible()).toBe(false);
      expect(await page.locator('.report-actions').isVisible()).toBe(false);
      expect(await page.locator('.report-table thead').evaluate((e) => getComputedStyle(e).display)).toBe(
        'table-header-group',
      );
      expect(await page.locator('.report-draft').evaluate((e) => getComputedStyle(e, '::before').content)).toBe(
        '"PROJEKT"',
      );
      const pdf = await page.pdf({ preferCSSPageSize: true });
      const text = pdf.toString('latin1');
      // A4 landscape in PostScript points: 842 × 595
      const boxes = [...text.matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((m) => [
        Math.round(Number(m[1])),
        Math.round(Number(m[2])),
      ]);
      expect(boxes.length).toBeGreaterThan(1);
      for (const box of boxes) expect(box).toEqual([842, 595]);
    } finally {
      await context.close();
    }
  });
});
