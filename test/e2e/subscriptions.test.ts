import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { build, idOfLp, type App } from '../helpers.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';
import { mintToken } from '../../src/subscriptions/tokens.js';
import { currentClause } from '../../src/subscriptions/clause.js';
import { confirm, requestFollow } from '../../src/subscriptions/service.js';

type Sub = { id: number; email: string; state: string; frequency: string };

describe.skipIf(skipBrowserTests)('following by e-mail in Chromium', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let lp7: number;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    lp7 = idOfLp(app, 7);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const url = (path: string) => `${base}${path}`;
  const subsOf = (email: string) =>
    app.database.sqlite.prepare('SELECT * FROM subscriptions WHERE email = ? ORDER BY id').all(email) as Sub[];

  /** A pending subscription and a raw confirm token, as the mail worker would mail it. */
  function pending(email: string, lp: number) {
    requestFollow(app.database.db, {
      email,
      scope: { kind: 'proposal', id: idOfLp(app, lp) },
      frequency: 'immediate',
      clause: currentClause(),
    });
    const sub = subsOf(email)[0]!;
    return { sub, token: mintToken(app.database.db, { purpose: 'confirm', email, subscriptionId: sub.id }) };
  }

  describe('axe-core: no WCAG 2.1 A/AA violations', () => {
    const pages: { name: string; path: () => string; status?: number }[] = [
      { name: 'follow form on a proposal page', path: () => `/proposals/${lp7}` },
      { name: 'follow form on a list filtered by table', path: () => '/?table=3' },
      { name: 'follow form on a unit page', path: () => '/units/wydzial-kultury' },
      { name: 'follow page', path: () => `/subscriptions/new?scope=proposal&id=${lp7}&email=ala%40example.pl` },
      { name: 'follow page with an error', path: () => `/subscriptions/new?scope=proposal&id=${lp7}&email=nie-adres` },
      { name: 'information clause', path: () => '/subscriptions/clause' },
      { name: '"Sprawdź skrzynkę"', path: () => '/subscriptions/sent' },
      {
        name: 'confirm page',
        path: () => `/subscriptions/confirm?token=${pending('axe-confirm@example.pl', 8).token}`,
      },
      {
        name: 'manage page',
        path: () => {
          const { token } = pending('axe-manage@example.pl', 9);
          requestFollow(app.database.db, {
            email: 'axe-manage@example.pl',
            scope: { kind: 'consultation', id: 1 },
            frequency: 'daily',
            clause: currentClause(),
          });
          const done = confirm(app.database.db, token);
          if (done.status !== 'ok') throw new Error('confirm failed');
          return `/subscriptions/manage?token=${done.value.manageToken}&ok=frequency`;
        },
      },
      {
        name: 'one-click unsubscribe page',
        path: () => {
          const { sub } = pending('axe-unsubscribe@example.pl', 10);
          const t = mintToken(app.database.db, { purpose: 'manage', email: sub.email, subscriptionId: sub.id });
          return `/subscriptions/unsubscribe?token=${t}`;
        },
      },
      { name: 'address erased', path: () => '/subscriptions/erased' },
      { name: 'invalid link', path: () => '/subscriptions/confirm?token=nieistniejacy-token-1234567890', status: 404 },
    ];

    test.each(pages)('$name', async ({ path, status }) => {
      const page = await axePage(browser);
      const target = path();
      const response = await page.goto(url(target));
      expect(response?.status()).toBe(status ?? 200);
      expect(await page.locator('h1').count()).toBe(1);
      const violations = await runAxe(page);
      const summary = violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
      expect(summary, `axe violations on ${target}:\n${formatViolations(violations)}`).toEqual([]);
    });
  });

  /** Presses Tab until the focused element matches, failing after `max` presses. */
  type Focused = { tag: string; id: string; text: string; name: string };
  async function tabTo(page: Page, matches: (el: Focused) => boolean, max = 80) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const el = await page.evaluate(() => {
        const a = document.activeElement as HTMLElement & { name?: string };
        return { tag: a?.tagName ?? '', id: a?.id ?? '', text: (a?.textContent ?? '').trim(), name: a?.name ?? '' };
      });
      if (matches(el)) return;
    }
    throw new Error('element not reached with Tab');
  }

  test('the whole flow by keyboard, without JavaScript: follow, confirm, manage, unfollow all', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false });
    const email = 'klawiatura@example.pl';
    try {
      const page = await context.newPage();
      await page.goto(url(`/proposals/${lp7}`));
      await tabTo(page, (el) => el.id === 'obserwuj-email');
      await page.keyboard.type(email);
      await Promise.all([page.waitForURL(/\/subscriptions\/new\?/), page.keyboard.press('Enter')]);
      expect(await page.locator('h1').innerText()).toBe('Powiadomienia e-mail');
      expect(await page.getByLabel('Adres e-mail').inputValue()).toBe(email);

      // the frequency by arrow keys in the radio group, then on to the button
      await tabTo(page, (el) => el.id === 'frequency');
      await page.keyboard.press('ArrowDown');
      expect(await page.locator('#frequency-daily').isChecked()).toBe(true);
      await tabTo(page, (el) => el.tag === 'BUTTON' && el.text === 'Obserwuj');
      await Promise.all([page.waitForURL(/\/subscriptions\/sent$/), page.keyboard.press('Enter')]);
      expect(await page.locator('h1').innerText()).toBe('Sprawdź skrzynkę');
      expect(subsOf(email)).toMatchObject([{ state: 'pending', frequency: 'daily' }]);

      // the link from the confirmation mail: the page only shows a button
      const token = mintToken(app.database.db, { purpose: 'confirm', email, subscriptionId: subsOf(email)[0]!.id });
      await page.goto(url(`/subscriptions/confirm?token=${token}`));
      expect(subsOf(email)[0]!.state).toBe('pending');
      await tabTo(page, (el) => el.tag === 'BUTTON' && el.text.startsWith('Potwierdzam'));
      await Promise.all([page.waitForURL(/\/subscriptions\/confirm$/), page.keyboard.press('Enter')]);
      expect(await page.locator('h1').innerText()).toBe('Obserwowanie potwierdzone');
      expect(subsOf(email)[0]!.state).toBe('confirmed');

      await tabTo(page, (el) => el.tag === 'A' && el.text === 'Twoje subskrypcje');
      await Promise.all([page.waitForURL(/\/subscriptions\/manage\?token=/), page.keyboard.press('Enter')]);
      expect(await page.locator('h1').innerText()).toBe('Twoje subskrypcje');
      expect(await page.locator('main').innerText()).toContain('Propozycja LP 7');

      await tabTo(page, (el) => el.tag === 'BUTTON' && el.text.startsWith('Przestań obserwować wszystko'));
      await Promise.all([page.waitForURL(/\/subscriptions\/erased$/), page.keyboard.press('Enter')]);
      expect(await page.locator('h1').innerText()).toBe('Adres usunięty');
      expect(subsOf(email)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('an invalid address comes back with the error summary focused and linked to the field', async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(url(`/subscriptions/new?scope=proposal&id=${lp7}`));
      await page.getByLabel('Adres e-mail').fill('to nie jest adres');
      await Promise.all([page.waitForURL(/\/subscriptions$/), page.getByRole('button', { name: 'Obserwuj' }).click()]);
      expect(await page.locator('#error-summary').innerText()).toContain('Podaj adres e-mail w poprawnej postaci');
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('error-summary');
      await page.locator('#error-summary a').click();
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('email');
    } finally {
      await context.close();
    }
  });
});
