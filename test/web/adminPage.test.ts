import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { adminToken } from '../admin/adminHttp.js';
import { browserSkip, openPage, useBrowser } from '../helpers/browser.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';

/** Signs in through the form, as a person would. */
async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the admin dashboard in chromium', { skip: browserSkip() }, () => {
  const browser = useBrowser();
  let server: TestServer;
  let pageUrl: string;

  before(async () => {
    server = await startTestServer({ config: { adminSampleIntervalMs: 200 } });
    pageUrl = `${server.url.replace(/^ws/, 'http')}/admin`;
  });
  after(() => server.close());

  it('ADMIN-12: signing in with an admin token shows the live document with its 2 connections, the board apart, and the charts', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'notes', { token });
    const b = connectClient(server.url, 'notes', { token });
    const board = await RawBoardClient.join(server.url, 'sprint', token);
    const { context, page, problems } = await openPage(browser(), pageUrl);
    try {
      await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
      await signIn(page, await adminToken(server, 'alice'));
      await page.getByText('signed in as alice').waitFor();
      const row = page.locator('#documents tr[data-row="acme/editor/notes"]');
      await row.waitFor();
      assert.equal(await row.locator('td[data-col="Connections"]').textContent(), '2');
      assert.match((await row.locator('td[data-col="Per node"]').textContent()) ?? '', new RegExp(`${server.server.nodeId}: 2`));
      assert.equal(await page.locator('#documents tbody tr').count(), 1, 'the board is not listed as a document');
      await page.locator('#boards tr[data-row="acme/editor/sprint"]').waitFor();
      await page.locator('#tenants tr[data-row="acme"] meter').waitFor();
      assert.equal(await page.locator('#tenants tr[data-row="acme"] meter').getAttribute('value'), '1');
      await page.locator('#nodes tr').nth(1).waitFor();
      await page.locator('#charts svg[role="img"]').first().waitFor();
      assert.equal(await page.locator('#charts svg[role="img"]').count(), 4);
      assert.equal(await page.getByText('Connections', { exact: true }).first().isVisible(), true);
      assert.deepEqual(problems.errors, []);
    } finally {
      await context.close();
      destroyAll([a.provider, b.provider]);
      board.client.ws.close();
    }
  });

  it('ADMIN-13: an app token is refused with the reason, and nothing of the dashboard shows or is kept', async () => {
    const { context, page } = await openPage(browser(), pageUrl);
    try {
      await signIn(page, await server.token());
      const alert = page.getByRole('alert');
      await eventually(async () => /admin tokens/.test((await alert.textContent()) ?? ''), 5_000, 'the refusal');
      assert.equal(await page.locator('#dashboard').isVisible(), false);
      assert.equal(await page.evaluate<number>('sessionStorage.length'), 0);
    } finally {
      await context.close();
    }
  });

  it('ADMIN-14: "mint a token" returns a token that opens the document', async () => {
    const writer = connectClient(server.url, 'minted-doc', { token: await server.token() });
    const { context, page, problems } = await openPage(browser(), pageUrl);
    try {
      await waitForSync(writer.provider);
      writer.doc.getText('t').insert(0, 'from the writer');
      await signIn(page, await adminToken(server));
      await page.locator('#apps tr[data-row="acme/editor"]').getByRole('button', { name: /Mint a token/ }).click();
      await page.getByLabel('User id').fill('dana');
      await page.getByLabel(/^Documents/).fill('minted-doc');
      await page.getByRole('button', { name: 'Mint token' }).click();
      const output = page.locator('#secret-output');
      await eventually(async () => (await output.inputValue()).split('.').length === 3, 5_000, 'the minted token');
      const minted = await output.inputValue();
      const reader = connectClient(server.url, 'minted-doc', { token: minted });
      try {
        await waitForSync(reader.provider);
        await eventually(() => reader.doc.getText('t').toString() === 'from the writer', 5_000, 'the text');
      } finally {
        destroyAll([reader.provider]);
      }
      assert.deepEqual(problems.errors, []);
    } finally {
      await context.close();
      destroyAll([writer.provider]);
    }
  });

  it('ADMIN-15: the page works by keyboard, every control has a label, and nothing scrolls sideways at 360 px', async () => {
    const { context, page, problems } = await openPage(browser(), pageUrl, { width: 360, height: 740 });
    try {
      await page.getByLabel('Admin token').focus();
      await page.keyboard.insertText(await adminToken(server, 'keyboard-user'));
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.getByText('signed in as keyboard-user').waitFor();
      // Runs in the page (a string: the test is compiled without the DOM's types).
      const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea')]
        .filter((control) => !control.labels?.length && !control.getAttribute('aria-label'))
        .map((control) => control.id || control.outerHTML)`);
      assert.deepEqual(unlabelled, []);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
      // Create a tenant with the keyboard alone: focus the field, type, Tab on, Enter submits.
      await page.getByLabel('Tenant id').focus();
      await page.keyboard.type('kbd-co');
      await page.keyboard.press('Enter');
      await page.locator('#tenants tr[data-row="kbd-co"]').waitFor();
      assert.deepEqual(await server.stores.tenants.getTenant('kbd-co'), { tenantId: 'kbd-co', maxDocuments: 1000 });
      assert.deepEqual(problems.errors, []);
    } finally {
      await context.close();
    }
  });

  it('ADMIN-16: "End session" asks first, then closes every client of the document with 4410', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'to-end', { token });
    const { context, page } = await openPage(browser(), pageUrl);
    try {
      await waitForSync(a.provider);
      await signIn(page, await adminToken(server));
      page.once('dialog', (dialog) => void dialog.accept());
      const closed = nextClose(a.provider, 10_000);
      await page.getByRole('button', { name: 'End the session of acme/editor to-end' }).click();
      assert.equal((await closed).code, 4410);
      await page.getByText('Ended acme/editor to-end.').waitFor();
    } finally {
      await context.close();
      destroyAll([a.provider]);
    }
  });
});
