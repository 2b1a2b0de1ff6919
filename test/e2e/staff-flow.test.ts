import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { formatDatePl, todayInWarsaw } from '../../src/lib/dates.js';
import { build, createUser, idOfLp, TEST_PASSWORD, type App, unitIdByName } from '../helpers.js';
import { axePage, formatViolations, launchBrowser, newContext, runAxe, skipBrowserTests } from './browser.js';

const BDIM = 'Biuro Dialogu i Innowacji Miejskich';
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const ADMIN = 'admin@torun.test';
const BDIM_MEMBER = 'bdim@torun.test';
const ZGM_MEMBER = 'zgm@torun.test';
const REVIEWER = 'rdpp@torun.test';

const BDIM_JUSTIFICATION = 'Biuro przygotuje wykaz lokali na Rubinkowie i Skarpie dostępnych dla organizacji.';
const ZGM_JUSTIFICATION = 'ZGM wskaże trzy lokale użytkowe na Rubinkowie i dwa na Skarpie do końca kwietnia.';
const DECISION_TEXT =
  'Propozycję uwzględniono: w programie współpracy zapisano udostępnienie NGO pięciu lokali miejskich na Rubinkowie ' +
  'i Skarpie.';

/** The saved form's confirmation (a status message; the page has other live status lines, e.g. a draft's state). */
const flash = (page: Page) => page.getByRole('status').and(page.locator('#komunikat'));

