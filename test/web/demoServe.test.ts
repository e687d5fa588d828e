import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServe, useTempDataDir } from '../cli/cliProcess.js';

describe('wiresocket serve and the demo (WEB-19, WEB-16)', () => {
  let dataDir: string;
  useTempDataDir((made) => {
    dataDir = made;
  });

  it('WEB-19: a first start prints the demo page http://127.0.0.1:<port>/ first, and the page answers there', async () => {
    const serve = await startServe(['--data-dir', dataDir, '--log-level', 'warn']);
    const port = /:(\d+)$/.exec(serve.url)?.[1];
    const pageUrl = `http://127.0.0.1:${port}/`;
    assert.ok(serve.banner[0].startsWith(`Open ${pageUrl} `), serve.banner.join('\n'));
    assert.equal(serve.banner[1], `wiresocket serving ${serve.url}`);
    const response = await fetch(pageUrl);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<title>wiresocket demo<\/title>/);
    assert.equal((await serve.stop()).code, 0);
  });

  it('WEB-16: serve --demo off prints no page and answers the JSON 404 at / and /v1/dev/token', async () => {
    const serve = await startServe(['--data-dir', dataDir, '--log-level', 'warn', '--demo', 'off']);
    assert.equal(serve.banner[0], `wiresocket serving ${serve.url}`);
    const base = serve.url.replace(/^ws:/, 'http:');
    for (const path of ['/', '/v1/dev/token']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    }
    assert.equal((await serve.stop()).code, 0);
  });
});
