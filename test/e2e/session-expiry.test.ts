import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { Agent, build, createUser, idOfLp, TEST_PASSWORD, type App, unitIdByName } from '../helpers.js';
import { formatViolations, launchBrowser, newAxeContext, newContext, runAxe, skipBrowserTests } from './browser.js';

/**
 * No lost work, in Chromium: a unit member writes a long position, the session ends meanwhile, the
 * submit asks for a new login, and the typed text is back in the form afterwards (with and without
 * JavaScript). While typing, the page keeps the session alive; left idle, it warns two minutes before
 * the end ("Przedłuż sesję"). Axe (WCAG 2.1 A/AA) on the pages and the warning.
 */
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const MEMBER = 'zgm@torun.test';
const LOGIN_MESSAGE = 'Sesja wygasła. Zaloguj się ponownie – Twój tekst został zachowany.';
const RESTORED = 'Przywróciliśmy tekst wpisany przed wygaśnięciem sesji.';
const LONG_TEXT = `${'ZGM przekaże organizacjom dwa lokale na Rubinkowie i jeden na Skarpie po remoncie; nabór ogłosimy w styczniu. '.repeat(30)}Koniec stanowiska.`;

function daysAhead(days: number): string {
  const d = new Date(`${todayInWarsaw()}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

describe.skipIf(skipBrowserTests)('a session that ends while a position is being written', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let lp7: number;
  let unit: number;
  const contexts: BrowserContext[] = [];
  const url = (path: string) => `${base}${path}`;
  const justification = (page: Page) => page.locator(`#position-${unit}-justification`);

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    await createUser(app, 'biuro@torun.test', 'admin');
    await createUser(app, MEMBER, 'unit', [ZGM]);
    lp7 = idOfLp(app, 7);
    unit = unitIdByName(app, ZGM);
    const admin = new Agent(app);
    await admin.login('biuro@torun.test');
    const page = await admin.get(`/staff/proposals/${lp7}`);
    const res = await admin.post(`/proposals/${lp7}/assignments`, {
      version: Number(/name="version" value="(\d+)"/.exec(page.body)![1]),
      unitIds: String(unit),
      leadUnitId: String(unit),
      dueDate: daysAhead(14),
    });
    expect(res.statusCode).toBe(303);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await app?.close();
  });

  async function open(options: { javaScriptEnabled?: boolean; axe?: boolean } = {}) {
    const context = options.axe ? await newAxeContext(browser) : await newContext(browser, options);
    contexts.push(context);
    return context.newPage();
  }

  async function login(page: Page, waitFor: string) {
    await page.getByLabel('Adres e-mail').fill(MEMBER);
    await page.getByLabel('Hasło').fill(TEST_PASSWORD);
    await Promise.all([page.waitForURL(url(waitFor)), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
  }

  async function expectNoViolations(page: Page, what: string) {
    const violations = await runAxe(page);
    expect(violations, `${what}:\n${formatViolations(violations)}`).toEqual([]);
  }

  /** The id of the page's server-side session (from its signed cookie). */
  async function sidOf(page: Page) {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'sid');
    return decodeURIComponent(cookie!.value).split('.')[0]!;
  }
  const sessionData = (sid: string) =>
    JSON.parse(
      (app.database.sqlite.prepare('SELECT data FROM sessions WHERE sid = ?').get(sid) as { data: string }).data,
    );
  const setLastSeen = (sid: string, lastSeen: number) =>
    app.database.sqlite
      .prepare('UPDATE sessions SET data = ? WHERE sid = ?')
      .run(JSON.stringify({ ...sessionData(sid), lastSeen }), sid);

  for (const javaScriptEnabled of [true, false]) {
    test(`the typed position survives a new login (${javaScriptEnabled ? 'with' : 'without'} JavaScript)`, async () => {
      // axe needs script injection (its own context bypasses the CSP); without JS only the behaviour is checked
      const page = await open(javaScriptEnabled ? { axe: true } : { javaScriptEnabled: false });
      await page.goto(url('/login'));
      await login(page, '/staff');
      await page.goto(url(`/staff/proposals/${lp7}`));
      await page.locator(`#position-${unit}-outcome`).selectOption('czesciowo-uwzgledniona');
      await justification(page).fill(LONG_TEXT);
      // the unit member went to a meeting; the session ended meanwhile (31 minutes without a request)
      setLastSeen(await sidOf(page), Date.now() - 31 * 60_000);
      await Promise.all([
        page.waitForLoadState('domcontentloaded'),
        page.getByRole('button', { name: /Złóż (poprawione )?stanowisko/ }).click(),
      ]);
      await expect.poll(() => page.getByText(LOGIN_MESSAGE).count()).toBe(1);
      if (javaScriptEnabled) await expectNoViolations(page, 'the login asked for by the expired form');

      await login(page, `/staff/proposals/${lp7}`);
      await expect.poll(() => page.getByText(RESTORED).count()).toBe(1);
      expect(await justification(page).inputValue()).toBe(LONG_TEXT);
      expect(await page.locator(`#position-${unit}-outcome`).inputValue()).toBe('czesciowo-uwzgledniona');
      if (javaScriptEnabled) {
        await expectNoViolations(page, 'the proposal page with the restored text');
        await page.setViewportSize({ width: 390, height: 844 });
        await expectNoViolations(page, 'the restored page at 390 px');
      }
      // the notice leads to the text, by keyboard too
      await page.getByRole('link', { name: 'Przejdź do przywróconego tekstu' }).focus();
      await page.keyboard.press('Enter');
      expect(page.url()).toContain(`#position-${unit}-justification`);

      // not submitted by itself: sent again, it is saved
      await Promise.all([
        page.waitForURL(/ok=stanowisko/),
        page.getByRole('button', { name: /Złóż (poprawione )?stanowisko/ }).click(),
      ]);
      const saved = app.database.sqlite
        .prepare('SELECT justification FROM position_versions ORDER BY id DESC LIMIT 1')
        .get() as { justification: string };
      expect(saved.justification).toBe(LONG_TEXT.trim());
    });
  }

  test('typing keeps the session alive; left idle, the page warns before the end and "Przedłuż sesję" extends it', async () => {
    const page = await open({ axe: true });
    await page.clock.install();
    await page.goto(url('/login'));
    await login(page, '/staff');
    await page.goto(url(`/staff/proposals/${lp7}`));
    const sid = await sidOf(page);

    // typing: within a few minutes the page calls the keepalive, and the server's idle clock restarts
    const longAgo = Date.now() - 20 * 60_000;
    await justification(page).fill('Piszę powoli');
    // (the autosave of the draft is a request too: the keepalive is checked after it)
    await page.clock.fastForward(3_000);
    await page.waitForLoadState('networkidle');
    setLastSeen(sid, longAgo);
    await justification(page).pressSequentially(' i długo');
    const ping = page.waitForResponse((r) => r.url().endsWith('/session/keepalive') && r.status() === 200);
    await page.clock.fastForward('04:30');
    await ping;
    expect(sessionData(sid).lastSeen).toBeGreaterThan(longAgo + 19 * 60_000);

    // left idle: two minutes before the end a warning, announced (role="alert"), with the way to extend
    const alert = page.getByRole('alert');
    await page.clock.fastForward('28:30');
    await expect.poll(() => alert.textContent()).toContain('Twoja sesja wygaśnie za 2 minuty.');
    await expectNoViolations(page, 'the warning before the session ends');
    const extend = page.waitForResponse((r) => r.url().endsWith('/session/keepalive') && r.status() === 200);
    await alert.getByRole('button', { name: 'Przedłuż sesję' }).focus();
    await page.keyboard.press('Enter');
    await extend;
    await expect.poll(() => alert.textContent()).toBe('');

    // left idle for good: the page says the session has ended, and that the text will not be lost
    await page.clock.fastForward('31:00');
    await expect.poll(() => alert.textContent()).toContain('Sesja wygasła.');
    expect(await alert.textContent()).toContain('tekst wróci do formularza');
  });
});
