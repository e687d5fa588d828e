import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { maxRequestHeaders } from '../../src/server/upgradeGate.js';
import { ControllableSyncLayer } from '../helpers/controllableSyncLayer.js';
import { textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { clientFrame, closePayload, fragmentedMessage, Opcode, WireSocket, type FrameSpec, type UpgradeOptions } from '../helpers/wireFrames.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

const maxMessageBytes = 64 * 1024;
/** ws 8.23's server default `maxFragments`: the server does not change it. */
const wsMaxFragments = 16 * 1024;

/** A real update frame: had the server let any of these frames through, the victim's text would change. */
const attackUpdate = Buffer.from(updateFrame(textUpdate('ATTACK', 't', 666)));

/**
 * Frames that break RFC 6455 itself. `ws` rejects each with 1002 before the server sees a
 * message; the server's job is to have an `error` listener on every socket so that rejection
 * never becomes an uncaught exception, and to go on serving.
 */
const protocolErrors: Array<[string, Buffer]> = [
  ['RSV1 set without a negotiated extension', clientFrame({ opcode: Opcode.binary, rsv1: true, payload: attackUpdate })],
  ['RSV2 set', clientFrame({ opcode: Opcode.binary, rsv2: true, payload: attackUpdate })],
  ['RSV3 set', clientFrame({ opcode: Opcode.binary, rsv3: true, payload: attackUpdate })],
  ['reserved data opcode 0x3', clientFrame({ opcode: Opcode.reserved3, payload: attackUpdate })],
  ['reserved control opcode 0xB', clientFrame({ opcode: Opcode.reservedB, payload: 'x' })],
  ['an unmasked client frame', clientFrame({ opcode: Opcode.binary, mask: false, payload: attackUpdate })],
  ['a close frame with code 1005 (reserved, never sent)', clientFrame({ opcode: Opcode.close, payload: closePayload(1005) })],
  ['a close frame with code 999', clientFrame({ opcode: Opcode.close, payload: closePayload(999) })],
  ['a close frame with a one-byte payload', clientFrame({ opcode: Opcode.close, payload: new Uint8Array([3]) })],
  ['a ping over 125 bytes', clientFrame({ opcode: Opcode.ping, payload: new Uint8Array(126) })],
  ['a fragmented control frame (ping without FIN)', clientFrame({ opcode: Opcode.ping, fin: false, payload: 'p' })],
  ['a continuation frame with no message to continue', clientFrame({ opcode: Opcode.continuation, payload: attackUpdate })],
  [
    'a new data frame inside a fragmented message',
    Buffer.concat([clientFrame({ opcode: Opcode.binary, fin: false, payload: attackUpdate.subarray(0, 4) }), clientFrame({ opcode: Opcode.binary, payload: attackUpdate })]),
  ],
];

describe('transport: hand-built frames on a raw TCP socket', () => {
  let server: TestServer;
  let layer: ControllableSyncLayer;
  let peer: { provider: WebsocketProvider; doc: Y.Doc };
  const providers: WebsocketProvider[] = [];
  let bystanders = 0;

  before(async () => {
    server = await startTestServer({ config: { maxMessageBytes }, wrapSyncLayer: (inner) => (layer = new ControllableSyncLayer(inner)) });
    peer = connectClient(server.url, 'victim', { token: await server.token() });
    providers.push(peer.provider);
    await waitForSync(peer.provider);
    peer.doc.getText('t').insert(0, 'intact');
    await eventually(() => textOf([server.server.documents.getSession(server.key('victim'))!.encodeState()]) === 'intact', 5000, 'the victim stored');
    assert.ok(victimAppends() > 0, "the sync layer records the victim's appends");
  });
  after(async () => {
    destroyAll(providers);
    await server.close();
  });

  const victimAppends = () => layer.calls.filter((call) => call === `append ${server.key('victim')}`).length;

  /** A raw socket upgraded onto `path` with a valid token. */
  const attacker = async (path = '/victim'): Promise<WireSocket> => {
    const wire = WireSocket.open(server.server.port, path, { protocols: ['Bearer', await server.token({ userId: 'attacker' })] });
    await wire.upgrade();
    return wire;
  };

  /** Sends the frames on a fresh attacker socket and returns the close code the server sent back. */
  const closeCodeFor = async (path: string, ...frames: Buffer[]): Promise<number | null> => {
    const wire = await attacker(path);
    wire.write(...frames);
    const close = await wire.waitForCloseFrame();
    wire.destroy();
    return close?.code ?? null;
  };

  /**
   * The rest of the server keeps serving: the victim's peer still holds its text and its
   * socket, nothing of the attack reached the sync layer, and a stock client on another
   * document syncs and stores an edit.
   */
  const assertUnharmed = async (appendsBefore: number) => {
    assert.equal(victimAppends(), appendsBefore, 'nothing of the attack entered the sync layer');
    assert.equal(textOf([server.server.documents.getSession(server.key('victim'))!.encodeState()]), 'intact');
    assert.equal(peer.doc.getText('t').toString(), 'intact');
    assert.ok(peer.provider.wsconnected, "the victim's peer kept its socket");
    const name = `bystander-${++bystanders}`;
    const bystander = connectClient(server.url, name, { token: await server.token() });
    try {
      await waitForSync(bystander.provider);
      bystander.doc.getText('t').insert(0, 'still serving');
      await eventually(() => textOf([server.server.documents.getSession(server.key(name))?.encodeState() ?? new Uint8Array([0, 0])]) === 'still serving', 5000, `${name} stored`);
    } finally {
      destroyAll([bystander.provider]);
    }
  };

  /**
   * Node parses at most `maxRequestHeaders` headers of a request (the server sets
   * `maxHeadersCount` to that, Node's own default) and drops the rest unseen; whichever headers
   * came after the cut are lost, so an upgrade whose list reached the cap is refused whatever
   * the order.
   */
  const refusedForHeaders = async (options: UpgradeOptions) => {
    const hitsBefore = await server.server.metrics.hitsOf('too-many-headers');
    const wire = WireSocket.open(server.server.port, '/victim', { ...options, protocols: ['Bearer', await server.token()] });
    await wire.ended;
    assert.equal((await wire.head)?.status, 400, wire.responseText);
    assert.match(wire.responseText, /too many headers/);
    assert.equal(await server.server.metrics.hitsOf('too-many-headers'), hitsBefore + 1);
    await assertUnharmed(victimAppends());
  };
  const padding = (count: number) => Array.from({ length: count }, (_, index): [string, string] => [`x${index}`, '1']);

  it('LIM-20: an upgrade with 2,100 headers before the WebSocket ones is refused with HTTP 400 and the server keeps serving', async () => {
    // Here the Upgrade, key and version headers are the ones cut; ws < 8.17.1 crashed on exactly
    // that (CVE-2024-37890), 8.23 answers 400, but the gate answers first.
    await refusedForHeaders({ leadingHeaders: padding(2100) });
  });

  it('LIM-20: an upgrade with 2,000 headers after the WebSocket ones (and a valid Bearer token) is refused with HTTP 400 too', async () => {
    // Every header the upgrade needs comes before the cut: without the rule this is a 101.
    await refusedForHeaders({ trailingHeaders: Array.from({ length: 2000 }, (_, index): [string, string] => [`X-H${index}`, 'v']) });
  });

  it('LIM-20: an upgrade with exactly as many headers as the cap is refused (it may have been cut); one fewer is served', async () => {
    // Host, Upgrade, Connection, key, version and subprotocol: 6 headers besides the padding.
    await refusedForHeaders({ trailingHeaders: padding(maxRequestHeaders - 6) });
    const wire = WireSocket.open(server.server.port, '/victim', { trailingHeaders: padding(maxRequestHeaders - 7), protocols: ['Bearer', await server.token()] });
    await wire.upgrade();
    wire.destroy();
  });

  it('LIM-20: an upgrade whose headers pass the 16 KiB header limit is refused with HTTP 431', async () => {
    const leadingHeaders = Array.from({ length: 2100 }, (_, index): [string, string] => [`x-padding-${index}`, 'y'.repeat(8)]);
    const wire = WireSocket.open(server.server.port, '/victim', { leadingHeaders, protocols: ['Bearer', await server.token()] });
    await wire.ended;
    assert.equal((await wire.head)?.status, 431, wire.responseText);
    await assertUnharmed(victimAppends());
  });

  for (const [what, frame] of protocolErrors) {
    it(`LIM-21: ${what} on a document socket -> 1002; the victim and the server are unharmed`, async () => {
      const before = victimAppends();
      assert.equal(await closeCodeFor('/victim', frame), 1002);
      await assertUnharmed(before);
    });
  }

  it('LIM-21: every one of those frames on a board socket -> 1002 as well', async () => {
    for (const [what, frame] of protocolErrors) {
      const wire = await attacker('/v1/boards/victim-board');
      wire.write(clientFrame({ opcode: Opcode.text, payload: JSON.stringify({ type: 'join', displayName: 'attacker' }) }), frame);
      assert.equal((await wire.waitForCloseFrame())?.code, 1002, what);
      wire.destroy();
    }
    await assertUnharmed(victimAppends());
  });

  it('LIM-21: a bad frame written with the upgrade request, before the 101 (while auth runs), -> 1002', async () => {
    const before = victimAppends();
    const wire = WireSocket.open(server.server.port, '/victim', {
      protocols: ['Bearer', await server.token()],
      trailingBytes: clientFrame({ opcode: Opcode.binary, rsv2: true, payload: attackUpdate }),
    });
    await wire.upgrade();
    assert.equal((await wire.waitForCloseFrame())?.code, 1002);
    wire.destroy();
    await assertUnharmed(before);
  });

  const badUtf8: Array<[string, FrameSpec]> = [
    ['a close reason that is not UTF-8', { opcode: Opcode.close, payload: closePayload(1000, new Uint8Array([0x61, 0xff, 0xfe])) }],
    ['a text frame that is not UTF-8 (ws checks it before the server could answer 4400)', { opcode: Opcode.text, payload: new Uint8Array([0xc3, 0x28]) }],
    ['a text frame holding a lone surrogate encoded as UTF-8', { opcode: Opcode.text, payload: new Uint8Array([0xed, 0xa0, 0x80]) }],
  ];
  for (const [what, spec] of badUtf8) {
    it(`LIM-22: ${what} -> 1007`, async () => {
      const before = victimAppends();
      assert.equal(await closeCodeFor('/victim', clientFrame(spec)), 1007);
      await assertUnharmed(before);
    });
  }

  it('LIM-23: a frame header announcing 1 GiB -> 1009 at once, before any payload is sent', async () => {
    const before = victimAppends();
    const wire = await attacker();
    wire.write(clientFrame({ opcode: Opcode.binary, announcedLength: 1 << 30, headerOnly: true }));
    assert.equal((await wire.waitForCloseFrame(2000))?.code, 1009);
    wire.destroy();
    await assertUnharmed(before);
  });

  it('LIM-23: a 64-bit length beyond 2^53, and fragments whose sum passes the limit, -> 1009', async () => {
    const before = victimAppends();
    assert.equal(await closeCodeFor('/victim', clientFrame({ opcode: Opcode.binary, announcedLength: 2 ** 60, headerOnly: true })), 1009);
    // Each fragment is under the limit; the message is not.
    const fragment = new Uint8Array(maxMessageBytes / 2 + 1);
    assert.equal(await closeCodeFor('/victim', clientFrame({ opcode: Opcode.binary, fin: false, payload: fragment }), clientFrame({ opcode: Opcode.continuation, fin: false, payload: fragment })), 1009);
    await assertUnharmed(before);
  });

  it(`LIM-24: a message in ${wsMaxFragments} fragments is served; one more fragment -> 1008`, async () => {
    // The boundary: a real update cut into exactly the allowed number of fragments arrives whole.
    const update = Buffer.from(updateFrame(textUpdate('f'.repeat(wsMaxFragments + 100))));
    const step = Math.ceil(update.length / wsMaxFragments);
    const pieces: Buffer[] = [];
    for (let index = 0; index < wsMaxFragments; index++) {
      const piece = update.subarray(Math.min(index * step, update.length), Math.min((index + 1) * step, update.length));
      pieces.push(clientFrame({ opcode: index === 0 ? Opcode.binary : Opcode.continuation, fin: index === wsMaxFragments - 1, payload: piece }));
    }
    const whole = await attacker('/fragments');
    whole.write(...pieces);
    await eventually(() => textOf([server.server.documents.getSession(server.key('fragments'))!.encodeState()]).length === wsMaxFragments + 100, 5000, 'the fragmented update applied');
    assert.equal(whole.frames.some((frame) => frame.opcode === Opcode.close), false);
    whole.destroy();

    const before = victimAppends();
    assert.equal(await closeCodeFor('/victim', fragmentedMessage(Opcode.binary, wsMaxFragments + 1, new Uint8Array([0]), false)), 1008);
    await assertUnharmed(before);
  });
});
