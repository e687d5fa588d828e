import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ElementMutation } from '../../src/storage/boardElements.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

const upsert = (id: string, extra: Record<string, unknown> = {}): ElementMutation => ({ op: 'upsert', pageId: 'p1', element: { id, type: 'rect', ...extra } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('boards over the socket and HTTP', () => {
  let server: TestServer;
  const clients: RawBoardClient[] = [];
  before(async () => {
    server = await startTestServer({ config: { boardMaxParticipants: 3, boardMaxBatchesPerSecond: 20, handshakeTimeoutMs: 1_000 } });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  const join = async (boardId: string, options: { userId?: string; join?: Record<string, unknown>; access?: 'read-only' } = {}) => {
    const token = await server.token({ userId: options.userId ?? 'user-1', access: options.access });
    const joined = await RawBoardClient.join(server.url, boardId, token, options.join);
    clients.push(joined.client);
    return joined;
  };
  const getBoard = async (boardId: string, token?: string) => {
    const response = await fetch(`${server.url.replace(/^ws/, 'http')}/v1/boards/${encodeURIComponent(boardId)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('BOARD-26: join, mutate and ack; the others get the mutations with their sequence, the sender only its ack', async () => {
    const { client: ann, joined } = await join('socket-basics', { userId: 'ann', join: { displayName: 'Ann' } });
    assert.deepEqual([joined.syncType, joined.sequence, joined.you.userId], ['full', 0, 'ann']);
    assert.equal(joined.you.color, '#FF6B6B');
    const { client: bo } = await join('socket-basics', { userId: 'bo', join: { displayName: 'Bo' } });
    const arrived = await ann.next('participant-joined');
    assert.equal(arrived.participant.userId, 'bo');
    ann.send({ type: 'mutate', clientBatchId: 'b-1', mutations: [upsert('a'), upsert('b')] });
    assert.deepEqual(await ann.next('ack'), { type: 'ack', clientBatchId: 'b-1', sequence: 2, applied: 2 });
    assert.deepEqual(await bo.next('mutations'), { type: 'mutations', userId: 'ann', sequence: 2, mutations: [upsert('a'), upsert('b')] });
    await sleep(50);
    assert.equal(ann.of('mutations').length, 0, 'no echo to the sender');
    ann.send({ type: 'mutate', clientBatchId: 'b-1', mutations: [upsert('a'), upsert('b')], resend: true });
    assert.deepEqual(await ann.next('ack', (ack) => ack.duplicate === true), { type: 'ack', clientBatchId: 'b-1', sequence: 2, applied: 0, duplicate: true });
    bo.close();
    assert.equal((await ann.next('participant-left')).participant.userId, 'bo');
  });

  it('BOARD-26: a rejoin with lastSequence gets a delta; a conflict comes back as an error with the tombstone and the rest of the batch applies', async () => {
    const { client: writer } = await join('socket-delta', { userId: 'w' });
    writer.send({ type: 'mutate', clientBatchId: 'one', mutations: [upsert('x'), upsert('y')] });
    await writer.next('ack');
    writer.send({ type: 'mutate', clientBatchId: 'two', mutations: [{ op: 'delete', pageId: 'p1', elementId: 'x' }] });
    await writer.next('ack', (ack) => ack.clientBatchId === 'two');
    const { joined } = await join('socket-delta', { userId: 'r', join: { lastSequence: 1 } });
    assert.deepEqual([joined.syncType, joined.sequence, joined.missedMutations], ['delta', 3, [upsert('y'), { op: 'delete', pageId: 'p1', elementId: 'x' }]]);
    writer.send({ type: 'mutate', clientBatchId: 'three', mutations: [upsert('x'), upsert('z')] });
    const conflict = await writer.next('error', (error) => error.clientBatchId === 'three');
    assert.deepEqual(
      { code: conflict.code, index: conflict.index, reason: conflict.reason, tombstone: conflict.tombstone },
      { code: 'MUTATION_CONFLICT', index: 0, reason: 'ELEMENT_DELETED', tombstone: { pageId: 'p1', elementId: 'x', deletedSequence: 3 } },
    );
    assert.deepEqual(await writer.next('ack', (ack) => ack.clientBatchId === 'three'), { type: 'ack', clientBatchId: 'three', sequence: 4, applied: 1 });
  });

  it('BOARD-29: GET /v1/boards/<boardId> answers the full state with Bearer auth; GET /v1/stats the tenant\'s sessions', async () => {
    const { client } = await join('socket-http', { userId: 'h' });
    client.send({ type: 'mutate', clientBatchId: 'h1', mutations: [upsert('a', { x: 1 }), { op: 'upsert', pageId: 'p2', element: { id: 'b', type: 'text' } }] });
    await client.next('ack');
    const token = await server.token();
    const board = await getBoard('socket-http', token);
    assert.equal(board.status, 200);
    assert.deepEqual(board.body, { boardId: 'socket-http', sequence: 2, pages: { p1: [{ id: 'a', type: 'rect', x: 1 }], p2: [{ id: 'b', type: 'text' }] } });
    assert.deepEqual((await getBoard('never-written', token)).body, { boardId: 'never-written', sequence: 0, pages: {} });
    assert.equal((await getBoard('socket-http')).status, 401);
    assert.equal((await getBoard('socket-http', await server.token({ docs: ['other-*'] }))).status, 403);
    const other = await server.addApp('globex', 'whiteboard');
    assert.deepEqual((await getBoard('socket-http', await server.token({ app: other }))).body, { boardId: 'socket-http', sequence: 0, pages: {} }, 'another tenant, another board');
    const stats = await fetch(`${server.url.replace(/^ws/, 'http')}/v1/stats`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await stats.json()) as { tenantId: string; boards: { activeSessions: number; totalParticipants: number } };
    assert.equal(body.tenantId, 'acme');
    assert.ok(body.boards.activeSessions >= 1 && body.boards.totalParticipants >= 1, JSON.stringify(body));
  });

  it('BOARD-18: presence reaches the others, never the sender, at most 20 a second with the newest kept; it is never logged', async () => {
    const { client: mover } = await join('socket-presence', { userId: 'mover' });
    const { client: watcher } = await join('socket-presence', { userId: 'watcher' });
    for (let index = 0; index < 40; index++) mover.send({ type: 'presence', data: { cursor: index } });
    await watcher.next('presence', (message) => (message.data as { cursor: number }).cursor === 39, 3000);
    const seen = watcher.of('presence');
    assert.ok(seen.length >= 2 && seen.length <= 4, `${seen.length} relayed of 40 sent at once`);
    assert.deepEqual(seen[0], { type: 'presence', userId: 'mover', data: { cursor: 0 } });
    assert.equal(mover.of('presence').length, 0);
    assert.equal((await server.boardStorage.loadBoard(server.key('socket-presence'))).sequence, 0, 'nothing logged');
    mover.send({ type: 'presence', data: { blob: 'x'.repeat(10_000) } });
    assert.equal((await mover.next('error')).code, 'PRESENCE_TOO_LARGE');
  });

  it('BOARD-16: invalid JSON, an unknown type, a binary frame or a mutate before join closes with 4400; others are unaffected', async () => {
    const token = await server.token();
    const { client: bystander } = await join('socket-bad', { userId: 'bystander' });
    for (const frame of ['{not json', JSON.stringify({ type: 'hello' }), Buffer.from([1, 2, 3]), JSON.stringify({ type: 'mutate', clientBatchId: 'x', mutations: [] })]) {
      const bad = RawBoardClient.connect(server.url, 'socket-bad', token);
      clients.push(bad);
      await bad.opened;
      if (typeof frame === 'string' && frame.includes('mutate')) bad.send(frame);
      else {
        bad.send({ type: 'join', displayName: 'bad' });
        await bad.next('joined');
        bad.send(frame);
      }
      assert.equal((await bad.waitForClose()).code, 4400, String(frame));
    }
    bystander.send({ type: 'mutate', clientBatchId: 'still', mutations: [upsert('ok')] });
    assert.equal((await bystander.next('ack')).sequence, 1);
  });

  it('BOARD-16: a batch failing the schema, an element over 256 KiB or a batch over 1,000 mutations gets an error frame; nothing is applied', async () => {
    const { client } = await join('socket-limits', { userId: 'limits' });
    const attempts: Array<[string, unknown]> = [
      ['MUTATION_INVALID', [{ op: 'upsert', pageId: 'p1', element: { id: 'no-type' } }]],
      ['MUTATION_INVALID', 'not an array'],
      ['ELEMENT_TOO_LARGE', [upsert('big', { blob: 'x'.repeat(256 * 1024 + 1) })]],
      ['BATCH_TOO_LARGE', Array.from({ length: 1001 }, (_, index) => upsert(`e${index}`))],
      ['MUTATION_INVALID', [{ op: 'upsert', pageId: 'p1', element: { id: 'ok', type: 't', __proto__: 1 } }, { op: 'delete', pageId: 'p1' }]],
    ];
    for (const [index, [code, mutations]] of attempts.entries()) {
      client.send({ type: 'mutate', clientBatchId: `bad-${index}`, mutations });
      assert.equal((await client.next('error', (error) => error.clientBatchId === `bad-${index}`)).code, code);
    }
    assert.equal(client.of('ack').length, 0);
    assert.equal((await server.boardStorage.loadBoard(server.key('socket-limits'))).sequence, 0);
  });

  it('BOARD-16: batches beyond the rate limit (here 20 a second) get RATE_LIMITED and are not applied; the board goes on', async () => {
    const { client: flooder } = await join('socket-rate', { userId: 'flooder' });
    const { client: other } = await join('socket-rate', { userId: 'other' });
    const started = Date.now();
    for (let index = 0; index < 30; index++) flooder.send({ type: 'mutate', clientBatchId: `f${index}`, mutations: [upsert(`f${index}`)] });
    await eventually(() => flooder.of('ack').length + flooder.of('error').length === 30, 5000, 'an answer to every batch');
    // The bucket holds 20 and refills at 20 a second while the server works through the 30: a
    // slow machine may earn a batch or two more, never the whole flood.
    const refilled = Math.floor(((Date.now() - started) / 1000) * 20);
    const acknowledged = flooder.of('ack').length;
    const limited = flooder.of('error').filter((error) => error.code === 'RATE_LIMITED');
    assert.ok(acknowledged >= 20 && acknowledged <= 20 + refilled, `${acknowledged} acknowledged (20 + up to ${refilled} refilled)`);
    assert.equal(limited.length, 30 - acknowledged);
    assert.ok(limited.length > 0, 'the flood was limited');
    other.send({ type: 'mutate', clientBatchId: 'o1', mutations: [upsert('o1')] });
    assert.equal((await other.next('ack')).sequence, acknowledged + 1, 'only the acknowledged batches were logged');
  });

  it('BOARD-19: a read-only token joins and hears, but its mutations are refused', async () => {
    const { client: writer } = await join('socket-readonly', { userId: 'writer' });
    const { client: reader } = await join('socket-readonly', { userId: 'reader', access: 'read-only' });
    reader.send({ type: 'mutate', clientBatchId: 'r1', mutations: [upsert('r')] });
    assert.equal((await reader.next('error')).code, 'READ_ONLY');
    writer.send({ type: 'mutate', clientBatchId: 'w1', mutations: [upsert('w')] });
    assert.equal((await reader.next('mutations')).sequence, 1);
  });

  it('BOARD-17/BOARD-27: a join beyond the participant limit closes with 1013, as does a socket that sends no join in time', async () => {
    for (const userId of ['p1', 'p2', 'p3']) await join('socket-full', { userId });
    const token = await server.token({ userId: 'p4' });
    const fourth = RawBoardClient.connect(server.url, 'socket-full', token);
    clients.push(fourth);
    await fourth.opened;
    fourth.send({ type: 'join', displayName: 'late' });
    assert.equal((await fourth.waitForClose()).code, 1013);
    assert.equal((await fourth.next('error')).code, 'BOARD_FULL');
    const silent = RawBoardClient.connect(server.url, 'socket-silent', token);
    clients.push(silent);
    await silent.opened;
    const started = Date.now();
    assert.equal((await silent.waitForClose(5000)).code, 1013);
    assert.ok(Date.now() - started >= 900, 'after the handshake deadline (1 s here)');
  });

  it('BOARD-28: no token closes with 4401; a token whose docs exclude the board with 4403', async () => {
    const anonymous = RawBoardClient.connect(server.url, 'socket-auth', null);
    clients.push(anonymous);
    assert.equal((await anonymous.waitForClose()).code, 4401);
    const outsider = RawBoardClient.connect(server.url, 'socket-auth', await server.token({ docs: ['other'] }));
    clients.push(outsider);
    assert.equal((await outsider.waitForClose()).code, 4403);
    assert.equal((await outsider.next('error')).code, 'BOARD_FORBIDDEN');
  });
});
