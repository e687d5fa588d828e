import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { BoardClient, BoardClientStoppedError, type BoardClientError, type BoardClientOptions, type BoardPages, type BoardSnapshot, type ElementMutation } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { RecordingWebSockets } from './recordingWebSockets.js';
import { startRestartableServer } from './restartableServer.js';

const upsert = (id: string, extra: Record<string, unknown> = {}, pageId = 'p1'): ElementMutation => ({ op: 'upsert', pageId, element: { id, type: 'rect', ...extra } });
const remove = (elementId: string, pageId = 'p1'): ElementMutation => ({ op: 'delete', pageId, elementId });

let boardCount = 0;
const newBoardId = (): string => `client-board-${++boardCount}-${Math.random().toString(36).slice(2, 8)}`;

/** Polls until `check` stops throwing; fails with its last error after `timeoutMs`. */
async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Element order within a page does not matter: sorted by id for comparison. */
function normalized(snapshot: { sequence: number; pages: BoardPages }): { sequence: number; pages: BoardPages } {
  const pages: BoardPages = {};
  for (const pageId of Object.keys(snapshot.pages).sort()) pages[pageId] = [...snapshot.pages[pageId]].sort((a, b) => a.id.localeCompare(b.id));
  return { sequence: snapshot.sequence, pages };
}

