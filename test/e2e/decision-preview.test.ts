import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { build, createUser, idOfLp, TEST_PASSWORD, type App } from '../helpers.js';
import { at, KULTURA, storyTools, ZDROWIE } from '../public/fixtures.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

const ADMIN = 'admin@preview.test';
const DECISION_TEXT = 'Uwzględniono: Wydział Kultury udostępni organizacjom salę w CKK Jordanki raz w miesiącu.';
const KULTURA_WHY = 'Sala w CKK Jordanki może być udostępniana raz w miesiącu.';
const ZDROWIE_WHY = 'Wydział Zdrowia nie dysponuje salami.';
const PHONE = { width: 390, height: 844 };

describe.skipIf(skipBrowserTests)('publish preview and confirmations in Chromium', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let lp7: number;
  let lp10: number;
  let lp11: number;
  let admin: BrowserContext;
  const url = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    const tools = await storyTools(app);
    lp7 = idOfLp(app, 7);
    lp10 = idOfLp(app, 10);
    lp11 = idOfLp(app, 11);
    tools.assign(lp7, [KULTURA, ZDROWIE], KULTURA, '2026-12-20', at(1));
    await tools.position(lp7, KULTURA, 'uwzgledniona', KULTURA_WHY, at(2));
    await tools.position(lp7, ZDROWIE, 'nieuwzgledniona', ZDROWIE_WHY, at(3));
    tools.assign(lp10, [KULTURA, ZDROWIE], KULTURA, '2099-12-20', at(4));
    tools.duplicate(lp11, 10, 'Ta sama prośba o lokale.', at(5));
    await createUser(app, ADMIN, 'admin');
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = await loggedIn();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A context signed in as the admin through the login form. */
  async function loggedIn(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    const context = await newContext(browser, options);
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Adres e-mail').fill(ADMIN);
    await page.getByLabel('Hasło').fill(TEST_PASSWORD);
    await Promise.all([page.waitForURL(url('/staff')), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
    await page.close();
    return context;
  }

  /**
   * Drives a fresh page of an axe context (CSP bypassed so axe can be injected, the admin's session)
   * with `prepare`, at the desktop width and at 390 px, and fails on any WCAG 2.1 A/AA violation.
   */
  async function expectNoAxeViolations(prepare: (page: Page) => Promise<void>, fitsPhone = 'html') {
    for (const viewport of [{ width: 1280, height: 900 }, PHONE]) {
      const page = await axePage(browser, { storageState: await admin.storageState(), viewport });
      await prepare(page);
      expect(await page.locator('h1').count()).toBe(1);
      const violations = await runAxe(page);
      expect(violations, `axe on ${page.url()} at ${viewport.width} px:\n${formatViolations(violations)}`).toEqual([]);
      // what this feature adds is no wider than a phone's screen (`fitsPhone`: those elements)
      const widest = await page.evaluate(
        (selector) => Math.max(...[...document.querySelectorAll(selector)].map((e) => e.getBoundingClientRect().right)),
        fitsPhone,
      );
      expect(widest, `${fitsPhone} wider than the screen on ${page.url()}`).toBeLessThanOrEqual(viewport.width);
    }
  }

  /** Fills the decision form on LP 7 (citing only Wydział Kultury) and opens the preview. */
  async function openPreview(page: Page) {
    await page.goto(url(`/staff/proposals/${lp7}`));
    await page.getByLabel('Sposób rozpatrzenia', { exact: true }).selectOption({ label: 'uwzględniona' });
    await page.getByLabel('Sposób wykorzystania – treść publikowana dla organizacji').fill(DECISION_TEXT);
    await page.getByRole('checkbox', { name: `${KULTURA}: uwzględniona`, exact: true }).check();
    await Promise.all([
      page.waitForURL(url(`/proposals/${lp7}/decision/preview`)),
      page.getByRole('button', { name: 'Sprawdź przed publikacją' }).click(),
    ]);
  }

  test('axe (desktop and 390 px): the decision form, the preview', async () => {
    await expectNoAxeViolations(async (page) => {
      await page.goto(url(`/staff/proposals/${lp7}`));
    }, 'section[aria-labelledby="decyzja"], section[aria-labelledby="decyzja"] *');
    await expectNoAxeViolations(openPreview);
  }, 120_000);

  test('preview, back to the form with the values kept, then publish', async () => {
    const page = await admin.newPage();
    // the text field says it is public, and is described by that hint
    await page.goto(url(`/staff/proposals/${lp7}`));
    const text = page.getByLabel('Sposób wykorzystania – treść publikowana dla organizacji');
    expect(await text.getAttribute('aria-describedby')).toBe('decision-text-hint');
    expect(await page.locator('#decision-text-hint').innerText()).toContain(
      'Widoczne publicznie na stronie propozycji i w danych otwartych',
    );

    await openPreview(page);
    expect(await page.locator('h1').innerText()).toBe('Sprawdź decyzję przed publikacją');
    const preview = await page.getByRole('region', { name: /^Podgląd/ }).innerText();
    expect(preview).toContain('Propozycja uwzględniona');
    expect(preview).toContain(DECISION_TEXT);
    expect(preview).toContain(`${KULTURA}: uwzględniona – ${KULTURA_WHY}`);
    expect(preview).not.toContain(ZDROWIE_WHY);
    const positions = await page.getByRole('region', { name: 'Stanowiska jednostek' }).innerText();
    expect(positions).toContain(`Nie zostaną opublikowane (zobaczą je tylko pracownicy): ${ZDROWIE}.`);
    // nothing is published yet
    expect(app.database.sqlite.prepare('SELECT count(*) n FROM decisions').get()).toEqual({ n: 0 });

    await Promise.all([
      page.waitForURL(url(`/proposals/${lp7}/decision/edit#decyzja`)),
      page.getByRole('button', { name: 'Wróć do edycji' }).click(),
    ]);
    expect(await page.getByLabel('Sposób rozpatrzenia', { exact: true }).inputValue()).toBe('uwzgledniona');
    expect(await text.inputValue()).toBe(DECISION_TEXT);
    expect(await page.getByRole('checkbox', { name: `${KULTURA}: uwzględniona`, exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: `${ZDROWIE}: nieuwzględniona`, exact: true }).isChecked()).toBe(
      false,
    );

    await Promise.all([
      page.waitForURL(url(`/proposals/${lp7}/decision/preview`)),
      page.getByRole('button', { name: 'Sprawdź przed publikacją' }).click(),
    ]);
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('ok') === 'decyzja'),
      page.getByRole('button', { name: 'Opublikuj', exact: true }).click(),
    ]);
    expect(await page.locator('#komunikat').innerText()).toBe('Decyzja została opublikowana.');

    await page.goto(url(`/proposals/${lp7}`));
    const published = await page.getByRole('region', { name: 'Sposób wykorzystania' }).innerText();
    expect(published).toContain(DECISION_TEXT);
    expect(published).toContain(`${KULTURA}: uwzględniona – ${KULTURA_WHY}`);
    expect(published).not.toContain(ZDROWIE_WHY);
    await page.close();
  });

  const removeZdrowie = `Usuń przekazanie: ${ZDROWIE}`;

  test('without JavaScript: "Usuń przekazanie" opens a confirmation page; Anuluj goes back, Tak removes', async () => {
    const context = await loggedIn({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(url(`/staff/proposals/${lp10}`));
      await Promise.all([
        page.waitForURL(/\/assignments\/\d+\/removal$/),
        page.getByRole('link', { name: removeZdrowie }).click(),
      ]);
      const confirmation = page.url();
      expect(await page.locator('h1').innerText()).toBe(`Usunąć przekazanie do: ${ZDROWIE}?`);
      expect(await page.locator('main').innerText()).toContain('Cofnięto przekazanie do:');

      await Promise.all([
        page.waitForURL(url(`/staff/proposals/${lp10}#przekazania`)),
        page.getByRole('link', { name: 'Anuluj' }).click(),
      ]);
      expect(await page.getByRole('link', { name: removeZdrowie }).count()).toBe(1);

      await page.goto(confirmation);
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('ok') === 'usunieto-przekazanie'),
        page.getByRole('button', { name: 'Tak, usuń przekazanie' }).click(),
      ]);
      expect(await page.locator('#komunikat').innerText()).toBe('Usunięto przekazanie.');
      expect(await page.getByRole('link', { name: removeZdrowie }).count()).toBe(0);
      // the confirmation page itself (no script needed to read it) passes axe
      await expectNoAxeViolations(async (p) => {
        await p.goto(url(`/staff/proposals/${lp11}/duplicate/removal`));
      });
    } finally {
      await context.close();
    }
  }, 90_000);

  test('with JavaScript: a real dialog, opened and closed by keyboard, focus returning to the button', async () => {
    const page = await admin.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.goto(url(`/staff/proposals/${lp10}`));
    await page.waitForFunction(() => 'htmx' in window);
    const removeKultura = page.getByRole('link', { name: `Usuń przekazanie: ${KULTURA}` });
    const dialog = page.getByRole('dialog');
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

    // open with Enter: the confirmation is fetched into the dialog, which takes focus
    await removeKultura.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(page.url()).toBe(url(`/staff/proposals/${lp10}`));
    expect(await page.getByRole('dialog', { name: `Usunąć przekazanie do: ${KULTURA}?` }).count()).toBe(1);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('potwierdzenie-h');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Tak, usuń przekazanie');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Anuluj');

    // Esc closes it and focus is back on the button that opened it
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await focused()).toBe(`Usuń przekazanie: ${KULTURA}`);

    // "Anuluj" closes it too (no page load)
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await focused()).toBe(`Usuń przekazanie: ${KULTURA}`);
    expect(page.url()).toBe(url(`/staff/proposals/${lp10}`));
    // nothing was removed
    expect(await removeKultura.count()).toBe(1);

    // "Cofnij oznaczenie jako duplikat" on LP 11, confirmed in the dialog by keyboard
    await page.goto(url(`/staff/proposals/${lp11}`));
    await page.waitForFunction(() => 'htmx' in window);
    await page.getByRole('link', { name: 'Cofnij oznaczenie jako duplikat' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('dialog', { name: /^Cofnąć oznaczenie LP 11/ }).isVisible()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Tak, cofnij oznaczenie');
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('ok') === 'cofnieto-duplikat'),
      page.keyboard.press('Enter'),
    ]);
    expect(await page.locator('#komunikat').innerText()).toBe('Cofnięto oznaczenie duplikatu.');
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();

    // axe with the dialog open, desktop and phone
    await expectNoAxeViolations(async (p) => {
      await p.goto(url(`/staff/proposals/${lp10}`));
      await p.waitForFunction(() => 'htmx' in window);
      await p.getByRole('link', { name: `Usuń przekazanie: ${KULTURA}` }).click();
      await expect.poll(() => p.getByRole('dialog').isVisible()).toBe(true);
    }, 'dialog, dialog *, .separate-action a');
  }, 90_000);
});
