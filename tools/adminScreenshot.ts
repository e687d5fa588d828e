/**
 * docs/admin.png, one shot of `npm run screenshots` (issue 18): against the `wiresocket serve` the
 * script started, as an operator would: an admin token from `wiresocket admin token`, a live
 * document with two y-websocket clients typing (the demo's own tokens), a board, a second
 * tenant made through the admin API; then the dashboard signed in, in chromium.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

/** The package root: this file runs from dist/tools/. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the screenshot script hands each shot. */
export interface AdminShotContext {
  browser: Browser;
  /** `http://127.0.0.1:<port>/` */
  baseUrl: string;
  dataDir: string;
}

export async function adminShot({ browser, baseUrl, dataDir }: AdminShotContext, file: string): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'wiresocket.js'), 'admin', 'token', '--data-dir', dataDir, '--user', 'ops', '--ttl', '15m']);
  const admin = stdout.trim();
  await adminCall(baseUrl, admin, 'POST', 'tenants', { tenantId: 'globex', maxDocuments: 50 });
  await adminCall(baseUrl, admin, 'POST', 'apps', { tenantId: 'globex', appId: 'wiki' });
  const wsUrl = baseUrl.replace(/^http/, 'ws').replace(/\/$/, '');
  const writers = await Promise.all(['Ada', 'Lin'].map(async (user) => openWriter(wsUrl, await devToken(baseUrl, user))));
  const board = new WebSocket(`${wsUrl}/v1/boards/sprint`, ['Bearer', await devToken(baseUrl, 'Ada')]);
  board.on('open', () => board.send(JSON.stringify({ type: 'join', displayName: 'Ada' })));
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  try {
    // Some seconds of typing, so the charts (a sample every 2 s) have a line to draw.
    for (let i = 0; i < 100; i++) {
      writers[i % 2]!.doc.getText('notes').insert(0, `edit ${i} `);
      await wait(60 + (i % 9) * 25);
    }
    const page = await context.newPage();
    await page.goto(`${baseUrl}admin`);
    await page.getByLabel('Admin token').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#documents tr[data-row="dev/demo/notes"]').waitFor();
    await page.locator('#boards tr[data-row="dev/demo/sprint"]').waitFor();
    await page.screenshot({ path: path.isAbsolute(file) ? file : path.join(root, file), fullPage: true });
  } finally {
    await context.close();
    for (const { provider } of writers) {
      provider.destroy();
      provider.awareness.destroy();
    }
    board.close();
  }
}

async function adminCall(baseUrl: string, token: string, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${baseUrl}v1/admin/${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok && response.status !== 409) throw new Error(`${method} /v1/admin/${path}: ${response.status} ${await response.text()}`);
}

async function devToken(baseUrl: string, user: string): Promise<string> {
  const response = await fetch(`${baseUrl}v1/dev/token?user=${encodeURIComponent(user)}`);
  if (!response.ok) throw new Error(`GET /v1/dev/token: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

async function openWriter(wsUrl: string, token: string): Promise<{ provider: WebsocketProvider; doc: Y.Doc }> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsUrl, 'notes', doc, { WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket, protocols: ['Bearer', token], disableBc: true });
  await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
  return { provider, doc };
}
