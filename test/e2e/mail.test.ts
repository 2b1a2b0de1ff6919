import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, createUser, idOfLp, TEST_PASSWORD, type App, Agent } from '../helpers.js';
import { assign, subscribe } from '../notifications/fixtures.js';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('"Poczta" in Chromium', () => {
  let app: App;
  let sink: SmtpSink;
  let browser: Browser;
  let base: string;
  const contexts: Record<string, BrowserContext> = {};
  const url = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    app = await build({ mail: { smtpUrl: sink.url } });
    await createUser(app, 'admin@torun.test', 'admin');
    await createUser(app, 'rdpp@torun.test', 'reviewer');
    const lp7 = idOfLp(app, 7);
    subscribe(app, 'anna@ngo.pl', { kind: 'proposal', id: lp7 });
    subscribe(app, 'odrzuca@ngo.pl', { kind: 'proposal', id: lp7 });
    subscribe(app, 'czeka@ngo.pl', { kind: 'table', id: 1 }, { state: 'pending' });
    sink.setFailure((a) => (a === 'odrzuca@ngo.pl' ? { code: 550, message: 'No such user' } : null));
    const admin = new Agent(app);
    await admin.login('admin@torun.test');
    await assign(app, admin, lp7);
    await app.mailWorker.runOnce(new Date(Date.now() + 1000));
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sink?.stop();
  });

  async function loginAs(email: string): Promise<Page> {
    const context = await newContext(browser);
    contexts[email] = context;
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Adres e-mail').fill(email);
    await page.getByLabel('Hasło').fill(TEST_PASSWORD);
    await Promise.all([page.waitForURL(url('/staff')), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
    return page;
  }

  async function expectNoAxeViolations(email: string, path: string) {
    const page = await axePage(browser, { storageState: await contexts[email]!.storageState() });
    const response = await page.goto(url(path));
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(url(path));
    expect(await page.locator('h1').count()).toBe(1);
    const violations = await runAxe(page);
    expect(
      violations.map((v) => v.id),
      `axe on ${path}:\n${formatViolations(violations)}`,
    ).toEqual([]);
  }

  test('an admin finds the dead mail, its error, and sends it again', async () => {
    const page = await loginAs('admin@torun.test');
    await page.getByRole('link', { name: 'Poczta' }).click();
    await page.waitForURL(url('/staff/mail'));
    // the assignment and the status change it caused: one mail, refused for good
    expect(await page.getByRole('cell', { name: /No such user/ }).count()).toBeGreaterThan(0);
    expect(await page.getByText('o***@ngo.pl').count()).toBeGreaterThan(0);
    await Promise.all([
      page.waitForURL(url('/staff/mail?ok=ponowiono')),
      page
        .getByRole('button', { name: /Wyślij ponownie/ })
        .first()
        .click(),
    ]);
    // the rows of that mail are queued again together
    expect(
      app.database.sqlite.prepare(`SELECT DISTINCT state FROM outbox WHERE recipient = 'odrzuca@ngo.pl'`).all(),
    ).toEqual([{ state: 'queued' }]);
    expect(await page.getByRole('button', { name: /Wyślij ponownie/ }).count()).toBe(0);
    expect(await page.getByRole('status').textContent()).toContain('Wiadomość wróciła do kolejki');
    await expectNoAxeViolations('admin@torun.test', '/staff/mail');
    const id = (
      app.database.sqlite.prepare(`SELECT id FROM outbox WHERE recipient = 'anna@ngo.pl' LIMIT 1`).get() as {
        id: number;
      }
    ).id;
    await expectNoAxeViolations('admin@torun.test', `/staff/mail/${id}`);
    await expectNoAxeViolations('admin@torun.test', `/staff/mail/${id}/html`);
  });

  test("a reviewer's counts-only view has no violations", async () => {
    await loginAs('rdpp@torun.test');
    await expectNoAxeViolations('rdpp@torun.test', '/staff/mail');
  });
});