/** YYYY-MM-DD `days` after today in Warsaw (the app's calendar). */
function daysAhead(days: number): string {
  const d = new Date(`${todayInWarsaw()}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

describe.skipIf(skipBrowserTests)('staff workflow in Chromium: triage → positions → decision → public', () => {
  let app: App;
  let browser: Browser;
  let base: string;
  let lp7: number;
  const contexts: Record<string, BrowserContext> = {};
  /** one long-lived page per person, so "admin reloads" is the same tab */
  const pages: Record<string, Page> = {};

  const url = (path: string) => `${base}${path}`;
  const staffPage = () => url(`/staff/proposals/${lp7}`);

  beforeAll(async () => {
    browser = await launchBrowser();
    app = await build({ seed: true });
    await createUser(app, ADMIN, 'admin');
    await createUser(app, BDIM_MEMBER, 'unit', [BDIM]);
    await createUser(app, ZGM_MEMBER, 'unit', [ZGM]);
    await createUser(app, REVIEWER, 'reviewer');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    lp7 = idOfLp(app, 7);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Logs in through the form in a fresh context; returns the page (left on /staff). */
  async function loginAs(who: string, email: string): Promise<Page> {
    const context = await newContext(browser);
    contexts[who] = context;
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Adres e-mail').fill(email);
    await page.getByLabel('Hasło').fill(TEST_PASSWORD);
    await Promise.all([page.waitForURL(url('/staff')), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
    pages[who] = page;
    return page;
  }

  /**
   * An axe context (CSP bypassed, see browser.ts) sharing the person's session cookie; `prepare`
   * may drive the page (real clicks) into the state to check. Fails on any WCAG 2.1 A/AA violation.
   */
  async function expectNoAxeViolations(who: string | null, path: string, prepare?: (page: Page) => Promise<void>) {
    const storageState = who ? await contexts[who]!.storageState() : undefined;
    const page = await axePage(browser, { storageState });
    const response = await page.goto(url(path));
    expect(response?.status()).toBe(200);
    // a lost session would land on /login and check the wrong page
    expect(page.url()).toBe(url(path));
    if (prepare) await prepare(page);
    expect(await page.locator('h1').count()).toBe(1);
    const violations = await runAxe(page);
    const summary = violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
    expect(
      summary,
      `axe violations on ${page.url()} (${who ?? 'anonymous'}):\n${formatViolations(violations)}`,
    ).toEqual([]);
  }

  const submitEmptyAssignForm = async (page: Page) => {
    // the form comes with the named units ticked and a due date proposed: empty it first
    const form = page.locator('#assign-form');
    const ticked = form.locator('input[type=checkbox]:checked');
    while (await ticked.count()) await ticked.first().uncheck();
    await form.getByLabel('Termin stanowiska', { exact: true }).fill('');
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/proposals/${lp7}/assignments`)),
      page.getByRole('button', { name: 'Przekaż', exact: true }).click(),
    ]);
    await page.waitForLoadState();
    await expect.poll(() => page.locator('#error-summary').count()).toBe(1);
  };

  test('axe: login page, and the login page after a failed login', async () => {
    await expectNoAxeViolations(null, '/login');
    await expectNoAxeViolations(null, '/login', async (page) => {
      await page.getByLabel('Adres e-mail').fill(ADMIN);
      await page.getByLabel('Hasło').fill('zle-haslo');
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 422),
        page.getByRole('button', { name: 'Zaloguj się' }).click(),
      ]);
      await page.waitForLoadState();
      await expect.poll(() => page.getByRole('alert').innerText()).toContain('Nieprawidłowy adres e-mail lub hasło.');
      expect(await page.title()).toMatch(/^Błąd: /);
    });
  });

  test('admin logs in; axe on the progress page, the untouched proposal page and its error state', async () => {
    const admin = await loginAs('admin', ADMIN);
    expect(await admin.locator('h1').innerText()).toBe('Postęp konsultacji');
    await expectNoAxeViolations('admin', '/staff');
    await expectNoAxeViolations('admin', `/staff/proposals/${lp7}`, async (page) => {
      // before any assignment the triage and housekeeping forms are all there
      await expect.poll(() => page.getByRole('heading', { name: 'Przekaż do jednostek' }).count()).toBe(1);
      expect(await page.getByRole('heading', { name: 'Oznacz jako duplikat' }).count()).toBe(1);
      expect(await page.getByRole('heading', { name: 'Popraw dane nieczytelne w źródle' }).count()).toBe(1);
      expect(await page.getByLabel('Notatka wewnętrzna', { exact: false }).count()).toBe(1);
    });
    await expectNoAxeViolations('admin', `/staff/proposals/${lp7}`, submitEmptyAssignForm);
  });

  test('keyboard: the error summary after a failed submit is reachable and its links point at fields', async () => {
    const page = pages.admin!;
    await page.goto(staffPage());
    await submitEmptyAssignForm(page);
    expect(await page.getByRole('alert', { name: 'Popraw błędy w formularzu' }).innerText()).toContain(
      'Wybierz co najmniej jedną jednostkę.',
    );

    // the summary takes focus when the page loads (autofocus, no script needed), so it is read first
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('error-summary');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('#error-summary'))).toBe(true);

    const links = await page.locator('#error-summary a').evaluateAll((as) =>
      as.map((a) => {
        const href = a.getAttribute('href') ?? '';
        const target = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
        return { href, text: a.textContent, target: target?.tagName ?? null };
      }),
    );
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const link of links)
      expect(link.target, `${link.href} („${link.text}”) has no target on the page`).not.toBeNull();
    expect(links.map((l) => l.href)).toEqual(expect.arrayContaining(['#assign-unitIds', '#assign-dueDate']));

    // following a link by keyboard goes to the field
    const focusedHref = await page.evaluate(() => document.activeElement?.getAttribute('href'));
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).hash).toBe(focusedHref ?? links[0]!.href);
  });

  test('axe: the admin pages for accounts and the unit directory, also with form errors', async () => {
    const unit = (name: string) => unitIdByName(app, name);
    for (const path of [
      '/staff/users',
      '/staff/users/new',
      '/staff/units',
      '/staff/units/new',
      `/staff/units/${unit('Biuro Dialogu i Innowacji Miejskich')}`,
      `/staff/units/${unit('działy, jednostki GMT posiadające dokumenty strategiczne')}`,
    ]) {
      await expectNoAxeViolations('admin', path);
    }
    const submitEmpty = (button: string) => async (page: Page) => {
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.getByRole('button', { name: button }).click(),
      ]);
      await page.waitForLoadState();
      await expect.poll(() => page.locator('#error-summary').count()).toBe(1);
    };
    const userButton = await (async () => {
      const context = await newContext(browser, { storageState: await contexts.admin!.storageState() });
      const page = await context.newPage();
      await page.goto(url('/staff/users/new'));
      const name = (
        await page.locator('form[method="post"]:not(.logout) button[type="submit"]').last().innerText()
      ).trim();
      await context.close();
      return name;
    })();
    await expectNoAxeViolations('admin', '/staff/users/new', submitEmpty(userButton));
    // seven pages through axe: about 45 s on a loaded 2-core machine
  }, 120_000);

  test('axe: Moje konto (also with form errors) and the audit log', async () => {
    await expectNoAxeViolations('admin', '/account');
    await expectNoAxeViolations('admin', '/account', async (page) => {
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 422),
        page.getByRole('button', { name: 'Zmień hasło' }).click(),
      ]);
      await page.waitForLoadState();
      await expect.poll(() => page.locator('#error-summary').count()).toBe(1);
    });
    await expectNoAxeViolations('admin', '/staff/audit');
    await expectNoAxeViolations('admin', '/staff/consultations');
  }, 90_000);

  test('1. admin assigns LP 7 to BDIM (lead) and ZGM with a due date', async () => {
    const page = pages.admin!;
    await page.goto(staffPage());
    expect(await page.locator('h1').innerText()).toContain('LP 7');
    expect(await page.locator('h1').innerText()).toContain('lokali');
    // the source names both units
    await page.getByText('Treść propozycji i dane ze źródła').click();
    const facts = await page.locator('dl.facts').innerText();
    expect(facts).toContain(BDIM);
    expect(facts).toContain(ZGM);

    await page.getByRole('checkbox', { name: BDIM, exact: true }).check();
    await page.getByRole('checkbox', { name: ZGM, exact: true }).check();
    await page.getByLabel('Jednostka wiodąca', { exact: true }).selectOption({ label: BDIM });
    await page.getByLabel('Termin stanowiska', { exact: true }).fill(daysAhead(14));
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('ok') === 'przekazano'),
      page.getByRole('button', { name: 'Przekaż', exact: true }).click(),
    ]);
    expect(await flash(page).innerText()).toBe('Propozycję przekazano do jednostek.');
    expect(await page.locator('main .status').first().innerText()).toBe('przekazana do jednostek');
    const table = await page.getByRole('table', { name: 'Jednostki, do których przekazano propozycję' }).innerText();
    expect(table).toContain(`${BDIM} (wiodąca)`);
    expect(table).toContain(formatDatePl(daysAhead(14)));
    expect(table).toContain(ZGM);
    expect(table).not.toContain(`${ZGM} (wiodąca)`);
  });

  /** A unit member finds LP 7 among "Nasze propozycje", opens it and submits a position. */
  async function submitPosition(
    who: string,
    email: string,
    unit: string,
    outcome: string,
    justification: string,
    axe: boolean,
  ) {
    const page = await loginAs(who, email);
    expect(await page.locator('h1').innerText()).toBe('Nasze propozycje');
    if (axe) await expectNoAxeViolations(who, '/staff');
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: '7', exact: true }) });
    expect(await row.innerText()).toContain(unit);
    expect(await row.innerText()).toContain('czeka na nasze stanowisko');
    await Promise.all([page.waitForURL(staffPage()), row.getByRole('link').click()]);
    if (axe) await expectNoAxeViolations(who, `/staff/proposals/${lp7}`);

    // only the member's own unit has a form
    expect(await page.getByLabel('Proponowany sposób rozpatrzenia').count()).toBe(1);
    await page.getByLabel('Proponowany sposób rozpatrzenia').selectOption({ label: outcome });
    await page.getByLabel('Uzasadnienie', { exact: true }).pressSequentially(justification);
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('ok') === 'stanowisko'),
      page.getByRole('button', { name: 'Złóż stanowisko' }).click(),
    ]);
    expect(await flash(page).innerText()).toBe('Stanowisko zostało złożone.');
    const article = page.getByRole('article', { name: unit });
    expect(await article.innerText()).toContain(justification);
    return page;
  }

  test('2. BDIM and ZGM members submit their positions → "stanowiska zebrane"', async () => {
    const bdim = await submitPosition('bdim', BDIM_MEMBER, BDIM, 'uwzględniona', BDIM_JUSTIFICATION, true);
    expect(await bdim.locator('main .status').first().innerText()).toBe('przekazana do jednostek');
    const zgm = await submitPosition('zgm', ZGM_MEMBER, ZGM, 'częściowo uwzględniona', ZGM_JUSTIFICATION, false);
    expect(await zgm.locator('main .status').first().innerText()).toBe('stanowiska zebrane');
  });

  test('axe: the reviewer’s home (Postęp konsultacji) and proposal page', async () => {
    const page = await loginAs('reviewer', REVIEWER);
    expect(await page.getByText('Widok tylko do odczytu').count()).toBe(1);
    await expectNoAxeViolations('reviewer', '/staff');
    await expectNoAxeViolations('reviewer', `/staff/proposals/${lp7}`, async (p) => {
      // read-only: no forms besides logging out
      expect(await p.locator('main form').count()).toBe(0);
    });
  });

  test('3. admin sees both positions side by side and publishes the decision', async () => {
    const page = pages.admin!;
    expect(page.url()).toContain(staffPage()); // still on LP 7 since the assignment
    await page.reload();
    expect(await page.locator('main .status').first().innerText()).toBe('stanowiska zebrane');
    const bdim = page.getByRole('article', { name: BDIM });
    const zgm = page.getByRole('article', { name: ZGM });
    expect(await bdim.innerText()).toContain('uwzględniona');
    expect(await bdim.innerText()).toContain(BDIM_JUSTIFICATION);
    expect(await zgm.innerText()).toContain('częściowo uwzględniona');
    expect(await zgm.innerText()).toContain(ZGM_JUSTIFICATION);
    const [a, b] = [await bdim.boundingBox(), await zgm.boundingBox()];
    expect(
      a && b && Math.abs(a.y - b.y) < 2 && a.x !== b.x,
      `positions not side by side: ${JSON.stringify([a, b])}`,
    ).toBe(true);

    await page.getByLabel('Sposób rozpatrzenia', { exact: true }).selectOption({ label: 'uwzględniona' });
    await page.getByLabel('Sposób wykorzystania – treść publikowana dla organizacji').pressSequentially(DECISION_TEXT);
    // no position goes public unless ticked; the preview shows what will be published before anything is
    await page.getByRole('checkbox', { name: `${BDIM}: uwzględniona`, exact: true }).check();
    await page.getByRole('checkbox', { name: `${ZGM}: częściowo uwzględniona`, exact: true }).check();
    await Promise.all([
      page.waitForURL(url(`/proposals/${lp7}/decision/preview`)),
      page.getByRole('button', { name: 'Sprawdź przed publikacją' }).click(),
    ]);
    expect(await page.locator('h1').innerText()).toBe('Sprawdź decyzję przed publikacją');
    expect(await page.getByRole('region', { name: /^Podgląd/ }).innerText()).toContain(DECISION_TEXT);
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('ok') === 'decyzja'),
      page.getByRole('button', { name: 'Opublikuj', exact: true }).click(),
    ]);
    expect(await flash(page).innerText()).toBe('Decyzja została opublikowana.');
    expect(await page.locator('main .status').first().innerText()).toBe('rozstrzygnięta');
    expect(await page.locator('section[aria-labelledby="decyzja"]').innerText()).toContain(DECISION_TEXT);
  });

  test('4. the public page and the JSON export show the decision, both positions and the history', async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const response = await page.goto(url(`/proposals/${lp7}`));
      expect(response?.status()).toBe(200);
      const decision = await page.getByRole('region', { name: 'Sposób wykorzystania' }).innerText();
      expect(decision).toContain('Propozycja uwzględniona');
      expect(decision).toContain(DECISION_TEXT);
      expect(decision).toContain(`${BDIM}: uwzględniona – ${BDIM_JUSTIFICATION}`);
      expect(decision).toContain(`${ZGM}: częściowo uwzględniona – ${ZGM_JUSTIFICATION}`);
      const history = await page.getByRole('region', { name: 'Historia' }).innerText();
      expect(history).toContain('Rozstrzygnięto: propozycja uwzględniona');
      expect(history).toContain(`Na podstawie stanowisk: ${BDIM} (uwzględniona)`);
      // the decision's text is shown once, in "Sposób wykorzystania", not again in the history
      expect(history).not.toContain(DECISION_TEXT);
      // nothing internal leaks to the public
      expect(await page.locator('body').innerText()).not.toContain('Otwórz w panelu pracowników');

      const exported = await page.request.get(url('/export/proposals.json'));
      expect(exported.status()).toBe(200);
      const rows = (await exported.json()) as {
        lp: number;
        consultation: string;
        status: string;
        decision: { outcome: string; text: string } | null;
        positions: { unit: string; outcome: string; text: string }[];
        events: { type: string; description: string }[];
      }[];
      const row = rows.find((r) => r.lp === 7 && r.consultation === 'torun-2026');
      expect(row).toBeDefined();
      expect(row!.status).toBe('rozstrzygnieta');
      expect(row!.decision).toMatchObject({ outcome: 'uwzgledniona', text: DECISION_TEXT });
      expect(row!.positions).toHaveLength(2);
      expect(row!.positions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ unit: BDIM, outcome: 'uwzgledniona', text: BDIM_JUSTIFICATION }),
          expect.objectContaining({ unit: ZGM, outcome: 'czesciowo-uwzgledniona', text: ZGM_JUSTIFICATION }),
        ]),
      );
      expect(row!.events.map((e) => e.type)).toContain('decision.published');
      expect(row!.events.some((e) => e.description.startsWith('Opublikowano decyzję'))).toBe(true);
    } finally {
      await context.close();
    }
    await expectNoAxeViolations(null, `/proposals/${lp7}`);
  });

  test('7a. with htmx the note is added in place, without a page load', async () => {
    const page = pages.admin!;
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(staffPage());
    await page.waitForFunction(() => 'htmx' in window);
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });

    const note = 'Notatka przez htmx: zadzwonić do ZGM w sprawie kluczy.';
    await page.getByLabel('Notatka wewnętrzna', { exact: false }).fill(note);
    const fragment = page.waitForResponse(
      (r) => r.url().endsWith(`/proposals/${lp7}/notes`) && r.request().headers()['hx-request'] === 'true',
    );
    await page.getByRole('button', { name: 'Dodaj notatkę' }).click();
    expect((await fragment).status()).toBe(200);
    await expect.poll(() => page.locator('#zdarzenia .timeline').innerText()).toContain(note);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(page.url()).toBe(staffPage());
    expect(await page.locator('#zdarzenia').count()).toBe(1);
    // the swapped-in form is empty and ready for the next note, and keyboard focus stays on its button
    expect(await page.getByLabel('Notatka wewnętrzna', { exact: false }).inputValue()).toBe('');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('note-submit');
    expect(errors, errors.join('\n')).toEqual([]);

    // an empty note is refused in place with a visible message (htmx swaps the 422 fragment)
    const refused = page.waitForResponse((r) => r.url().endsWith(`/proposals/${lp7}/notes`));
    await page.getByRole('button', { name: 'Dodaj notatkę' }).click();
    expect((await refused).status()).toBe(422);
    await expect.poll(() => page.locator('#note-text-error').innerText()).toContain('Wpisz treść notatki.');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  test('7b. without JavaScript the note form reloads the page showing the note', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(url('/login'));
      await page.getByLabel('Adres e-mail').fill(BDIM_MEMBER);
      await page.getByLabel('Hasło').fill(TEST_PASSWORD);
      await Promise.all([page.waitForURL(url('/staff')), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
      await page.goto(staffPage());

      const note = 'Notatka bez JavaScriptu: lokale obejrzane.';
      await page.getByLabel('Notatka wewnętrzna', { exact: false }).fill(note);
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('ok') === 'notatka'),
        page.getByRole('button', { name: 'Dodaj notatkę' }).click(),
      ]);
      expect(await flash(page).innerText()).toBe('Dodano notatkę.');
      expect(await page.locator('#zdarzenia .timeline').innerText()).toContain(note);
      expect(await page.locator('h1').innerText()).toContain('LP 7');
    } finally {
      await context.close();
    }
  });
});
