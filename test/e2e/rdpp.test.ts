import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, TEST_PASSWORD, type App, unitIdByName } from '../helpers.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

const ADMIN = 'admin@torun.test';
const REVIEWER = 'rdpp@torun.test';
const EDU = 'Wydział Edukacji';
const PHONE = { width: 375, height: 740 };

describe.skipIf(skipBrowserTests)('the RDPP’s view in Chromium: Postęp konsultacji, its lists, the opinion', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  const states: Record<string, Awaited<ReturnType<BrowserContext['storageState']>>> = {};
  const url = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    await createUser(app, ADMIN, 'admin');
    await createUser(app, REVIEWER, 'reviewer');
    // some progress to show: LP 10 assigned to Edukacja and overdue
    const admin = new Agent(app);
    await admin.login(ADMIN);
    const id = idOfLp(app, 10);
    const page = await admin.get(`/staff/proposals/${id}`);
    const res = await admin.post(`/proposals/${id}/assignments`, {
      version: Number(/name="version" value="(\d+)"/.exec(page.body)![1]),
      unitIds: String(unitIdByName(app, EDU)),
      dueDate: todayInWarsaw(new Date(Date.now() + 14 * 86_400_000)),
    });
    expect(res.statusCode).toBe(303);
    app.database.sqlite.prepare("UPDATE assignments SET due_date = '2026-01-05' WHERE proposal_id = ?").run(id);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const [who, email] of [
      ['admin', ADMIN],
      ['reviewer', REVIEWER],
    ]) {
      const context = await newContext(browser);
      const p = await context.newPage();
      await p.goto(url('/login'));
      await p.getByLabel('Adres e-mail').fill(email!);
      await p.getByLabel('Hasło').fill(TEST_PASSWORD);
      await Promise.all([p.waitForURL(url('/staff')), p.getByRole('button', { name: 'Zaloguj się' }).click()]);
      states[who!] = await context.storageState();
      await context.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Opens the page as someone (CSP bypassed for axe), optionally drives it, and fails on any axe violation. */
  async function expectNoAxeViolations(
    who: string,
    path: string,
    opts: { viewport?: { width: number; height: number }; prepare?: (page: Page) => Promise<void> } = {},
  ) {
    const page = await axePage(browser, { storageState: states[who], viewport: opts.viewport });
    const response = await page.goto(url(path));
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(url(path));
    if (opts.prepare) await opts.prepare(page);
    expect(await page.locator('h1').count()).toBe(1);
    const violations = await runAxe(page);
    expect(
      violations.map((v) => v.id),
      `axe on ${page.url()} (${who}):\n${formatViolations(violations)}`,
    ).toEqual([]);
  }

  test('the reviewer’s home is "Postęp konsultacji": axe on a desktop and at 375 px', async () => {
    await expectNoAxeViolations('reviewer', '/staff', {
      prepare: async (page) => {
        expect(await page.locator('h1').innerText()).toBe('Postęp konsultacji');
        expect(await page.title()).toBe('Postęp konsultacji – Konsultacje Toruń');
        const units = page.getByRole('region', { name: 'Jednostki' });
        expect(await units.getByRole('row', { name: new RegExp(EDU) }).innerText()).toMatch(/1\s+0\s+1\s+1/);
      },
    });
    await expectNoAxeViolations('reviewer', '/staff/progress', {
      viewport: PHONE,
      prepare: async (page) => {
        // the page itself never scrolls sideways; wide tables scroll inside their own focusable region
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
        }));
        expect(widths.page).toBeLessThanOrEqual(widths.viewport);
        const region = page.getByRole('region', { name: 'Stanowiska jednostek' });
        const scroll = await region.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
        expect(scroll.scroll).toBeGreaterThan(scroll.client);
        await region.focus();
        await page.keyboard.press('ArrowRight');
        await expect.poll(() => region.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
      },
    });
  });

  test('without JavaScript, a column header sorts the table and a count opens the list behind it', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false, storageState: states.reviewer });
    try {
      const page = await context.newPage();
      await page.goto(url('/staff/progress'));
      const units = page.getByRole('region', { name: 'Jednostki' });
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('sort') === 'name'),
        units.getByRole('link', { name: /^Jednostka/ }).click(),
      ]);
      expect(await units.getByRole('columnheader', { name: /^Jednostka/ }).getAttribute('aria-sort')).toBe('ascending');
      const row = units.getByRole('row', { name: new RegExp(EDU) });
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff/proposals'),
        row.getByRole('link', { name: '1' }).last().click(),
      ]);
      expect(new URL(page.url()).searchParams.get('position')).toBe('po-terminie');
      expect(await page.locator('h1').innerText()).toBe(`Propozycje: przekazane do: ${EDU}, stanowisko po terminie`);
      expect(await page.getByRole('link', { name: /LP|[a-z]/ }).count()).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });

  test('axe: the list behind a count and the queue (also at 375 px)', async () => {
    await expectNoAxeViolations('reviewer', '/staff/proposals?unit=wydzial-edukacji&position=po-terminie');
    await expectNoAxeViolations('reviewer', '/staff/proposals?status=nowa', { viewport: PHONE });
    await expectNoAxeViolations('reviewer', '/staff/queue');
  }, 90_000);

  test('an admin records the RDPP’s opinion by keyboard; axe on the form, its errors and the result', async () => {
    await expectNoAxeViolations('admin', '/staff/rdpp-opinions/new', {
      prepare: async (page) => {
        await page.getByLabel('Treść opinii').fill('');
        await page.getByLabel('Data opinii').fill('2099-01-01');
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 422),
          page.getByRole('button', { name: 'Zapisz opinię' }).click(),
        ]);
        await page.waitForLoadState();
        expect(await page.locator('#error-summary').innerText()).toContain('Wpisz treść opinii RDPP.');
      },
    });
    const context = await newContext(browser, { storageState: states.admin });
    try {
      const page = await context.newPage();
      await page.goto(url('/staff/progress'));
      await page.getByRole('link', { name: 'Zapisz opinię RDPP' }).focus();
      await Promise.all([page.waitForURL(/\/staff\/rdpp-opinions\/new/), page.keyboard.press('Enter')]);
      await page.getByLabel('Data opinii').fill('2026-11-20');
      await page.getByLabel('Treść opinii').fill('Rada pozytywnie opiniuje przebieg konsultacji.');
      await page.getByLabel('Nazwa załącznika', { exact: false }).fill('uchwala-rdpp.pdf');
      await page.getByLabel('Nazwa załącznika', { exact: false }).press('Enter');
      await page.waitForURL((u) => u.searchParams.get('ok') === 'opinia');
      expect(await page.getByRole('status').innerText()).toBe('Zapisano opinię RDPP.');
      const opinion = page.getByRole('article', { name: 'Opinia z 20 listopada 2026' });
      expect(await opinion.innerText()).toContain('Załącznik: uchwala-rdpp.pdf');
    } finally {
      await context.close();
    }
    await expectNoAxeViolations('admin', '/staff/progress?ok=opinia');
  }, 90_000);
});
