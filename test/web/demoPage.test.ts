import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { generateHs256Secret } from '../../src/auth/index.js';
import { devAppId, devTenantId } from '../../src/tenancy/index.js';
import { browserSkip, useBrowser } from '../helpers/browser.js';
import {
  backgroundOf,
  canvasColors,
  clipboardText,
  dragShape,
  editorText,
  focusedName,
  listedShapes,
  openDemo,
  recordSyncStates,
  rename,
  sidewaysOverflow,
  typeAtEnd,
  unnamedControls,
  waitForSync,
  type DemoWindow,
} from '../helpers/demoPage.js';
import { startDemoServer, type DemoServer } from '../helpers/demoServer.js';
import { eventually } from '../helpers/yjsClient.js';

/** Every test here is bounded: each wait has its own timeout, and the test one above them all. */
const bounded = { timeout: 60_000 };

describe('the demo page in two browsers (WEB-1..WEB-9)', { skip: browserSkip() }, () => {
  const browser = useBrowser();
  let demo: DemoServer;
  let windows: DemoWindow[] = [];
  let room = 0;
  /** A document and board of the test's own, so the tests do not see each other's edits. */
  const roomUrl = () => `${demo.pageUrl}#doc=notes-${++room}&board=sprint-${room}`;
  const open = async (url: string, options: Parameters<typeof openDemo>[2] = {}) => {
    const opened = await openDemo(browser(), url, options);
    windows.push(opened);
    return opened;
  };

  before(async () => {
    demo = await startDemoServer();
  });
  afterEach(async () => {
    // No test may leave a CSP violation or an uncaught error behind.
    const problems = windows.flatMap((window) => window.problems.errors);
    await Promise.all(windows.map((window) => window.context.close()));
    windows = [];
    assert.deepEqual(problems.filter((problem) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(problem)), []);
  });
  after(async () => demo.close());

  it('WEB-1: both users type into the editor and both end with the same text, which holds both edits', bounded, async () => {
    const url = roomUrl();
    const [a, b] = await Promise.all([open(url), open(url)]);
    await typeAtEnd(a.page, 'alpha from A. ');
    await typeAtEnd(b.page, 'beta from B. ');
    await typeAtEnd(a.page, 'gamma from A.');
    await eventually(async () => {
      const [textA, textB] = await Promise.all([editorText(a.page), editorText(b.page)]);
      return textA === textB && ['alpha from A.', 'beta from B.', 'gamma from A.'].every((part) => textA.includes(part));
    }, 10_000, 'both editors to hold the same text with every edit');
    await waitForSync(a.page, 'synced');
    await waitForSync(b.page, 'synced');
  });

  it("WEB-2: each user sees the other's cursor label and the presence list names both", bounded, async () => {
    const url = roomUrl();
    const [a, b] = await Promise.all([open(url, { name: 'Ada' }), open(url, { name: 'Lin' })]);
    await typeAtEnd(a.page, 'Ada was here\n');
    await typeAtEnd(b.page, 'Lin too');
    await a.page.locator('.cm-ySelectionInfo', { hasText: 'Lin' }).waitFor();
    await b.page.locator('.cm-ySelectionInfo', { hasText: 'Ada' }).waitFor();
    for (const window of [a, b]) {
      const names = await window.page.locator('#presence .peer-name').allTextContents();
      assert.deepEqual([...names].sort(), ['Ada', 'Lin']);
    }
    assert.equal(await a.page.locator('#presence li', { hasText: '(you)' }).locator('.peer-name').textContent(), 'Ada');
  });

  it('WEB-3: a rectangle created in one window appears in the other, and a drag in one moves it in the other', bounded, async () => {
    const url = roomUrl();
    const [a, b] = await Promise.all([open(url, { name: 'Ada' }), open(url, { name: 'Lin' })]);
    await a.page.click('#add-rect');
    await b.page.locator('#board-shapes button[data-type="rect"]').waitFor();
    const [created] = await listedShapes(a.page);
    assert.deepEqual((await listedShapes(b.page)).map((shape) => shape.id), [created.id]);
    await dragShape(a.page, created, 300, 150);
    const [moved] = await listedShapes(a.page);
    assert.ok(moved.x >= created.x + 250 && moved.y >= created.y + 120, `moved from ${created.x},${created.y} to ${moved.x},${moved.y}`);
    await eventually(async () => {
      const [there] = await listedShapes(b.page);
      return there?.x === moved.x && there.y === moved.y;
    }, 10_000, 'the drag to reach the other window');
  });

  it("WEB-3: the other user's pointer shows on the board in the color the server gave them", bounded, async () => {
    const url = roomUrl();
    const [a, b] = await Promise.all([open(url, { name: 'Ada' }), open(url, { name: 'Lin' })]);
    const box = await b.page.locator('#board-canvas').boundingBox();
    assert.ok(box);
    await b.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await b.page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2 + 10, { steps: 4 });
    // Lin's color is the server's (the board's participant color), and both panes use it.
    const linColor = await backgroundOf(b.page, '#presence li:has(.you) .swatch');
    let seen: string[] = [];
    await eventually(async () => (seen = await canvasColors(a.page)).includes(linColor), 10_000, "Lin's cursor in Lin's color on Ada's canvas").catch((error: Error) => {
      throw new Error(`${error.message}: looked for ${linColor} among ${seen.join(' ')}`);
    });
  });

  it('WEB-4: sticky notes are created, edited (keyboard) and deleted, and the other window follows each step', bounded, async () => {
    const url = roomUrl();
    const [a, b] = await Promise.all([open(url), open(url)]);
    await a.page.click('#add-note');
    await b.page.locator('#board-shapes button[data-type="note"]').waitFor();
    await a.page.click('#edit-shape');
    await a.page.locator('#note-editor').fill('Ship the demo');
    await a.page.keyboard.press('Enter');
    await b.page.locator('#board-shapes button', { hasText: 'Sticky note "Ship the demo"' }).waitFor();
    // Keyboard only: the canvas picks the next shape with N, moves it with the arrows, deletes it.
    await a.page.locator('#board-canvas').focus();
    const [before] = await listedShapes(a.page);
    await a.page.keyboard.press('n');
    await a.page.keyboard.press('ArrowRight');
    await a.page.keyboard.press('ArrowDown');
    await eventually(async () => {
      const [there] = await listedShapes(b.page);
      return there?.x === before.x + 10 && there.y === before.y + 10;
    }, 10_000, 'the keyboard move to reach the other window');
    await a.page.keyboard.press('Delete');
    await eventually(async () => (await listedShapes(b.page)).length === 0, 10_000, 'the delete to reach the other window');
  });

  it('WEB-5: a reload within the grace keeps the text', bounded, async () => {
    const url = roomUrl();
    const a = await open(url);
    await typeAtEnd(a.page, 'kept across a reload');
    await waitForSync(a.page, 'synced');
    await a.page.reload();
    await waitForSync(a.page, 'synced');
    await eventually(async () => (await editorText(a.page)) === 'kept across a reload', 5_000, 'the text after the reload');
  });

  it('WEB-6: the indicator shows "offline" (with unsent edits) while the server is stopped and "synced" after it is back on the same port', bounded, async () => {
    const url = roomUrl();
    const a = await open(url);
    await typeAtEnd(a.page, 'before the outage. ');
    await waitForSync(a.page, 'synced');
    await demo.stop();
    try {
      await waitForSync(a.page, 'offline');
      await typeAtEnd(a.page, 'typed while offline');
      await a.page.locator('#sync-status[data-state="offline"][data-unsent="true"]', { hasText: 'unsent edits' }).waitFor();
    } finally {
      await demo.start();
    }
    await waitForSync(a.page, 'synced', 20_000);
    // The offline edit reached the server: a new window gets it.
    const b = await open(url);
    await eventually(async () => (await editorText(b.page)) === 'before the outage. typed while offline', 10_000, 'the offline edit in a new window');
  });

  it("WEB-21: when dev/demo's key is rotated (4401) the page gets a new token and both panes carry on", bounded, async () => {
    const url = roomUrl();
    const a = await open(url);
    await typeAtEnd(a.page, 'before the rotation. ');
    await a.page.click('#add-rect');
    await waitForSync(a.page, 'synced');
    const running = demo.current;
    assert.ok(running);
    await running.stores.tenants.rotateAppKey(devTenantId, devAppId, { kind: 'hs256-secret', secret: generateHs256Secret() });
    const states = await recordSyncStates(a.page);
    // The node closes the old key's sockets with 4401 within its key check interval (1 s).
    await eventually(async () => (await states.seen()).includes('offline'), 10_000, 'the 4401 close');
    await waitForSync(a.page, 'synced', 15_000);
    await typeAtEnd(a.page, 'after it.');
    await a.page.click('#add-note');
    const b = await open(url);
    await eventually(async () => (await editorText(b.page)) === 'before the rotation. after it.', 10_000, 'the edit made after the rotation');
    await eventually(async () => (await listedShapes(b.page)).length === 2, 10_000, 'both shapes on the board');
  });

  it('WEB-7: the hash names the document and board; "copy link" copies it, and the link opens the same document', bounded, async () => {
    const url = `${demo.pageUrl}#doc=${encodeURIComponent('shared notes')}&board=retro`;
    const a = await open(url);
    assert.equal(await a.page.locator('#doc-name').textContent(), 'shared notes');
    assert.equal(await a.page.locator('#board-name').textContent(), 'retro');
    await typeAtEnd(a.page, 'linked');
    await a.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.pageUrl.slice(0, -1) });
    await a.page.click('#copy-link');
    await a.page.locator('#copy-result', { hasText: 'Link copied' }).waitFor();
    const link = await clipboardText(a.page);
    assert.equal(link, `${demo.pageUrl}#doc=shared+notes&board=retro`);
    const b = await open(link);
    await eventually(async () => (await editorText(b.page)) === 'linked', 10_000, 'the linked document');
    // Without a hash the page names its defaults in the address bar, ready to share.
    const c = await open(demo.pageUrl);
    assert.equal(new URL(c.page.url()).hash, '#doc=notes&board=sprint');
  });

  it('WEB-8: at 360 px wide nothing overflows sideways and the editor and board still work', bounded, async () => {
    const a = await open(roomUrl(), { width: 360, height: 740 });
    assert.equal(await sidewaysOverflow(a.page), 0);
    for (const selector of ['#user-name', '#copy-link', '#add-rect', '#add-note', '#board-canvas', '.cm-content']) {
      const box = await a.page.locator(selector).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `${selector} inside 360 px: ${JSON.stringify(box)}`);
    }
    await typeAtEnd(a.page, 'small screen');
    await a.page.click('#add-rect');
    await a.page.locator('#board-shapes button[data-type="rect"]').waitFor();
    assert.equal(await sidewaysOverflow(a.page), 0);
  });

  it('WEB-9: every control has a name, Tab reaches each of them in order, and a rename by keyboard shows in the other window', bounded, async () => {
    const url = roomUrl();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const unnamed = await unnamedControls(a.page);
    assert.deepEqual(unnamed, []);
    assert.equal(await a.page.locator('.cm-content').getAttribute('aria-label'), `Shared document ${new URL(url).hash.match(/doc=([^&]+)/)?.[1]}`);
    const reached: string[] = [];
    for (let step = 0; step < 12; step++) {
      await a.page.keyboard.press('Tab');
      reached.push(await focusedName(a.page));
    }
    const order = ['user-name', 'copy-link', 'cm-content', 'add-rect', 'add-note', 'board-canvas'];
    const positions = order.map((id) => reached.indexOf(id));
    assert.ok(positions.every((position, index) => position >= 0 && (index === 0 || position > positions[index - 1])), `Tab order: ${reached.join(' > ')}`);
    await a.page.locator('#user-name').focus();
    await a.page.keyboard.press('Control+A');
    await a.page.keyboard.type('Grace');
    await a.page.keyboard.press('Enter');
    await b.page.locator('#presence .peer-name', { hasText: 'Grace' }).waitFor();
    await rename(b.page, 'Alan');
    await a.page.locator('#presence .peer-name', { hasText: 'Alan' }).waitFor();
  });
});
