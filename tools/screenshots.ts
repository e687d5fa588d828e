/**
 * `npm run screenshots` (issue 18): starts `wiresocket serve` on an empty data dir, as `npm start`
 * does, opens the pages in headless chromium and writes each shot to docs/. A shot is one entry
 * of `shots`; each gets the browser and the running server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../test/helpers/browser.js';
import { adminShot } from './adminScreenshot.js';

/** The package root: this file runs from dist/tools/. */
const root = fileURLToPath(new URL('../../', import.meta.url));

/** What a shot gets: the browser and the server it may talk to. */
export interface ShotContext {
  browser: Browser;
  /** `http://127.0.0.1:<port>/` */
  baseUrl: string;
  dataDir: string;
}

interface Shot {
  file: string;
  take(context: ShotContext, file: string): Promise<void>;
}

const shots: Shot[] = [
  { file: 'docs/demo.png', take: demoShot },
  { file: 'docs/admin.png', take: adminShot },
];

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two users on one document and one board; the picture is the first user's window. */
async function demoShot({ browser, baseUrl }: ShotContext, file: string): Promise<void> {
  const url = `${baseUrl}#doc=notes&board=sprint`;
  const viewport = { width: 1280, height: 1040 };
  const [ada, lin] = await Promise.all([browser.newContext({ viewport }), browser.newContext({ viewport })]);
  try {
    const [a, b] = await Promise.all([ada.newPage(), lin.newPage()]);
    for (const [page, name] of [[a, 'Ada'], [b, 'Lin']] as const) {
      await page.goto(url);
      await page.locator('#sync-status[data-state="synced"]').waitFor();
      await page.fill('#user-name', name);
      await page.click('#name-form button[type="submit"]');
    }
    await a.locator('.cm-content').click();
    await a.keyboard.type('# Sprint notes\n\n- ship the board demo\n- review the quota alerts\n');
    await b.locator('.cm-content').click();
    await b.keyboard.press('Control+End');
    await b.keyboard.type('- Lin: add a Hocuspocus example\n');
    await addNote(a, 'Ship the board demo');
    await a.click('#add-rect');
    await addNote(b, 'Hocuspocus example?');
    await a.locator('#board-shapes button').nth(2).waitFor();
    // Lin's pointer over the board, so Ada's window shows a live cursor.
    const canvas = await b.locator('#board-canvas').boundingBox();
    if (canvas) {
      await b.mouse.move(canvas.x + canvas.width * 0.7, canvas.y + canvas.height * 0.45);
      await b.mouse.move(canvas.x + canvas.width * 0.72, canvas.y + canvas.height * 0.5);
    }
    await a.locator('.cm-ySelectionInfo', { hasText: 'Lin' }).waitFor();
    await a.evaluate('window.scrollTo(0, 0)');
    await wait(500);
    await a.screenshot({ path: path.join(root, file) });
  } finally {
    await Promise.all([ada.close(), lin.close()]);
  }
}

/** A sticky note with its text, typed as a user would. */
async function addNote(page: Page, text: string): Promise<void> {
  await page.click('#add-note');
  await page.click('#edit-shape');
  await page.locator('#note-editor').fill(text);
  await page.keyboard.press('Enter');
}

/** `wiresocket serve` on an ephemeral port; resolves with the demo's address from its banner. */
async function startServe(dataDir: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'wiresocket.js'), 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve printed no demo address within 15 s')), 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /^Open (http:\/\/\S+\/) /.exec(line);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before its banner`)));
  });
  return { child, baseUrl };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'wiresocket-screenshots-'));
  const { child, baseUrl } = await startServe(dataDir);
  const browser = await launchBrowser();
  try {
    for (const shot of shots) {
      await shot.take({ browser, baseUrl, dataDir }, shot.file);
      console.log(`wrote ${shot.file}`);
    }
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
