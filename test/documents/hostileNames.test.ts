import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseServerFrame } from '../helpers/rawClient.js';
import { textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { startTestServer, type TestApp, type TestServer } from '../helpers/testServer.js';
import { clientFrame, Opcode, WireSocket } from '../helpers/wireFrames.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { documentKey, documentNameFromUrl, parseDocumentKey } from '../../src/tenancy/index.js';
import type { WebsocketProvider } from 'y-websocket';

/**
 * Request paths sent byte for byte (no client library normalises `..` or encodes anything), and
 * the document name each one must be: its own document inside the caller's tenant and app.
 */
const servedNames: Array<[path: string, name: string]> = [
  ['/..', '..'],
  ['/../other', '../other'],
  ['/./victim', './victim'],
  ['//victim', '/victim'],
  ['/\\..\\victim', '\\..\\victim'],
  ['/__proto__', '__proto__'],
  ['/constructor', 'constructor'],
  ['/prototype', 'prototype'],
  ['/hasOwnProperty', 'hasOwnProperty'],
  ['/:', ':'],
  ['/::', '::'],
  ['/:::', ':::'],
  ['/::globex::editor::victim', '::globex::editor::victim'],
  ['/globex::editor::victim', 'globex::editor::victim'],
  ['/%25victim', '%victim'],
  [`/${':'.repeat(512)}`, ':'.repeat(512)],
];

/** Paths whose name is refused after the upgrade: close 4400 (LIM-4), nothing created. */
const refusedNames: Array<[what: string, path: string]> = [
  ['NUL, percent-encoded', '/victim%00'],
  ['a C1 control character (U+0085)', '/victim%C2%85'],
  ['600 bytes', `/${'v'.repeat(600)}`],
  ['600 bytes of ":"', `/${':'.repeat(600)}`],
  ['an encoded lone surrogate (not UTF-8)', '/%ED%A0%80'],
  ['a lone "%"', '/victim%'],
];

/** Bytes Node's HTTP parser refuses in a request line: HTTP 400, no upgrade, the server untouched. */
const refusedRequestLines: Array<[what: string, path: string]> = [
  ['a raw NUL byte', '/vic\u0000tim'],
  ['a raw DEL byte', '/vic\u007ftim'],
  ['a raw tab', '/vic\ttim'],
  ['a raw space', '/vic tim'],
  ['a raw 0xFF byte', '/vic\u00fftim'],
];

describe('documents: hostile names (LIM-25)', () => {
  const providers: WebsocketProvider[] = [];
  let server: TestServer;

  const textAt = (key: string) => {
    const session = server.server.documents.getSession(key);
    return session ? textOf([session.encodeState()]) : null;
  };

  /** The documents an attacker would like to reach: its own tenant's `victim` and `other`, and globex's `victim`. */
  const seedTargets = async (globex: TestApp) => {
    for (const [name, app] of [['victim', server.app], ['other', server.app], ['victim', globex]] as const) {
      const client = connectClient(server.url, name, { token: await server.token({ app }) });
      providers.push(client.provider);
      await waitForSync(client.provider);
      client.doc.getText('t').insert(0, `${app.tenantId}:${name}`);
      await eventually(() => textAt(documentKey(app.tenantId, app.appId, name)) === `${app.tenantId}:${name}`, 5000, name);
    }
  };

  before(async () => {
    server = await startTestServer();
    await seedTargets(await server.addApp('globex', 'editor'));
  });
  after(async () => {
    destroyAll(providers);
    await server.close();
  });

  const assertTargetsUnchanged = () => {
    assert.equal(textAt('acme::editor::victim'), 'acme:victim');
    assert.equal(textAt('acme::editor::other'), 'acme:other');
    assert.equal(textAt('globex::editor::victim'), 'globex:victim');
  };
  const open = async (path: string, docs?: string[]) => {
    const wire = WireSocket.open(server.server.port, path, { protocols: ['Bearer', await server.token({ userId: 'attacker', docs })] });
    await wire.upgrade();
    return wire;
  };

  it('LIM-25: names with "..", "/", "\\", ":" and "::", prototype keys and a 512-byte name are each their own document of the caller\'s tenant and app', async () => {
    const sockets: WireSocket[] = [];
    for (const [path, name] of servedNames) {
      const key = documentKey('acme', 'editor', name);
      assert.equal(documentNameFromUrl(path), name, path);
      const wire = await open(path);
      sockets.push(wire);
      // Writes its own name into the document: whichever document it reached shows it.
      wire.write(clientFrame({ opcode: Opcode.binary, payload: updateFrame(textUpdate(`wrote ${name}`)) }));
      await eventually(() => textAt(key) === `wrote ${name}`, 5000, `the write to ${JSON.stringify(name)}`);
      const route = await server.stores.routing.getRoute(key);
      assert.equal(route?.tenantId, 'acme', `${key} is routed as acme's`);
      assert.equal(wire.frames.some((frame) => frame.opcode === Opcode.close), false, `${path} stays open`);
    }
    assertTargetsUnchanged();
    // One document per name: no two names share one, and none reached another tenant's.
    assert.equal(server.server.documents.statsOf('acme::editor::').sessions, 2 + servedNames.length);
    assert.equal(server.server.documents.statsOf('globex::').sessions, 1);
    for (const wire of sockets) wire.destroy();
  });

  it('LIM-25: "%2E%2E/other" decodes to the same name as "../other" (its own document), never to "other"', async () => {
    const wire = await open('/%2E%2E/other');
    wire.write(clientFrame({ opcode: Opcode.binary, payload: updateFrame(textUpdate('dots ')) }));
    await eventually(() => textAt(documentKey('acme', 'editor', '../other'))?.includes('dots ') === true, 5000, 'the write to ../other');
    assertTargetsUnchanged();
    wire.destroy();
  });

  it('LIM-25: a docs grant matches the decoded name as it is, never normalised: "team-a/*" opens "team-a/../team-b/plan" as its own document, not "team-b/plan"', async () => {
    const inside = await open('/team-a/../team-b/plan', ['team-a/*']);
    inside.write(clientFrame({ opcode: Opcode.binary, payload: updateFrame(textUpdate('from team a')) }));
    await eventually(() => textAt('acme::editor::team-a/../team-b/plan') === 'from team a', 5000, 'the write inside team-a');
    assert.equal(server.server.documents.getSession('acme::editor::team-b/plan'), null);
    inside.destroy();
    const outside = await open('/team-b/plan', ['team-a/*']);
    assert.equal((await outside.waitForCloseFrame())?.code, 4403);
    outside.destroy();
  });

  for (const [what, path] of refusedNames) {
    it(`LIM-25: a name holding ${what} -> 4400 with the reason, nothing created`, async () => {
      const sessionsBefore = server.server.documents.statsOf('acme::').sessions;
      const wire = await open(path);
      assert.deepEqual(await wire.waitForCloseFrame(), { code: 4400, reason: 'DOCUMENT_NAME_INVALID' });
      const told = wire.frames.filter((frame) => frame.opcode === Opcode.binary).map((frame) => parseServerFrame(new Uint8Array(frame.payload)));
      assert.equal(told[0]?.type, 2, 'an auth message says why before the close');
      assert.equal(server.server.documents.statsOf('acme::').sessions, sessionsBefore);
      wire.destroy();
      assertTargetsUnchanged();
    });
  }

  for (const [what, path] of refusedRequestLines) {
    it(`LIM-25: a request line with ${what} in the path -> HTTP 400 before any upgrade`, async () => {
      const wire = WireSocket.open(server.server.port, path, { protocols: ['Bearer', await server.token()] });
      await wire.ended;
      assert.equal((await wire.head)?.status, 400, wire.responseText);
      assertTargetsUnchanged();
    });
  }

  it('LIM-25: keys are one-to-one: every (tenant, app, name) gets its own key and parses back to it', () => {
    const tenants = ['acme', 'acme.x', 'a', 'a-b_c'];
    const apps = ['editor', 'e', 'editor.v2'];
    const names = ['x', ':', '::', ':x', 'x:', '::x', 'x::', 'e::x', 'editor::x', 'acme::editor::x', '__proto__', '..', '../x', ':'.repeat(512)];
    const keys = new Map<string, string>();
    for (const tenantId of tenants) {
      for (const appId of apps) {
        for (const name of names) {
          const key = documentKey(tenantId, appId, name);
          const owner = JSON.stringify([tenantId, appId, name]);
          assert.equal(keys.get(key) ?? owner, owner, `${owner} and ${keys.get(key)} share the key ${key}`);
          keys.set(key, owner);
          assert.deepEqual(parseDocumentKey(key), { tenantId, appId, name });
        }
      }
    }
    assert.equal(keys.size, tenants.length * apps.length * names.length);
  });
});
