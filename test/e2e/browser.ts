import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** True when the system Chromium is installed (the browser tests need it). */
export const hasChromium = fs.existsSync(CHROMIUM_PATH);

/**
 * In CI a missing Chromium must fail the run (not silently skip the browser tests);
 * locally the browser suites are skipped instead.
 */
export const skipBrowserTests = !hasChromium && !process.env.CI;

/** The machine has no network: without these flags Chromium hangs on background connections. */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!hasChromium) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the browser tests cannot run. ` +
        'Install it (apt-get install -y chromium) – in CI (.ci/run) this is a failure, not a skip.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'pl-PL', ...options });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

/**
 * A context for the axe runs only: the app's CSP is `script-src 'self'`, which would block the
 * injected axe-core script, so this context bypasses CSP. All behaviour tests use normal contexts.
 */
export function newAxeContext(browser: Browser): Promise<BrowserContext> {
  return newContext(browser, { bypassCSP: true });
}

/**
 * A page of an axe context (see newAxeContext) for the given sign-in and viewport, reused by every later
 * check with the same cookies and viewport in this browser: a new context costs a renderer process, a cold
 * page load and a fresh compile of axe each time (≈ 2 s a check on the 2-core CI machine, ≈ 0.6 s reused).
 * The caller navigates it (page.goto) and leaves it open; closing the browser closes it. Changed cookies (a
 * new login, a logout) make a new context, so a check never runs on a stale session.
 */
export async function axePage(
  browser: Browser,
  options: Pick<BrowserContextOptions, 'storageState' | 'viewport'> = {},
): Promise<Page> {
  let pages = axePages.get(browser);
  if (!pages) {
    pages = new Map();
    axePages.set(browser, pages);
  }
  const state = options.storageState;
  const cookies = state && typeof state === 'object' ? state.cookies.map((c) => `${c.name}=${c.value}`).sort() : [];
  const key = JSON.stringify([cookies, options.viewport ?? null]);
  let page = pages.get(key);
  if (!page || page.isClosed()) {
    const context = await newContext(browser, { bypassCSP: true, ...options });
    page = await context.newPage();
    pages.set(key, page);
  }
  return page;
}
const axePages = new WeakMap<Browser, Map<string, Page>>();

const require = createRequire(import.meta.url);
let axeSource: string | undefined;
function readAxeSource(): string {
  axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; failureSummary?: string; html: string }[];
}

/** Injects axe-core into the page (opened in an axe context) and returns its WCAG 2.1 A/AA violations. */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!hasAxe) await page.addScriptTag({ content: readAxeSource() });
  return page.evaluate(async (tags) => {
    const axe = (
      window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary, html: n.html })),
    }));
  }, AXE_TAGS);
}

/** axe finds nothing, there is one h1, and at a phone's width (`phone`) the page never scrolls sideways. */
export async function expectAccessible(page: Page, phone: boolean): Promise<void> {
  expect(await page.locator('h1').count()).toBe(1);
  if (phone) {
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
    }));
    expect(widths.page, `${page.url()} is wider than the phone`).toBeLessThanOrEqual(widths.viewport);
  }
  const violations = await runAxe(page);
  expect(
    violations.map((v) => v.id),
    `axe violations on ${page.url()}:\n${formatViolations(violations)}`,
  ).toEqual([]);
}

/** A readable list of violations (rule id, impact, targets) for assertion messages. */
export function formatViolations(violations: AxeViolation[]): string {
  if (!violations.length) return 'no violations';
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    - ${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').trim()}`)
        .join('\n');
      return `  ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n${nodes}`;
    })
    .join('\n');
}

/** Signs a browser context in through the real login form (the cookies stay in the context). */
export async function signIn(context: BrowserContext, base: string, email: string, password: string): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('Adres e-mail').fill(email);
  await page.getByLabel('Hasło').fill(password);
  await Promise.all([page.waitForURL(`${base}/staff`), page.getByRole('button', { name: 'Zaloguj się' }).click()]);
  await page.close();
}
