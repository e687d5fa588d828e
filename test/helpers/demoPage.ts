import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openPage, type PageProblems } from './browser.js';

/** One user's window on the demo. */
export interface DemoWindow {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

/** Opens the demo (a context of its own: another user) and waits until its document is synced. */
export async function openDemo(browser: Browser, url: string, options: { name?: string; width?: number; height?: number } = {}): Promise<DemoWindow> {
  const opened = await openPage(browser, url, options);
  await waitForSync(opened.page, 'synced');
  if (options.name !== undefined) await rename(opened.page, options.name);
  return opened;
}

export async function waitForSync(page: Page, state: 'connecting' | 'syncing' | 'synced' | 'offline', timeoutMs = 10_000): Promise<void> {
  await page.locator(`#sync-status[data-state="${state}"]`).waitFor({ timeout: timeoutMs });
}

/** Renames the user and waits until the presence list shows the new name. */
export async function rename(page: Page, name: string): Promise<void> {
  await page.fill('#user-name', name);
  await page.click('#name-form button[type="submit"]');
  await page.locator('#presence li', { hasText: name }).waitFor();
}

/** The editor's text (CodeMirror's lines; locators reach into its shadow root). */
export async function editorText(page: Page): Promise<string> {
  // The remote cursors' name labels sit inside the lines: they are left out.
  return page.evaluate(`[...document.getElementById('editor').shadowRoot.querySelectorAll('.cm-content .cm-line')]
    .map((line) => {
      const copy = line.cloneNode(true);
      for (const widget of copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer')) widget.remove();
      return copy.textContent;
    })
    .join('\\n')`);
}

/** Types at the end of the document. */
export async function typeAtEnd(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

/** A board shape as the page lists it (the list mirrors the canvas). */
export interface ListedShape {
  id: string;
  type: string;
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
}

export async function listedShapes(page: Page): Promise<ListedShape[]> {
  return page.locator('#board-shapes button').evaluateAll((buttons) =>
    buttons.map((button) => {
      // Runs in the page; the test's tsconfig has no DOM types.
      const data = (button as unknown as { dataset: Record<string, string | undefined> }).dataset;
      return { id: data.id ?? '', type: data.type ?? '', x: Number(data.x), y: Number(data.y), w: Number(data.w), h: Number(data.h), label: button.textContent ?? '' };
    }),
  );
}

/** Drags a shape on the canvas by (dx, dy) board units, in steps as a hand would. */
export async function dragShape(page: Page, shape: ListedShape, dx: number, dy: number): Promise<void> {
  const canvas = page.locator('#board-canvas');
  const box = await canvas.boundingBox();
  if (!box) throw new Error('the board canvas is not visible');
  const scale = box.width / 960;
  const startX = box.x + (shape.x + shape.w / 2) * scale;
  const startY = box.y + (shape.y + shape.h / 2) * scale;
  await page.mouse.move(startX, startY);
  await page.mouse.down();
  await page.mouse.move(startX + dx * scale, startY + dy * scale, { steps: 12 });
  await page.mouse.up();
}

// What runs inside the page is written as expressions: this project's TypeScript has no DOM types
// (adding them would change every Node file's globals).

/** The opaque colors the board canvas shows (sampled), as `rgb(r, g, b)`. */
export function canvasColors(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const canvas = document.getElementById('board-canvas');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const colors = new Set();
    for (let index = 0; index < data.length; index += 4 * 7) if (data[index + 3] === 255) colors.add('rgb(' + data[index] + ', ' + data[index + 1] + ', ' + data[index + 2] + ')');
    return [...colors];
  })()`);
}

/** The computed background color of the first element matching `selector`. */
export function backgroundOf(page: Page, selector: string): Promise<string> {
  return page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).backgroundColor`);
}

/** How far the page scrolls sideways (0: nothing overflows). */
export function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}

/** Controls without an accessible name (aria-label, a <label for>, or their text). */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll('button, input, textarea, canvas')]
    .filter((element) => {
      const forLabel = element.id ? document.querySelector('label[for="' + element.id + '"]') : null;
      const label = element.getAttribute('aria-label') ?? forLabel?.textContent ?? element.textContent;
      return !label || !label.trim();
    })
    .map((element) => element.outerHTML.slice(0, 80))`);
}

/** The focused element's id, else its first class (inside the editor's shadow root too). */
export function focusedName(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    let element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    return element ? element.id || String(element.className).split(' ')[0] || element.tagName : '';
  })()`);
}

export function clipboardText(page: Page): Promise<string> {
  return page.evaluate('navigator.clipboard.readText()');
}

/** Starts recording every state the sync indicator shows, however briefly; `seen()` returns them. */
export async function recordSyncStates(page: Page): Promise<{ seen(): Promise<string[]> }> {
  await page.evaluate(`(() => {
    const status = document.getElementById('sync-status');
    window.__syncStates = [status.dataset.state];
    new MutationObserver(() => window.__syncStates.push(status.dataset.state)).observe(status, { attributes: true, attributeFilter: ['data-state'] });
  })()`);
  return { seen: () => page.evaluate('window.__syncStates') };
}