async function serverState(server: { url: string }, boardId: string, token: string): Promise<BoardSnapshot> {
  const response = await fetch(`${server.url.replace('ws://', 'http://')}/v1/boards/${encodeURIComponent(boardId)}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  const body = (await response.json()) as BoardSnapshot & { boardId: string };
  return { sequence: body.sequence, pages: body.pages };
}

async function assertMatchesServer(client: BoardClient, server: { url: string }, boardId: string, token: string): Promise<void> {
  assert.deepEqual(normalized(client.confirmedState()), normalized(await serverState(server, boardId, token)));
}

/** A client with Node's WebSocket and fetch, closed when the test ends. */
function clientFor(t: TestContext, options: Omit<BoardClientOptions, 'WebSocket' | 'fetch'> & Partial<BoardClientOptions>): BoardClient {
  const client = new BoardClient({ WebSocket, fetch, reconnect: { minDelayMs: 20, maxDelayMs: 200 }, ...options });
  t.after(() => client.close());
  return client;
}

function errorsOf(client: BoardClient): BoardClientError[] {
  const errors: BoardClientError[] = [];
  client.on('error', (error) => errors.push(error));
  return errors;
}

describe('board client against a real server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('BOARD-30: joins, mutates and gets the ack; the confirmed state equals the server GET', async (t) => {
    const boardId = newBoardId();
    const token = await server.token({ userId: 'alice' });
    const sockets = new RecordingWebSockets();
    const client = clientFor(t, { url: server.url, boardId, token, displayName: 'Alice', WebSocket: sockets.WebSocket });
    const statuses: string[] = [];
    client.on('status', (status) => statuses.push(status));
    const synced: string[] = [];
    client.on('synced', ({ syncType }) => synced.push(syncType));

    await client.connect();
    assert.deepEqual(statuses, ['connecting', 'connected']);
    assert.deepEqual(synced, ['full'], 'a first join has no sequence: full state');
    assert.deepEqual(sockets.last.sent[0], { type: 'join', displayName: 'Alice' });
    assert.equal(client.sequence, 0);
    assert.equal(client.you?.userId, 'alice');
    assert.match(client.you?.color ?? '', /^#[0-9A-F]{6}$/);

    const clientBatchId = client.mutate([upsert('a', { x: 1 }), upsert('b')]);
    assert.equal(client.pendingBatches, 1);
    await client.whenSettled();
    const ack = sockets.last.received.find((message) => message.type === 'ack');
    assert.deepEqual(ack, { type: 'ack', clientBatchId, sequence: 2, applied: 2 });
    assert.equal(client.sequence, 2);
    assert.deepEqual(normalized(client.state()), normalized(client.confirmedState()));
    await assertMatchesServer(client, server, boardId, token);
  });

  it('BOARD-30: two clients see each other mutations and end with equal confirmed states equal to the server GET', async (t) => {
    const boardId = newBoardId();
    const [aliceToken, bobToken] = await Promise.all([server.token({ userId: 'alice' }), server.token({ userId: 'bob' })]);
    const alice = clientFor(t, { url: server.url, boardId, token: aliceToken, displayName: 'Alice' });
    const bob = clientFor(t, { url: server.url, boardId, token: bobToken, displayName: 'Bob' });
    await Promise.all([alice.connect(), bob.connect()]);

    for (let round = 0; round < 5; round++) {
      alice.mutate([upsert(`a${round}`, { round }), upsert('shared', { by: 'alice', round })]);
      bob.mutate([upsert(`b${round}`, { round }, 'p2'), upsert('shared', { by: 'bob', round })]);
    }
    // Deleting bob's element once alice has it: a delete needs a live element in server order.
    await eventually(() => assert.ok(alice.confirmedState().pages.p2?.some((element) => element.id === 'b0')));
    alice.mutate([remove('a1'), remove('b0', 'p2')]);
    await Promise.all([alice.whenSettled(), bob.whenSettled()]);
    const head = await serverState(server, boardId, aliceToken);
    assert.equal(head.sequence, 22);
    await eventually(() => assert.equal(alice.sequence, 22));
    await eventually(() => assert.equal(bob.sequence, 22));
    assert.deepEqual(normalized(alice.confirmedState()), normalized(head));
    assert.deepEqual(normalized(bob.confirmedState()), normalized(head));
    assert.deepEqual(normalized(alice.state()), normalized(head), 'nothing pending: what is shown is confirmed');
    assert.ok(bob.state().pages.p1.some((element) => element.id === 'a4'), "bob sees alice's elements");
    assert.ok(!bob.state().pages.p1.some((element) => element.id === 'a1'), "and alice's deletes");
  });

  it('BOARD-30: local state is visible before the ack and then replaced by server order (concurrent upserts converge)', async (t) => {
    const boardId = newBoardId();
    const [aliceToken, bobToken] = await Promise.all([server.token({ userId: 'alice' }), server.token({ userId: 'bob' })]);
    const alice = clientFor(t, { url: server.url, boardId, token: aliceToken, displayName: 'Alice' });
    const bob = clientFor(t, { url: server.url, boardId, token: bobToken, displayName: 'Bob' });
    await Promise.all([alice.connect(), bob.connect()]);
    const origins: string[] = [];
    alice.on('change', ({ origin }) => origins.push(origin));

    alice.mutate([upsert('x', { color: 'red' })]);
    bob.mutate([upsert('x', { color: 'blue' })]);
    assert.deepEqual(alice.state().pages, { p1: [{ id: 'x', type: 'rect', color: 'red' }] }, 'optimistic: shown at once');
    assert.deepEqual(bob.state().pages, { p1: [{ id: 'x', type: 'rect', color: 'blue' }] });
    assert.deepEqual(alice.confirmedState().pages, {}, 'not confirmed before the ack');
    assert.equal(origins[0], 'local');

    await Promise.all([alice.whenSettled(), bob.whenSettled()]);
    await eventually(() => assert.equal(alice.sequence, 2));
    await eventually(() => assert.equal(bob.sequence, 2));
    const head = await serverState(server, boardId, aliceToken);
    assert.deepEqual(normalized(alice.state()), normalized(head));
    assert.deepEqual(normalized(bob.state()), normalized(head));
    assert.ok(origins.includes('server'));
  });

  it('BOARD-30: an upsert of an element another client deleted is refused and the element repaired from the error', async (t) => {
    const boardId = newBoardId();
    const [aliceToken, bobToken] = await Promise.all([server.token({ userId: 'alice' }), server.token({ userId: 'bob' })]);
    const alice = clientFor(t, { url: server.url, boardId, token: aliceToken, displayName: 'Alice' });
    const bob = clientFor(t, { url: server.url, boardId, token: bobToken, displayName: 'Bob' });
    await Promise.all([alice.connect(), bob.connect()]);
    alice.mutate([upsert('x', { v: 1 }), upsert('keep')]);
    await eventually(() => assert.equal(bob.sequence, 2));

    bob.close();
    alice.mutate([remove('x')]);
    await alice.whenSettled();
    // Offline, bob edits the element alice deleted meanwhile.
    bob.mutate([upsert('x', { v: 2 }), upsert('y')]);
    assert.ok(bob.state().pages.p1.some((element) => element.id === 'x'));
    const errors = errorsOf(bob);
    await bob.connect();
    await bob.whenSettled();

    const conflict = errors.find((error) => error.code === 'MUTATION_CONFLICT');
    assert.ok(conflict, 'the refusal is told to the app');
    assert.equal(conflict.serverError?.index, 0);
    assert.equal(conflict.serverError?.reason, 'ELEMENT_DELETED');
    assert.deepEqual(conflict.serverError?.tombstone, { pageId: 'p1', elementId: 'x', deletedSequence: 3 });
    assert.deepEqual(
      bob.state().pages.p1.map((element) => element.id).sort(),
      ['keep', 'y'],
      'the refused upsert is gone, the accepted one of the same batch stays',
    );
    await assertMatchesServer(bob, server, boardId, bobToken);
    await eventually(() => assertMatchesServer(alice, server, boardId, aliceToken));
  });

  it('BOARD-30: after the socket drops it rejoins with its lastSequence and catches up by delta', async (t) => {
    const boardId = newBoardId();
    const [aliceToken, bobToken] = await Promise.all([server.token({ userId: 'alice' }), server.token({ userId: 'bob' })]);
    const sockets = new RecordingWebSockets();
    const alice = clientFor(t, { url: server.url, boardId, token: aliceToken, displayName: 'Alice', WebSocket: sockets.WebSocket, reconnect: { minDelayMs: 300, maxDelayMs: 600 } });
    const bob = clientFor(t, { url: server.url, boardId, token: bobToken, displayName: 'Bob' });
    await Promise.all([alice.connect(), bob.connect()]);
    alice.mutate([upsert('a'), upsert('b')]);
    await alice.whenSettled();
    const synced: Array<{ syncType: string; sequence: number }> = [];
    alice.on('synced', (event) => synced.push(event));

    sockets.last.terminate();
    await eventually(() => assert.equal(alice.status, 'disconnected'));
    bob.mutate([upsert('c'), remove('a'), upsert('d', {}, 'p2')]);
    await bob.whenSettled();

    await eventually(() => assert.equal(synced.length, 1));
    assert.deepEqual(synced[0], { syncType: 'delta', sequence: 5 });
    assert.equal(sockets.sockets.length, 2);
    assert.deepEqual(sockets.last.sent[0], { type: 'join', displayName: 'Alice', lastSequence: 2 });
    const joined = sockets.last.received.find((message) => message.type === 'joined');
    assert.equal(joined?.type === 'joined' && joined.missedMutations?.length, 3);
    await assertMatchesServer(alice, server, boardId, aliceToken);
  });

  it('BOARD-30: a lost mutations message shows as a gap at the next one; the client rejoins and catches up by delta', async (t) => {
    const boardId = newBoardId();
    const [aliceToken, bobToken] = await Promise.all([server.token({ userId: 'alice' }), server.token({ userId: 'bob' })]);
    const sockets = new RecordingWebSockets();
    let dropped = 0;
    // The first socket loses bob's first batch.
    sockets.dropIncoming = (message, socket) => socket === 0 && message.type === 'mutations' && dropped++ === 0;
    const alice = clientFor(t, { url: server.url, boardId, token: aliceToken, displayName: 'Alice', WebSocket: sockets.WebSocket });
    const bob = clientFor(t, { url: server.url, boardId, token: bobToken, displayName: 'Bob' });
    await Promise.all([alice.connect(), bob.connect()]);
    const synced: Array<{ syncType: string; sequence: number }> = [];
    alice.on('synced', (event) => synced.push(event));

    bob.mutate([upsert('lost-1'), upsert('lost-2')]);
    await bob.whenSettled();
    bob.mutate([upsert('after')]);
    await bob.whenSettled();

    await eventually(() => assert.equal(alice.sequence, 3));
    assert.equal(sockets.sockets.length, 2, 'rejoined on a new socket');
    assert.deepEqual(sockets.last.sent[0], { type: 'join', displayName: 'Alice', lastSequence: 0 });
    assert.deepEqual(synced, [{ syncType: 'delta', sequence: 3 }]);
    await assertMatchesServer(alice, server, boardId, aliceToken);
  });

  it('BOARD-30: a client more than 1000 events behind joins full and refetches the state', async (t) => {
    const boardId = newBoardId();
    const [aliceToken, bobToken] = await Promise.all([server.token({ userId: 'alice' }), server.token({ userId: 'bob' })]);
    const fetched: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    };
    const sockets = new RecordingWebSockets();
    const alice = clientFor(t, { url: server.url, boardId, token: aliceToken, displayName: 'Alice', WebSocket: sockets.WebSocket, fetch: countingFetch });
    const bob = clientFor(t, { url: server.url, boardId, token: bobToken, displayName: 'Bob' });
    await Promise.all([alice.connect(), bob.connect()]);
    alice.mutate([upsert('first')]);
    await alice.whenSettled();
    alice.close();

    for (let batch = 0; batch < 3; batch++) bob.mutate(Array.from({ length: 400 }, (_, index) => upsert(`e${batch}-${index}`, { batch })));
    await bob.whenSettled();
    const synced: string[] = [];
    alice.on('synced', ({ syncType }) => synced.push(syncType));
    await alice.connect();

    assert.deepEqual(sockets.last.sent[0], { type: 'join', displayName: 'Alice', lastSequence: 1 });
    assert.deepEqual(synced, ['full'], '1200 events behind: more than the delta window');
    assert.equal(fetched.length, 2, 'the first join and this one fetched the state');
    assert.equal(fetched[1], `${server.url.replace('ws://', 'http://')}/v1/boards/${boardId}`);
    assert.equal(alice.sequence, 1201);
    await assertMatchesServer(alice, server, boardId, aliceToken);
  });

  it('BOARD-30: a read-only token gets READ_ONLY; the batch is dropped and the error emitted', async (t) => {
    const boardId = newBoardId();
    const token = await server.token({ userId: 'reader', access: 'read-only' });
    const client = clientFor(t, { url: server.url, boardId, token, displayName: 'Reader' });
    const errors = errorsOf(client);
    await client.connect();
    const clientBatchId = client.mutate([upsert('nope')]);
    assert.equal(client.state().pages.p1.length, 1);
    await client.whenSettled();
    assert.equal(client.pendingBatches, 0);
    assert.deepEqual(client.state().pages, {}, 'the dropped batch is no longer shown');
    assert.deepEqual(
      errors.map(({ code, clientBatchId: id }) => ({ code, clientBatchId: id })),
      [{ code: 'READ_ONLY', clientBatchId }],
    );
    assert.equal(client.status, 'connected', 'the socket stays open');
  });

  it('BOARD-30: a token whose docs exclude the board stops the client with 4403', async (t) => {
    const token = await server.token({ userId: 'alice', docs: ['other-*'] });
    const sockets = new RecordingWebSockets();
    const client = clientFor(t, { url: server.url, boardId: newBoardId(), token, displayName: 'Alice', WebSocket: sockets.WebSocket });
    const statuses: string[] = [];
    client.on('status', (status) => statuses.push(status));
    const failure = await client.connect().then(
      () => assert.fail('connect should fail'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof BoardClientStoppedError);
    assert.equal(failure.reason.closeCode, 4403);
    assert.equal(failure.reason.code, 'BOARD_FORBIDDEN');
    assert.equal(client.stopReason?.closeCode, 4403);
    assert.equal(statuses.at(-1), 'stopped');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(sockets.sockets.length, 1, 'no retry');
  });

  it('BOARD-30: after a 4401 the token function is asked again; a fixed bad token stops', async (t) => {
    const boardId = newBoardId();
    const good = await server.token({ userId: 'alice' });
    const issued: string[] = [];
    const tokens = ['not-a-token', good];
    const client = clientFor(t, {
      url: server.url,
      boardId,
      displayName: 'Alice',
      token: async () => {
        const token = tokens.shift() ?? good;
        issued.push(token);
        return token;
      },
    });
    await client.connect();
    assert.deepEqual(issued, ['not-a-token', good]);

    const fixed = clientFor(t, { url: server.url, boardId, displayName: 'Alice', token: 'not-a-token' });
    await assert.rejects(fixed.connect(), (error: unknown) => error instanceof BoardClientStoppedError && error.reason.closeCode === 4401);
  });

  it('BOARD-30: presence and participants are relayed; each participant has its color', async (t) => {
    const boardId = newBoardId();
    const [aliceToken, bobToken] = await Promise.all([server.token({ userId: 'alice' }), server.token({ userId: 'bob' })]);
    const alice = clientFor(t, { url: server.url, boardId, token: aliceToken, displayName: 'Alice' });
    const bob = clientFor(t, { url: server.url, boardId, token: bobToken, displayName: 'Bob' });
    await alice.connect();
    await bob.connect();
    await eventually(() => assert.deepEqual(alice.participants.map((participant) => participant.userId).sort(), ['alice', 'bob']));
    assert.deepEqual(bob.participants.map((participant) => participant.userId).sort(), ['alice', 'bob']);
    assert.notEqual(alice.you?.color, bob.you?.color);
    assert.equal(bob.participants.find((participant) => participant.userId === 'alice')?.color, alice.you?.color);

    const seen: Array<{ userId: string; data: unknown }> = [];
    bob.on('presence', (presence) => seen.push(presence));
    alice.presence({ cursor: { x: 1, y: 2 } });
    await eventually(() => assert.deepEqual(seen, [{ userId: 'alice', data: { cursor: { x: 1, y: 2 } } }]));
    assert.deepEqual(bob.presences.get('alice'), { cursor: { x: 1, y: 2 } });

    bob.close();
    await eventually(() => assert.deepEqual(alice.participants.map((participant) => participant.userId), ['alice']));
  });
});

describe('board client across server restarts and limits', () => {
  it('BOARD-30: an unacknowledged batch is resent after a server restart and applied once', async (t) => {
    const server = await startRestartableServer();
    t.after(() => server.close());
    const boardId = newBoardId();
    const token = await server.current.token({ userId: 'alice' });
    const sockets = new RecordingWebSockets();
    // The first connection loses its acks: the batch is stored, the client never hears so.
    sockets.dropIncoming = (message, socket) => socket === 0 && message.type === 'ack';
    const client = clientFor(t, { url: server.url, boardId, token, displayName: 'Alice', WebSocket: sockets.WebSocket, reconnect: { minDelayMs: 30, maxDelayMs: 150 } });
    await client.connect();

    const clientBatchId = client.mutate([upsert('a'), upsert('b', {}, 'p2')]);
    await eventually(async () => assert.equal((await serverState(server, boardId, token)).sequence, 2));
    assert.equal(client.pendingBatches, 1, 'no ack arrived');
    assert.equal(client.sequence, 0);

    const synced: string[] = [];
    client.on('synced', ({ syncType }) => synced.push(syncType));
    await server.restart();
    await eventually(() => assert.deepEqual(synced, ['delta']), 10_000);
    await client.whenSettled();

    const last = sockets.last;
    assert.deepEqual(last.sent[0], { type: 'join', displayName: 'Alice', lastSequence: 0 });
    assert.deepEqual(last.sent[1], { type: 'mutate', clientBatchId, mutations: [upsert('a'), upsert('b', {}, 'p2')], resend: true });
    assert.deepEqual(
      last.received.find((message) => message.type === 'ack'),
      { type: 'ack', clientBatchId, sequence: 2, applied: 0, duplicate: true },
    );
    const state = await serverState(server, boardId, token);
    assert.equal(state.sequence, 2, 'applied once');
    assert.equal(client.sequence, 2);
    assert.deepEqual(normalized(client.confirmedState()), normalized(state));
    assert.deepEqual(normalized(client.state()), normalized(state));
  });

  it('BOARD-30: a RATE_LIMITED batch is sent again later and every batch is applied once', async (t) => {
    const server = await startTestServer({ config: { boardMaxBatchesPerSecond: 5 } });
    t.after(() => server.close());
    const boardId = newBoardId();
    const token = await server.token({ userId: 'alice' });
    const sockets = new RecordingWebSockets();
    const client = clientFor(t, { url: server.url, boardId, token, displayName: 'Alice', WebSocket: sockets.WebSocket });
    await client.connect();
    for (let batch = 0; batch < 8; batch++) client.mutate([upsert(`e${batch}`, { batch })]);
    await client.whenSettled();

    assert.ok(sockets.last.received.some((message) => message.type === 'error' && message.code === 'RATE_LIMITED'), 'the limit was hit');
    const state = await serverState(server, boardId, token);
    assert.equal(state.sequence, 8);
    assert.equal(state.pages.p1.length, 8);
    assert.deepEqual(normalized(client.state()), normalized(state));
  });
});
