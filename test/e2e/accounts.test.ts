import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertUser } from '../../src/admin/accounts.js';
import { build, createUser, TEST_PASSWORD, TEST_SCRYPT_COST, type App } from '../helpers.js';
import { later, linkIn } from '../notifications/fixtures.js';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp.js';
import { axePage, expectAccessible, launchBrowser, newContext, signIn, skipBrowserTests } from './browser.js';

const ADMIN = 'admin@torun.test';
const INVITEE = 'nowa.osoba@torun.test';
const PHONE = { width: 390, height: 844 };

describe.skipIf(skipBrowserTests)('accounts in Chromium: an invitation to the first login, a password reset', () => {
  let app: App;
  let sink: SmtpSink;
  let browser: Browser;
  let base: string;
  let admin: BrowserContext;
  const url = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    app = await build({ mail: { smtpUrl: sink.url } });
    await createUser(app, ADMIN, 'admin');
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = await newContext(browser);
    await signIn(admin, base, ADMIN, TEST_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sink?.stop();
  });

  /** The worker sends what is queued; the path of the link in the latest mail to `email`. */
  async function linkSentTo(email: string): Promise<string> {
    await app.mailWorker.runOnce(later(1));
    const mail = sink.to(email).at(-1);
    if (!mail) throw new Error(`no mail to ${email}`);
    return linkIn(mail.parsed.text ?? '', '/password/new');
  }

  const submit = (page: Page, button: string, status?: number) =>
    Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && (status === undefined || r.status() === status)),
      page.getByRole('button', { name: button, exact: true }).click(),
    ]).then(() => page.waitForLoadState());

  /** axe (and, at 390 px, no sideways scrolling) on a page as `who` sees it, after `prepare` drove it there. */
  async function expectPageAccessible(
    who: BrowserContext | null,
    path: string,
    prepare?: (page: Page) => Promise<void>,
  ) {
    for (const viewport of [undefined, PHONE]) {
      const page = await axePage(browser, { storageState: who ? await who.storageState() : undefined, viewport });
      await page.goto(url(path));
      if (prepare) await prepare(page);
      await expectAccessible(page, viewport !== undefined);
    }
  }

  test('an admin invites a person; the person chooses a password from the mail and logs in', async () => {
    await expectPageAccessible(admin, '/staff/users/new');
    const page = await admin.newPage();
    await page.goto(url('/staff/users'));
    await page.getByRole('link', { name: 'Dodaj konto' }).click();
    await page.waitForURL(url('/staff/users/new'));
    await page.getByLabel('Adres e-mail').fill(INVITEE);
    await page.getByLabel('Imię i nazwisko').fill('Nowa Osoba');
    await page.getByLabel('pracownik jednostki').check();
    await page.getByLabel('Wydział Kultury', { exact: true }).check();
    // no password: the person chooses one
    await submit(page, 'Utwórz konto', 303);
    expect(page.url()).toBe(url('/staff/users?saved=invited'));
    await expect.poll(() => page.getByRole('status').innerText()).toContain('zaproszenie z linkiem do ustalenia hasła');
    const row = page.getByRole('row').filter({ hasText: INVITEE });
    expect(await row.innerText()).toContain('czeka na ustalenie');
    await expectPageAccessible(admin, '/staff/users');

    // the first mail never arrived, say: one click sends another
    await linkSentTo(INVITEE);
    await Promise.all([
      page.waitForURL(url('/staff/users?saved=reinvited')),
      row.getByRole('button', { name: `Wyślij zaproszenie ponownie na adres ${INVITEE}` }).click(),
    ]);
    const link = await linkSentTo(INVITEE);
    expect(sink.to(INVITEE)).toHaveLength(2);
    await page.close();

    // the person, on a phone
    await expectPageAccessible(null, link);
    await expectPageAccessible(null, link, async (axe) => {
      await axe.getByLabel('Hasło', { exact: true }).fill('krotkie');
      await axe.getByLabel('Powtórz hasło').fill('krotkie');
      await submit(axe, 'Ustal hasło', 422);
      await expect.poll(() => axe.locator('#error-summary').innerText()).toContain('co najmniej 12 znaków');
      expect(await axe.title()).toMatch(/^Błąd: /);
    });
    const person = await newContext(browser, { viewport: PHONE });
    const phone = await person.newPage();
    await phone.goto(url(link));
    expect(await phone.locator('h1').innerText()).toBe('Ustal hasło do konta');
    // by keyboard: type, Tab to the next field, Enter sends the form
    await phone.getByLabel('Hasło', { exact: true }).focus();
    await phone.keyboard.type('Moje-pierwsze-haslo-2026');
    await phone.keyboard.press('Tab');
    expect(await phone.evaluate(() => document.activeElement?.id)).toBe('confirmPassword');
    await phone.keyboard.type('Moje-pierwsze-haslo-2026');
    await Promise.all([phone.waitForURL(url('/login?password=chosen')), phone.keyboard.press('Enter')]);
    expect(await phone.getByRole('status').innerText()).toContain('Hasło zostało ustalone.');
    await expectPageAccessible(null, '/login?password=chosen');
    await phone.getByLabel('Adres e-mail').fill(INVITEE);
    await phone.getByLabel('Hasło').fill('Moje-pierwsze-haslo-2026');
    await Promise.all([phone.waitForURL(url('/staff')), phone.getByRole('button', { name: 'Zaloguj się' }).click()]);
    expect(await phone.locator('h1').innerText()).toBe('Nasze propozycje');
    await expectPageAccessible(person, '/staff');

    // the link worked once
    await phone.goto(url(link));
    expect(await phone.locator('h1').innerText()).toBe('Ten link już nie działa');
    await person.close();
  });

  test('an expired invitation link says so and sends a new one', async () => {
    const { id } = await upsertUser(
      app.database.db,
      { email: 'spozniona@torun.test', role: 'reviewer', invite: true },
      TEST_SCRYPT_COST,
    );
    const link = await linkSentTo('spozniona@torun.test');
    // its 72 hours are over
    app.database.sqlite
      .prepare('UPDATE account_tokens SET expires_at = ? WHERE user_id = ?')
      .run(new Date(Date.now() - 60_000).toISOString(), id);
    await expectPageAccessible(null, link);
    const context = await newContext(browser);
    const visitor = await context.newPage();
    await visitor.goto(url(link));
    expect(await visitor.locator('h1').innerText()).toBe('Link wygasł');
    await submit(visitor, 'Wyślij nowy link', 200);
    expect(await visitor.locator('h1').innerText()).toBe('Wysłaliśmy nowy link');
    const fresh = await linkSentTo('spozniona@torun.test');
    expect(fresh).not.toBe(link);
    await visitor.goto(url(fresh));
    expect(await visitor.locator('h1').innerText()).toBe('Ustal hasło do konta');
    await context.close();
  });

  test('a forgotten password: the link from the login page, the mail, a new password, the old one refused', async () => {
    await expectPageAccessible(null, '/password-reset');
    await expectPageAccessible(null, '/password-reset', async (page) => {
      await page.getByLabel('Adres e-mail').fill('to-nie-adres');
      await submit(page, 'Wyślij link', 422);
      await expect.poll(() => page.locator('#error-summary').innerText()).toContain('Podaj prawidłowy adres e-mail');
    });
    const context = await newContext(browser, { viewport: PHONE });
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByRole('link', { name: 'Nie pamiętasz hasła?' }).click();
    await page.waitForURL(url('/password-reset'));
    await page.getByLabel('Adres e-mail').fill(INVITEE);
    await submit(page, 'Wyślij link', 200);
    expect(await page.locator('h1').innerText()).toBe('Sprawdź skrzynkę');
    const link = await linkSentTo(INVITEE);
    expect(sink.to(INVITEE).at(-1)!.parsed.subject).toBe('Ustaw nowe hasło – Konsultacje Toruń');
    await expectPageAccessible(null, link);

    await page.goto(url(link));
    expect(await page.locator('h1').innerText()).toBe('Ustaw nowe hasło');
    await page.getByLabel('Nowe hasło').fill('Haslo-po-resecie-2026');
    await page.getByLabel('Powtórz hasło').fill('Haslo-po-resecie-2026');
    await Promise.all([
      page.waitForURL(url('/login?password=reset')),
      page.getByRole('button', { name: 'Ustaw nowe hasło' }).click(),
    ]);
    expect(await page.getByRole('status').innerText()).toContain('Nowe hasło zostało ustawione');

    // the old password is refused, the new one lets the person in
    await page.getByLabel('Adres e-mail').fill(INVITEE);
    await page.getByLabel('Hasło').fill('Moje-pierwsze-haslo-2026');
    await submit(page, 'Zaloguj się', 422);
    expect(await page.getByRole('alert').innerText()).toContain('Nieprawidłowy adres e-mail lub hasło.');
    await page.getByLabel('Hasło').fill('Haslo-po-resecie-2026');
    await Promise.all([page.waitForURL(url('/staff')), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
    await context.close();
  });
});
