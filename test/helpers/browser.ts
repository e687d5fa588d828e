import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (issue 18: never download a browser; .ci/run installs it with apt). */
export const chromiumPath = '/usr/bin/chromium';

const onCi = process.env.CI === 'true';
let noticeShown = false;

/**
 * The `skip` option for a browser suite: false when chromium is installed. Without it the suite
 * is skipped with a loud notice, except under CI=true, where it runs and fails: a CI that lost
 * its browser must not look green.
 */
export function browserSkip(): string | false {
  if (existsSync(chromiumPath) || onCi) return false;
  const reason = `${chromiumPath} is missing: browser tests SKIPPED (apt-get install chromium, or run .ci/run)`;
  if (!noticeShown) {
    noticeShown = true;
    process.stderr.write(`\n${'!'.repeat(80)}\n!! ${reason}\n${'!'.repeat(80)}\n\n`);
  }
  return reason;
}

/** Headless chromium; as root it needs --no-sandbox (its sandbox refuses to run as root). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing and CI=true: browser tests must run (.ci/run installs chromium with apt)`);
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 30_000,
    args: [...(asRoot ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** One browser for the enclosing `describe`, launched before its tests and closed after them. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is not launched (useBrowser() outside a describe, or its launch failed)');
    return browser;
  };
}

/** What went wrong in a page: uncaught errors and console errors (CSP violations land there). */
export interface PageProblems {
  readonly errors: string[];
}

/** Collects a page's errors from now on, so a test can assert there were none. */
export function watchPage(page: Page): PageProblems {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { errors };
}

/** A fresh context (its own storage: another user) with a page; tests bound every wait themselves. */
export async function openPage(browser: Browser, url: string, options: { width?: number; height?: number } = {}): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1200, height: options.height ?? 800 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(url);
  return { context, page, problems };
}
