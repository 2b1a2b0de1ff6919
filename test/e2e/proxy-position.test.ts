import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { todayInWarsaw } from '../../src/lib/dates.js';
import { publishDecision, submittedPositions } from '../../src/decisions/service.js';
import { FORMS } from '../../src/workbench/ids.js';
import { Agent, build, createUser, idOfLp, TEST_PASSWORD, type App, unitIdByName } from '../helpers.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

/**
 * A position recorded by the office on a unit's behalf, in Chromium: the admin fills the folded form with its
 * basis, the staff and public pages show the mark; a unit's draft autosaves (htmx) and the submit that follows
 * does not conflict. Axe (WCAG 2.1 A/AA) on every page, also at 390 px.
 */
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const ADMIN = 'biuro@torun.test';
const ZGM_MEMBER = 'zgm@torun.test';
const MARK = 'Stanowisko wpisane przez Biuro Dialogu na podstawie pisma z dnia 20 listopada 2026';
const PHONE = { width: 390, height: 844 };

function daysAhead(days: number): string {
  const d = new Date(`${todayInWarsaw()}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

describe.skipIf(skipBrowserTests)('positions by the office in Chromium', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let lp7: number;
  let lp8: number;
  let adminId: number;
  const contexts: Record<string, BrowserContext> = {};
  const url = (path: string) => `${base}${path}`;
  const positionRow = (proposalId: number) =>
    app.database.sqlite
      .prepare('SELECT version, justification, submitted_at AS submittedAt FROM positions WHERE proposal_id = ?')
      .get(proposalId) as { version: number; justification: string; submittedAt: string | null } | undefined;

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    adminId = await createUser(app, ADMIN, 'admin');
    await createUser(app, ZGM_MEMBER, 'unit', [ZGM]);
    lp7 = idOfLp(app, 7);
    lp8 = idOfLp(app, 8);
    // the assignments are not what this test is about: made over HTTP, as the admin's form makes them
    const admin = new Agent(app);
    await admin.login(ADMIN);
    for (const id of [lp7, lp8]) {
      const page = await admin.get(`/staff/proposals/${id}`);
      const res = await admin.post(`/proposals/${id}/assignments`, {
        version: Number(/name="version" value="(\d+)"/.exec(page.body)![1]),
        unitIds: String(unitIdByName(app, ZGM)),
        leadUnitId: String(unitIdByName(app, ZGM)),
        dueDate: daysAhead(14),
      });
      expect(res.statusCode).toBe(303);
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function loginAs(who: string, email: string): Promise<Page> {
    const context = await newContext(browser);
    contexts[who] = context;
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Adres e-mail').fill(email);
    await page.getByLabel('Hasło').fill(TEST_PASSWORD);
    await Promise.all([page.waitForURL(url('/staff')), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
    return page;
  }

  /** Axe on a page (CSP bypassed for the injected script), with the person's session, wide and at 390 px. */
  async function expectNoAxeViolations(who: string | null, path: string, prepare?: (page: Page) => Promise<void>) {
    const storageState = who ? await contexts[who]!.storageState() : undefined;
    for (const viewport of [{ width: 1280, height: 900 }, PHONE]) {
      const page = await axePage(browser, { storageState, viewport });
      const response = await page.goto(url(path));
      expect(response?.status()).toBe(200);
      expect(page.url()).toBe(url(path));
      if (prepare) await prepare(page);
      const violations = await runAxe(page);
      expect(
        violations.map((v) => v.id),
        `axe violations on ${path} at ${viewport.width} px (${who ?? 'anonymous'}):\n${formatViolations(violations)}`,
      ).toEqual([]);
      // nothing wider than the phone's screen: wide tables scroll inside their own region
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} overflows at ${viewport.width} px`).toBeLessThanOrEqual(0);
    }
  }

  test('the admin records the position of a unit on its behalf, with the letter it rests on', async () => {
    const page = await loginAs('admin', ADMIN);
    await page.goto(url(`/staff/proposals/${lp7}`));
    const card = page.getByRole('article', { name: ZGM });
    await card.getByText('Wpisz stanowisko w imieniu jednostki').click();
    await card.getByLabel('Podstawa wpisu').selectOption('pismo');
    await card.getByLabel('Data pisma, e-maila lub spotkania').fill('2026-11-20');
    await card.getByLabel('Proponowany sposób rozpatrzenia').selectOption('czesciowo-uwzgledniona');
    await card.getByLabel('Uzasadnienie').fill('ZGM wskaże dwa lokale na Rubinkowie; Skarpa po remoncie.');
    await Promise.all([
      page.waitForURL(/\?ok=stanowisko-wpisane#stanowiska$/),
      card.getByRole('button', { name: 'Wpisz stanowisko jednostki' }).click(),
    ]);
    await expect.poll(() => page.locator('#komunikat').innerText()).toContain('wpisane przez Biuro Dialogu');
    expect(await page.getByRole('article', { name: ZGM }).innerText()).toContain(MARK);
    await expectNoAxeViolations('admin', `/staff/proposals/${lp7}?ok=stanowisko-wpisane`);
    // the open on-behalf form (with its fields) passes axe too
    await expectNoAxeViolations('admin', `/staff/proposals/${lp8}`, async (p) => {
      await p.getByRole('article', { name: ZGM }).getByText('Wpisz stanowisko w imieniu jednostki').click();
      await expect.poll(() => p.getByLabel('Podstawa wpisu').isVisible()).toBe(true);
    });
  }, 180_000);

  test('once the decision cites it, the public page shows the mark', async () => {
    const version = (
      app.database.sqlite.prepare('SELECT version FROM proposals WHERE id = ?').get(lp7) as { version: number }
    ).version;
    publishDecision(
      app.database.db,
      lp7,
      {
        version,
        outcome: 'czesciowo-uwzgledniona',
        text: 'ZGM udostępni dwa lokale na Rubinkowie.',
        citedPositionIds: submittedPositions(app.database.db, lp7).map((p) => p.positionId),
      },
      adminId,
    );
    const context = await newContext(browser, { viewport: PHONE });
    try {
      const page = await context.newPage();
      await page.goto(url(`/proposals/${lp7}`));
      const decision = page.getByRole('region', { name: 'Sposób wykorzystania' });
      await expect.poll(() => decision.innerText()).toContain(MARK);
    } finally {
      await context.close();
    }
    await expectNoAxeViolations(null, `/proposals/${lp7}`);
  }, 180_000);

  test('a unit member: the draft autosaves, the status line says so, and the submit that follows does not conflict', async () => {
    const page = await loginAs('zgm', ZGM_MEMBER);
    await expectNoAxeViolations('zgm', '/staff');
    await page.goto(url(`/staff/proposals/${lp8}`));
    // the proposal's text is open beside the form
    expect(await page.getByRole('region', { name: /Treść propozycji LP 8/ }).isVisible()).toBe(true);
    const status = page.locator(`#${FORMS.positionDraftState(unitIdByName(app, ZGM))}`);
    expect(await status.getAttribute('role')).toBe('status');
    await page.getByLabel('Uzasadnienie').pressSequentially('ZGM sprawdzi lokale', { delay: 10 });
    await expect.poll(() => status.innerText(), { timeout: 8_000 }).toMatch(/Szkic zapisany .+ – niezłożony/);
    expect(await status.innerText()).toContain('zapisano automatycznie');
    expect(positionRow(lp8)).toMatchObject({ version: 1, justification: 'ZGM sprawdzi lokale', submittedAt: null });
    expect(page.url()).toBe(url(`/staff/proposals/${lp8}`)); // no reload

    // a second autosave carries the version the first one returned
    await page.getByLabel('Proponowany sposób rozpatrzenia').selectOption('uwzgledniona');
    await page.getByLabel('Uzasadnienie').pressSequentially(' na Rubinkowie.', { delay: 10 });
    await expect.poll(() => positionRow(lp8)?.version, { timeout: 8_000 }).toBe(2);
    await expect.poll(() => page.locator('input[name="positionVersion"]').inputValue(), { timeout: 4_000 }).toBe('2');
    expect(positionRow(lp8)?.justification).toBe('ZGM sprawdzi lokale na Rubinkowie.');
    await expectNoAxeViolations('zgm', `/staff/proposals/${lp8}`);

    await Promise.all([
      page.waitForURL(/\?ok=stanowisko#stanowiska$/),
      page.getByRole('button', { name: 'Złóż stanowisko' }).click(),
    ]);
    expect(positionRow(lp8)?.submittedAt).not.toBeNull();
  }, 180_000);
});
