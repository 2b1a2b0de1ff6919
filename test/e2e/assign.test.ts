import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { build, createUser, idOfLp, TEST_PASSWORD, type App } from '../helpers.js';
import { expectAccessible, launchBrowser, newContext, signIn, skipBrowserTests } from './browser.js';

const ADMIN = 'admin@torun.test';
const PHONE = { width: 390, height: 844 };
const BDIM = 'Biuro Dialogu i Innowacji Miejskich';
const ZGM = 'Zakład Gospodarki Mieszkaniowej';
const KONKURSY = 'działy, jednostki GMT, pełnomocnicy prowadzący działania z sektorem pozarządowym (konkursy dla NGO)';
const NO_ACCOUNT = 'nikt z tej jednostki nie ma konta: stanowisko wpisze Biuro';

describe.skipIf(skipBrowserTests)(
  'assigning one proposal in Chromium: pre-ticked units, explicit lead, group picker',
  () => {
    let app: App;
    let browser: Browser;
    let base: string;
    let admin: BrowserContext;
    const url = (path: string) => `${base}${path}`;
    const staffPage = (lp: number) => `/staff/proposals/${idOfLp(app, lp)}`;
    const assignments = (lp: number) =>
      app.database.sqlite
        .prepare(
          'SELECT u.name, a.lead FROM assignments a JOIN units u ON u.id = a.unit_id WHERE a.proposal_id = ? ORDER BY u.name',
        )
        .all(idOfLp(app, lp)) as { name: string; lead: number }[];

    beforeAll(async () => {
      browser = await launchBrowser();
      // the groups' members as `npm start` seeds them
      app = await build({ groupMembers: true });
      await createUser(app, ADMIN, 'admin');
      await createUser(app, 'kultura@torun.test', 'unit', ['Wydział Kultury']);
      await app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      admin = await newContext(browser);
      await signIn(admin, base, ADMIN, TEST_PASSWORD);
    });

    afterAll(async () => {
      await browser?.close();
      await app?.close();
    });

    /** A page of the admin's, at a desktop size or a phone's. */
    async function adminPage(opts: { viewport?: { width: number; height: number }; axe?: boolean } = {}) {
      const context = await newContext(browser, {
        // only the axe runs bypass the CSP (to inject axe-core); behaviour is tested under the real one
        bypassCSP: opts.axe ?? false,
        storageState: await admin.storageState(),
        viewport: opts.viewport,
      });
      return { context, page: await context.newPage() };
    }

    const submit = (page: Page, button: string, status?: number) =>
      Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && (status === undefined || r.status() === status)),
        page.getByRole('button', { name: button, exact: true }).click(),
      ]).then(() => page.waitForLoadState());

    test('axe on the form with its pre-ticked units and on its error state, on a desktop and at 390 px', async () => {
      for (const viewport of [undefined, PHONE]) {
        const { context, page } = await adminPage({ viewport, axe: true });
        try {
          await page.goto(url(staffPage(7)));
          await expectAccessible(page, !!viewport);
          await submit(page, 'Przekaż', 422);
          await expect.poll(() => page.locator('#error-summary').innerText()).toContain('Wybierz jednostkę wiodącą.');
          expect(await page.title()).toMatch(/^Błąd: /);
          await expectAccessible(page, !!viewport);
        } finally {
          await context.close();
        }
      }
      expect(assignments(7)).toEqual([]);
    });

    test('at 390 px: assigns LP 7 to the pre-ticked units with an explicit lead, warned about the unit without an account', async () => {
      const { context, page } = await adminPage({ viewport: PHONE });
      try {
        await page.goto(url(staffPage(7)));
        const form = page.locator('#assign-form');
        const bdim = form.getByRole('checkbox', { name: BDIM, exact: true });
        const zgm = form.getByRole('checkbox', { name: ZGM, exact: true });
        // ticked and in view without opening anything
        expect(await bdim.isChecked()).toBe(true);
        expect(await zgm.isChecked()).toBe(true);
        expect(await zgm.isVisible()).toBe(true);
        // the warning is text, tied to the checkbox (read with it), before anything is saved
        expect(await zgm.getAttribute('aria-describedby')).toBeTruthy();
        expect(await page.locator(`#${await zgm.getAttribute('aria-describedby')}`).innerText()).toContain(NO_ACCOUNT);
        expect(await bdim.getAttribute('aria-describedby')).toBeNull();

        // two units and no lead: refused, nothing lost
        await submit(page, 'Przekaż', 422);
        await expect.poll(() => page.locator('#error-summary').innerText()).toContain('Wybierz jednostkę wiodącą.');
        expect(await page.locator('#assign-form').getByRole('checkbox', { name: ZGM, exact: true }).isChecked()).toBe(
          true,
        );
        // the summary's link leads to the lead's field
        await page.locator('#error-summary').getByRole('link', { name: 'Wybierz jednostkę wiodącą.' }).click();
        await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('assign-leadUnitId');

        await page.getByLabel('Jednostka wiodąca', { exact: true }).selectOption({ label: BDIM });
        await Promise.all([
          page.waitForURL((u) => u.searchParams.get('ok') === 'przekazano-bez-konta'),
          page.getByRole('button', { name: 'Przekaż', exact: true }).click(),
        ]);
        const status = await page.locator('#komunikat').innerText();
        expect(status).toContain('Propozycję przekazano do jednostek.');
        expect(status).toContain(`${ZGM}: ${NO_ACCOUNT}.`);
        expect(assignments(7)).toEqual([
          { name: BDIM, lead: 1 },
          { name: ZGM, lead: 0 },
        ]);
        // assigned units are no longer offered
        expect(await page.locator('#assign-form').getByRole('checkbox', { name: ZGM, exact: true }).count()).toBe(0);
      } finally {
        await context.close();
      }
      const { context: axe, page: landed } = await adminPage({ viewport: PHONE, axe: true });
      try {
        await landed.goto(url(`${staffPage(7)}?ok=przekazano-bez-konta`));
        await expectAccessible(landed, true);
      } finally {
        await axe.close();
      }
    });

    test('the group picker: members proposed, an empty submit kept on the picker, then assigned with a lead', async () => {
      for (const viewport of [undefined, PHONE]) {
        const axe = viewport === PHONE;
        const { context, page } = await adminPage({ viewport, axe });
        try {
          await page.goto(url(staffPage(9)));
          // LP 9 names only the competitions group: it is ticked; sending asks which units it means
          expect(await page.getByRole('checkbox', { name: KONKURSY, exact: true }).isChecked()).toBe(true);
          await Promise.all([
            page.waitForURL((u) => u.pathname.endsWith('/assignments/new')),
            page.getByRole('button', { name: 'Przekaż', exact: true }).click(),
          ]);
          expect(await page.locator('h1').innerText()).toBe('Które jednostki ma oznaczać grupa?');
          const members = page.getByRole('group', { name: `Grupa „${KONKURSY}”` });
          expect(await members.getByRole('checkbox', { name: 'Wydział Kultury', exact: true }).isChecked()).toBe(true);
          expect(await members.getByRole('checkbox', { name: 'Wydział Sportu i Rekreacji' }).isChecked()).toBe(true);
          expect(await page.getByRole('checkbox', { name: 'Urbitor', exact: true }).isChecked()).toBe(false);
          if (axe) await expectAccessible(page, true);

          // everything unticked: the picker comes back with the group, the date and an error summary
          const ticked = page.locator('input[name="unitIds"]:checked');
          while (await ticked.count()) await ticked.first().uncheck();
          const due = await page.getByLabel('Termin stanowiska', { exact: true }).inputValue();
          await submit(page, 'Przekaż do zaznaczonych jednostek', 422);
          await expect
            .poll(() => page.locator('#error-summary').innerText())
            .toContain('Wybierz co najmniej jedną jednostkę.');
          expect(await page.getByRole('group', { name: `Grupa „${KONKURSY}”` }).count()).toBe(1);
          expect(await page.getByLabel('Termin stanowiska', { exact: true }).inputValue()).toBe(due);
          if (axe) await expectAccessible(page, true);

          if (axe) {
            // on the phone: two members and an explicit lead
            await page.getByRole('checkbox', { name: 'Wydział Kultury', exact: true }).check();
            await page.getByRole('checkbox', { name: 'Wydział Sportu i Rekreacji', exact: true }).check();
            await page.getByLabel('Jednostka wiodąca', { exact: true }).selectOption({ label: 'Wydział Kultury' });
            await Promise.all([
              page.waitForURL((u) => u.searchParams.has('ok')),
              page.getByRole('button', { name: 'Przekaż do zaznaczonych jednostek', exact: true }).click(),
            ]);
            expect(await page.locator('#komunikat').innerText()).toContain('Propozycję przekazano do jednostek.');
            expect(assignments(9)).toEqual([
              { name: 'Wydział Kultury', lead: 1 },
              { name: 'Wydział Sportu i Rekreacji', lead: 0 },
            ]);
          } else expect(assignments(9)).toEqual([]);
        } finally {
          await context.close();
        }
      }
    });
  },
);
