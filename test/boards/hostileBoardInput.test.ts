import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { clientFrame, Opcode, WireSocket } from '../helpers/wireFrames.js';

/** The keys an attacker hopes a merge or an assignment will turn into a prototype. */
const pollutingElement = '{"id":"a","type":"rect","__proto__":{"polluted":"element"},"constructor":{"prototype":{"polluted":"element-ctor"}}}';

/** Nothing anywhere in the process gained a `polluted` property through a prototype. */
function assertNotPolluted(): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
}

/** A parsed JSON object keeps `__proto__` as its own data, with the ordinary prototype. */
function assertPlainData(value: unknown, protoValue: unknown): void {
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(value, '__proto__'), 'the __proto__ key is kept as data');
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, protoValue);
  assert.equal((value as Record<string, unknown>).polluted, undefined, 'and is not read through');
}

describe('boards: hostile JSON on the board socket', () => {
  let server: TestServer;
  const clients: RawBoardClient[] = [];
  before(async () => {
    server = await startTestServer({ config: { maxMessageBytes: 1024 * 1024 } });
  });
  afterEach(() => assertNotPolluted());
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  const join = async (boardId: string, userId: string, extra: Record<string, unknown> = {}) => {
    const joined = await RawBoardClient.join(server.url, boardId, await server.token({ userId }), extra);
    clients.push(joined.client);
    return joined.client;
  };
  /** GET /v1/boards/<boardId>, parsed from the response text as any client would. */
  const getBoard = async (boardId: string) => {
    const response = await fetch(`${server.url.replace(/^ws/, 'http')}/v1/boards/${encodeURIComponent(boardId)}`, { headers: { authorization: `Bearer ${await server.token()}` } });
    assert.equal(response.status, 200);
    return JSON.parse(await response.text()) as { boardId: string; sequence: number; pages: Record<string, Array<Record<string, unknown>>> };
  };
  /** A raw socket that joined, for frames RawBoardClient cannot send (it always sends valid UTF-8). */
  const wireJoined = async (boardId: string) => {
    const wire = WireSocket.open(server.server.port, `/v1/boards/${boardId}`, { protocols: ['Bearer', await server.token({ userId: 'wire' })] });
    await wire.upgrade();
    wire.write(clientFrame({ opcode: Opcode.text, payload: JSON.stringify({ type: 'join', displayName: 'wire' }) }));
    return wire;
  };

  it('LIM-26: __proto__ and constructor.prototype at the top level are ignored: the join is a join, a prototype is never read as the message', async () => {
    const token = await server.token({ userId: 'top' });
    const joiner = RawBoardClient.connect(server.url, 'proto-top', token);
    clients.push(joiner);
    await joiner.opened;
    joiner.send('{"type":"join","displayName":"top","__proto__":{"polluted":"top","type":"mutate"},"constructor":{"prototype":{"polluted":"ctor"}}}');
    assert.equal((await joiner.next('joined')).you.userId, 'top');
    // A message whose fields only a polluted prototype would supply is no message.
    const smuggler = RawBoardClient.connect(server.url, 'proto-top', token);
    clients.push(smuggler);
    await smuggler.opened;
    smuggler.send('{"__proto__":{"type":"join","displayName":"smuggled"}}');
    assert.equal((await smuggler.waitForClose()).code, 4400);
    assert.equal((await smuggler.next('error')).code, 'BOARD_MESSAGE_INVALID');
  });

  it('LIM-26: __proto__ and constructor.prototype inside an element stay plain data: relayed, held and served by GET as data, never as a prototype', async () => {
    const writer = await join('proto-element', 'writer');
    const reader = await join('proto-element', 'reader');
    writer.send(`{"type":"mutate","clientBatchId":"p1","mutations":[{"op":"upsert","pageId":"p1","element":${pollutingElement}}]}`);
    assert.equal((await writer.next('ack')).sequence, 1);
    const relayed = (await reader.next('mutations')).mutations[0];
    assert.ok(relayed.op === 'upsert');
    assertPlainData(relayed.element, { polluted: 'element' });
    const held = (await server.server.boards.getBoardState(server.key('proto-element'))).pages.p1[0];
    assertPlainData(held, { polluted: 'element' });
    const served = (await getBoard('proto-element')).pages.p1[0];
    assertPlainData(served, { polluted: 'element' });
    assert.deepEqual(served.constructor, { prototype: { polluted: 'element-ctor' } });
  });

  it('LIM-26: pages named __proto__, constructor and hasOwnProperty are pages: GET serves each of them', async () => {
    const writer = await join('proto-pages', 'writer');
    const pages = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
    writer.send({ type: 'mutate', clientBatchId: 'pages', mutations: pages.map((pageId) => ({ op: 'upsert', pageId, element: { id: `in-${pageId}`, type: 'rect' } })) });
    assert.equal((await writer.next('ack')).sequence, pages.length);
    const board = await getBoard('proto-pages');
    assert.equal(Object.getPrototypeOf(board.pages), Object.prototype);
    assert.deepEqual(Object.keys(board.pages).sort(), [...pages].sort());
    for (const pageId of pages) assert.deepEqual(Object.getOwnPropertyDescriptor(board.pages, pageId)?.value, [{ id: `in-${pageId}`, type: 'rect' }], pageId);
    const live = (await server.server.boards.getBoardState(server.key('proto-pages'))).pages;
    assert.equal(Object.getPrototypeOf(live), Object.prototype, 'the server-side view keeps its prototype');
    assert.deepEqual(Object.keys(live).sort(), [...pages].sort());
  });

  it('LIM-26: a board named __proto__ is its own board', async () => {
    const writer = await join('__proto__', 'writer');
    writer.send({ type: 'mutate', clientBatchId: 'b', mutations: [{ op: 'upsert', pageId: 'p', element: { id: 'x', type: 'rect' } }] });
    await writer.next('ack');
    assert.deepEqual(await getBoard('__proto__'), { boardId: '__proto__', sequence: 1, pages: { p: [{ id: 'x', type: 'rect' }] } });
    assert.equal((await getBoard('constructor')).sequence, 0);
  });

  it('LIM-26: __proto__ inside presence data is relayed as data', async () => {
    const mover = await join('proto-presence', 'mover');
    const watcher = await join('proto-presence', 'watcher');
    mover.send('{"type":"presence","data":{"cursor":1,"__proto__":{"polluted":"presence"}}}');
    const seen = await watcher.next('presence');
    assertPlainData(seen.data, { polluted: 'presence' });
  });

  it('LIM-22: invalid UTF-8 in a board text frame -> 1007; the board goes on', async () => {
    const bystander = await join('bad-utf8', 'bystander');
    for (const bytes of [[0x7b, 0xff, 0x7d], [0xed, 0xa0, 0x80], [0xc3]]) {
      const wire = await wireJoined('bad-utf8');
      wire.write(clientFrame({ opcode: Opcode.text, payload: new Uint8Array(bytes) }));
      assert.equal((await wire.waitForCloseFrame())?.code, 1007, Buffer.from(bytes).toString('hex'));
      wire.destroy();
    }
    bystander.send({ type: 'mutate', clientBatchId: 'after', mutations: [{ op: 'upsert', pageId: 'p', element: { id: 'ok', type: 'rect' } }] });
    assert.equal((await bystander.next('ack')).sequence, 1);
  });

  /** A mutate whose element holds a value of `levels` nested arrays. */
  const deepElement = (clientBatchId: string, levels: number) =>
    `{"type":"mutate","clientBatchId":"${clientBatchId}","mutations":[{"op":"upsert","pageId":"p","element":{"id":"${clientBatchId}","type":"rect","v":${'['.repeat(levels)}${']'.repeat(levels)}}}]}`;
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const deepMessages: Array<[string, string]> = [
    ['100,000 levels of [ as the whole message', nested(100_000)],
    ['100,000 levels of [ as presence data', `{"type":"presence","data":${nested(100_000)}}`],
    ['100,000 levels of [ inside an element', deepElement('deep', 100_000)],
    // Under the 8 KiB presence limit, yet deeper than structuredClone manages on Node 20's
    // default stack (about 3,300 levels): relaying it through the memory bus would throw.
    ['3,500 levels of [ as presence data (under 8 KiB)', `{"type":"presence","data":${nested(3500)}}`],
  ];
  for (const [what, text] of deepMessages) {
    it(`LIM-27: ${what} -> 4400, no stack overflow; the board goes on`, async () => {
      const boardId = `deep-${what.replace(/\W+/g, '-')}`;
      const bystander = await join(boardId, 'bystander');
      const attacker = await join(boardId, 'attacker');
      attacker.send(text);
      assert.equal((await attacker.waitForClose()).code, 4400);
      const error = await attacker.next('error');
      assert.deepEqual([error.code, error.message.includes('nested deeper than 128 levels')], ['BOARD_MESSAGE_INVALID', true], error.message);
      bystander.send({ type: 'mutate', clientBatchId: 'after', mutations: [{ op: 'upsert', pageId: 'p', element: { id: 'ok', type: 'rect' } }] });
      assert.equal((await bystander.next('ack')).sequence, 1, 'nothing of the attack was logged');
      assert.equal(bystander.of('presence').length, 0);
      assert.deepEqual((await getBoard(boardId)).pages, { p: [{ id: 'ok', type: 'rect' }] });
    });
  }

  it('LIM-27: an element nested 128 levels deep (the limit, envelope included) is accepted; one level more -> 4400', async () => {
    const writer = await join('deep-limit', 'writer');
    const reader = await join('deep-limit', 'reader');
    // The envelope takes 4 levels (message, mutations, mutation, element); the value the rest.
    writer.send(deepElement('fits', 128 - 4));
    assert.equal((await writer.next('ack')).sequence, 1);
    assert.equal((await reader.next('mutations')).mutations.length, 1);
    writer.send(deepElement('too-deep', 128 - 4 + 1));
    assert.equal((await writer.waitForClose()).code, 4400);
    assert.match((await writer.next('error')).message, /nested deeper than 128 levels/);
  });
});
