import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserSkip, openPage, useBrowser } from '../helpers/browser.js';
import { startDemoServer, type DemoServer } from '../helpers/demoServer.js';

describe('the demo page in chromium (WEB-20)', { skip: browserSkip() }, () => {
  const browser = useBrowser();
  let demo: DemoServer;
  before(async () => {
    demo = await startDemoServer();
  });
  after(async () => demo.close());

  it('WEB-20: the page loads its bundle under the CSP without an error or a request elsewhere', async () => {
    const { context, page, problems } = await openPage(browser(), demo.pageUrl);
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(demo.pageUrl)) foreign.push(request.url());
    });
    await page.reload();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.title(), 'wiresocket demo');
    assert.deepEqual(problems.errors, []);
    assert.deepEqual(foreign, []);
    await context.close();
  });
});
