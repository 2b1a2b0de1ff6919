import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { addNote, assignUnits } from '../../src/triage/service.js';
import { build, createUser, idOfLp, TEST_PASSWORD, type App, unitIdByName } from '../helpers.js';
import { axePage, expectAccessible, launchBrowser, newContext, signIn, skipBrowserTests } from './browser.js';

/**
 * Finding work in Chromium: the searchable staff list, the queue's "Przekaż zaznaczone (N)" bar by keyboard (with
 * and without JavaScript) and the audit log, each checked by axe on a desktop and at 390 px.
 */
const ADMIN = 'admin@torun.test';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

describe.skipIf(skipBrowserTests)('finding work in Chromium', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let admin: BrowserContext;
  const url = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    const adminId = await createUser(app, ADMIN, 'admin');
    // some work for the audit log: an assignment (with its status change) and notes
    const due = todayInWarsaw(new Date(Date.now() + 14 * 86_400_000));
    assignUnits(
      app.database.db,
      idOfLp(app, 10),
      { version: 1, unitIds: [unitIdByName(app, 'Wydział Edukacji')], dueDate: due },
      adminId,
    );
    for (const lp of [11, 12, 13]) addNote(app.database.db, idOfLp(app, lp), `Zadzwonić w sprawie LP ${lp}.`, adminId);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = await newContext(browser, { viewport: DESKTOP });
    await signIn(admin, base, ADMIN, TEST_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function expectNoAxeViolations(path: string, viewport = DESKTOP, status = 200) {
    const page = await axePage(browser, { storageState: await admin.storageState(), viewport });
    const response = await page.goto(url(path));
    expect(response?.status()).toBe(status);
    await expectAccessible(page, viewport === PHONE);
  }

  async function withoutJs<T>(run: (page: Page) => Promise<T>, viewport = DESKTOP): Promise<T> {
    const context = await newContext(browser, {
      javaScriptEnabled: false,
      storageState: await admin.storageState(),
      viewport,
    });
    try {
      return await run(await context.newPage());
    } finally {
      await context.close();
    }
  }

  test('the staff list searches and filters without JavaScript, from the staff navigation', async () => {
    await withoutJs(async (page) => {
      await page.goto(url('/staff'));
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff/proposals'),
        page
          .getByRole('navigation', { name: 'Główna nawigacja' })
          .getByRole('link', { name: 'Szukaj propozycji' })
          .click(),
      ]);
      await page.getByLabel('Szukaj w treści propozycji').fill('szkolenia');
      await page.getByLabel('Status').selectOption('nowa');
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('q') === 'szkolenia' && u.searchParams.get('status') === 'nowa'),
        page.getByRole('button', { name: 'Szukaj' }).click(),
      ]);
      expect(await page.locator('h1').innerText()).toBe('Propozycje: „szkolenia”, status: nowa');
      expect(await page.getByRole('status').innerText()).toMatch(/^\d+ propozycj/);
      expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
      expect(await page.getByLabel('Szukaj w treści propozycji').inputValue()).toBe('szkolenia');
    });
  });

  test('axe on the staff list, searched, partial and with an error, on a desktop and at 390 px', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      await expectNoAxeViolations('/staff/proposals?q=szkolenia', viewport);
      await expectNoAxeViolations('/staff/proposals?q=szkolen+ksiegowosc+zzzz&stage=w-toku', viewport);
      await expectNoAxeViolations('/staff/proposals?q=lokal&table=abc', viewport, 400);
    }
  });

  test('without JavaScript the queue\'s "Przekaż zaznaczone (N)" is the next stop after the filter', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      await withoutJs(async (page) => {
        await page.goto(url('/staff/queue?table=2&zaznacz=wszystkie'));
        const rows = await page.locator('input[name="proposalIds"]').count();
        expect(rows).toBeGreaterThan(1);
        const bulk = page.getByRole('button', { name: `Przekaż zaznaczone (${rows})` });
        await page.getByRole('link', { name: 'Wyczyść filtr' }).focus();
        await page.keyboard.press('Tab');
        expect(await bulk.evaluate((el) => el === document.activeElement)).toBe(true);
        // and it stays in view above the last row when the keyboard reaches that row
        await page.locator('input[name="proposalIds"]').last().focus();
        const bar = await page.locator('.selection-bar').boundingBox();
        const box = await page.locator('input[name="proposalIds"]').last().boundingBox();
        expect(bar!.y).toBeGreaterThanOrEqual(0);
        expect(box!.y).toBeGreaterThanOrEqual(bar!.y + bar!.height);
        expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);
        expect(await bulk.isVisible()).toBe(true);
        await Promise.all([page.waitForURL((u) => u.pathname === '/staff/triage/bulk'), bulk.press('Enter')]);
        expect(await page.locator('tbody tr').count()).toBe(rows);
      }, viewport);
    }
  });

  test('with JavaScript the count follows the ticked boxes', async () => {
    const page = await admin.newPage();
    await page.goto(url('/staff/queue'));
    await page.getByRole('checkbox', { name: 'Zaznacz LP 1', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Zaznacz LP 2', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Zaznacz LP 4', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Zaznacz LP 2', exact: true }).uncheck();
    expect(await page.getByRole('button', { name: 'Przekaż zaznaczone (2)' }).count()).toBe(1);
    await page.close();
  });

  test('axe on the queue with its selection bar, on a desktop and at 390 px', async () => {
    await expectNoAxeViolations('/staff/queue?zaznacz=wszystkie');
    await expectNoAxeViolations('/staff/queue?table=2&zaznacz=wszystkie', PHONE);
  });

  test('the audit log filters without JavaScript and passes axe, on a desktop and at 390 px', async () => {
    await withoutJs(async (page) => {
      await page.goto(url('/staff'));
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/staff/audit'),
        page
          .getByRole('navigation', { name: 'Główna nawigacja' })
          .getByRole('link', { name: 'Dziennik zmian' })
          .click(),
      ]);
      await page.getByLabel('Czynność').selectOption({ label: 'przekazanie do jednostek' });
      await page.getByLabel('Kto').selectOption({ label: ADMIN });
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('action') === 'assignment.added'),
        page.getByRole('button', { name: 'Filtruj' }).click(),
      ]);
      expect(await page.getByRole('status').innerText()).toBe('1 wpis');
      const row = page.locator('tbody tr');
      expect(await row.count()).toBe(1);
      expect(await row.innerText()).toContain('Przekazano do: Wydział Edukacji');
      await Promise.all([
        page.waitForURL((u) => u.pathname === `/staff/proposals/${idOfLp(app, 10)}`),
        row.getByRole('link', { name: 'LP 10' }).click(),
      ]);
    });
    for (const viewport of [DESKTOP, PHONE]) {
      await expectNoAxeViolations('/staff/audit', viewport);
      await expectNoAxeViolations('/staff/audit?action=note.added', viewport);
      await expectNoAxeViolations('/staff/audit?from=2026-11-26&to=2026-11-01', viewport, 400);
    }
  });
});
