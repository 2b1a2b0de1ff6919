import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { build, createUser, idOfLp, TEST_PASSWORD, type App } from '../helpers.js';
import { axePage, expectAccessible, launchBrowser, newContext, signIn, skipBrowserTests } from './browser.js';

const ADMIN = 'admin@torun.test';
const PHONE = { width: 390, height: 844 };
// LP 7 names the Biuro and ZGM, LP 9 only a unit group (no members yet), the rest one unit each
const TEN = [1, 2, 4, 6, 7, 9, 11, 14, 15, 16];

describe.skipIf(skipBrowserTests)('bulk triage in Chromium: queue → review → assigned', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let admin: BrowserContext;
  const url = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    await createUser(app, ADMIN, 'admin');
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = await newContext(browser);
    await signIn(admin, base, ADMIN, TEST_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Opens `path` as the admin in an axe context (CSP bypassed), lets `prepare` drive it, fails on any violation. */
  async function expectNoAxeViolations(
    path: string,
    opts: { viewport?: { width: number; height: number }; prepare?: (page: Page) => Promise<void> } = {},
  ) {
    const page = await axePage(browser, { storageState: await admin.storageState(), viewport: opts.viewport });
    const response = await page.goto(url(path));
    expect(response?.status()).toBe(200);
    await opts.prepare?.(page);
    await expectAccessible(page, Boolean(opts.viewport));
  }

  const reviewPath = () => `/staff/triage/bulk?${TEN.map((lp) => `proposalIds=${idOfLp(app, lp)}`).join('&')}`;

  test('axe on the queue with its checkboxes and filters, on a desktop and at 390 px', async () => {
    await expectNoAxeViolations('/staff/queue');
    await expectNoAxeViolations('/staff/queue?table=2&zaznacz=wszystkie', { viewport: PHONE });
  });

  test('axe on the review page and on its error state, on a desktop and at 390 px', async () => {
    await expectNoAxeViolations(reviewPath());
    await expectNoAxeViolations(reviewPath(), {
      viewport: PHONE,
      prepare: async (page) => {
        // LP 9 names only a group without members: sent as it is, the row is refused and named
        await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 422),
          page.getByRole('button', { name: 'Przekaż 10 propozycji' }).click(),
        ]);
        await page.waitForLoadState();
        const summary = page.locator('#error-summary');
        await expect.poll(() => summary.innerText()).toContain('LP 9: Zaznacz co najmniej jedną jednostkę.');
        expect(await page.title()).toMatch(/^Błąd: /);
        expect(await app.database.sqlite.prepare('SELECT count(*) AS n FROM assignments').get()).toEqual({ n: 0 });
      },
    });
  });

  test('without JavaScript, "zaznacz wszystkie z filtra" ticks the filtered proposals', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false, storageState: await admin.storageState() });
    try {
      const page = await context.newPage();
      await page.goto(url('/staff/queue'));
      await page.getByLabel('Stolik').selectOption('2');
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('table') === '2'),
        page.getByRole('button', { name: 'Filtruj' }).click(),
      ]);
      const all = page.getByRole('link', { name: /^Zaznacz wszystkie z filtra/ });
      await Promise.all([page.waitForURL((u) => u.searchParams.get('zaznacz') === 'wszystkie'), all.click()]);
      const boxes = page.locator('input[name="proposalIds"]');
      const n = await boxes.count();
      expect(n).toBeGreaterThan(1);
      expect(await page.locator('input[name="proposalIds"]:checked').count()).toBe(n);
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff/triage/bulk'),
        page.getByRole('button', { name: `Przekaż zaznaczone (${n})` }).click(),
      ]);
      expect(await page.locator('tbody tr').count()).toBe(n);
    } finally {
      await context.close();
    }
  });

  test('select ten proposals on the queue, review, submit, see the success message', async () => {
    const page = await admin.newPage();
    await page.goto(url('/staff/queue'));
    for (const lp of TEN) await page.getByRole('checkbox', { name: `Zaznacz LP ${lp}`, exact: true }).check();
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/staff/triage/bulk'),
      page.getByRole('button', { name: 'Przekaż zaznaczone (10)' }).click(),
    ]);
    expect(await page.locator('h1').innerText()).toBe('Przekaż zaznaczone propozycje');
    expect(await page.locator('tbody tr').count()).toBe(10);

    // the units the workshop named are ticked, the first one leads; the admin makes ZGM lead LP 7
    const row7 = page.getByRole('row', { name: /^LP 7\b/ });
    expect(await row7.getByRole('checkbox', { name: 'Zakład Gospodarki Mieszkaniowej' }).isChecked()).toBe(true);
    await row7.getByLabel('Wiodąca').selectOption({ label: 'Zakład Gospodarki Mieszkaniowej' });
    // LP 9 named only a unit group with no members yet: the admin picks the unit
    const row9 = page.getByRole('row', { name: /^LP 9\b/ });
    expect(await row9.innerText()).toContain('wybierz jednostki');
    await row9.getByLabel('Inna jednostka').selectOption({ label: 'Wydział Kultury' });
    await row9.getByLabel('Wiodąca').selectOption({ label: 'Wydział Kultury' });

    await Promise.all([
      page.waitForURL((u) => u.pathname === '/staff/queue'),
      page.getByRole('button', { name: 'Przekaż 10 propozycji' }).click(),
    ]);
    const status = page.getByRole('status').filter({ hasText: 'Przekazano' });
    expect(await status.innerText()).toBe('Przekazano 10 propozycji do jednostek.');
    for (const lp of TEN)
      expect(await page.getByRole('checkbox', { name: `Zaznacz LP ${lp}`, exact: true }).count()).toBe(0);

    const lead = (lp: number) =>
      app.database.sqlite
        .prepare('SELECT u.name FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.proposal_id = ? AND a.lead')
        .pluck()
        .get(idOfLp(app, lp));
    expect(lead(7)).toBe('Zakład Gospodarki Mieszkaniowej');
    expect(lead(9)).toBe('Wydział Kultury');
    expect(lead(1)).toBe('Biuro Dialogu i Innowacji Miejskich');
    await page.close();

    // the success state passes axe too, at 390 px
    await expectNoAxeViolations('/staff/queue?przekazano=10', { viewport: PHONE });
  });
});
