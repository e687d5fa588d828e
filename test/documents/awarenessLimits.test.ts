import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readAwarenessEntries } from '../../src/documents/decodeClientFrame.js';
import { awarenessFrame, step1Frame } from '../helpers/frames.js';
import { RawClient, type ServerFrame } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

/** The states (client id -> parsed state) a client has heard, in the order it heard them. */
function heardStates(client: RawClient): Array<[number, unknown]> {
  return client.frames
    .filter((frame: ServerFrame) => frame.type === 1 && frame.payload !== null)
    .flatMap((frame) => readAwarenessEntries(frame.payload!).map((entry): [number, unknown] => [entry.clientId, JSON.parse(entry.state)]));
}

function lastStateOf(client: RawClient, clientId: number): unknown {
  return heardStates(client).filter(([id]) => id === clientId).at(-1)?.[1];
}

describe('documents: awareness ownership, size and rate (LIM-10, LIM-11)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { maxAwarenessPerSecond: 10, maxAwarenessStateBytes: 1024 } });
  });
  after(async () => server.close());

  const open = async (doc: string, userId: string) => {
    const raw = RawClient.connect(server.url, doc, ['Bearer', await server.token({ userId })]);
    await raw.opened;
    raw.send(step1Frame());
    return raw;
  };

  it("LIM-10: a connection cannot set another user's client id; its own id still works", async () => {
    const alice = await open('spoof', 'alice');
    const mallory = await open('spoof', 'mallory');
    const watcher = await open('spoof', 'watcher');
    alice.send(awarenessFrame([{ clientId: 1, clock: 1, state: { name: 'alice' } }]));
    await eventually(() => lastStateOf(watcher, 1) !== undefined, 5000, 'alice heard');
    mallory.send(awarenessFrame([{ clientId: 1, clock: 50, state: { name: 'mallory as alice' } }]));
    mallory.send(awarenessFrame([{ clientId: 2, clock: 1, state: { name: 'mallory' } }]));
    // Mallory's first claim was refused, so her first free id is hers; the spoof was never relayed.
    await eventually(() => lastStateOf(watcher, 2) !== undefined, 5000, 'mallory heard');
    assert.deepEqual(lastStateOf(watcher, 1), { name: 'alice' });
    mallory.send(awarenessFrame([{ clientId: 1, clock: 60, state: { name: 'again' } }]));
    alice.send(awarenessFrame([{ clientId: 1, clock: 2, state: { name: 'alice 2' } }]));
    await eventually(() => JSON.stringify(lastStateOf(watcher, 1)) === '{"name":"alice 2"}', 5000, "alice's own change");
    assert.ok(!heardStates(watcher).some(([, state]) => JSON.stringify(state).includes('again') || JSON.stringify(state).includes('as alice')));
    for (const client of [alice, mallory, watcher]) client.close();
  });

  it('LIM-10: the same user on a new socket takes its client id along (a reconnect before the old socket is noticed gone)', async () => {
    const oldTab = await open('takeover', 'bob');
    const watcher = await open('takeover', 'watcher');
    oldTab.send(awarenessFrame([{ clientId: 7, clock: 1, state: { at: 'old socket' } }]));
    await eventually(() => lastStateOf(watcher, 7) !== undefined);
    const newTab = await open('takeover', 'bob');
    newTab.send(awarenessFrame([{ clientId: 7, clock: 2, state: { at: 'new socket' } }]));
    await eventually(() => JSON.stringify(lastStateOf(watcher, 7)) === '{"at":"new socket"}', 5000, 'the new socket owns the id');
    for (const client of [oldTab, newTab, watcher]) client.close();
  });

  it('LIM-10: an awareness state over the size limit closes the socket with 1009; nothing is relayed', async () => {
    const watcher = await open('big-awareness', 'watcher');
    const bloated = await open('big-awareness', 'bloat');
    bloated.send(awarenessFrame([{ clientId: 9, clock: 1, state: { blob: 'x'.repeat(2000) } }]));
    assert.equal((await bloated.waitForClose()).code, 1009);
    assert.equal(lastStateOf(watcher, 9), undefined);
    assert.equal(await server.server.metrics.hitsOf('awareness-size'), 1);
    watcher.close();
  });

  it('LIM-11: awareness above its rate is coalesced, not queued: fewer relays, and the newest state always arrives', async () => {
    const watcher = await open('cursor-spam', 'watcher');
    const spammer = await open('cursor-spam', 'spammer');
    const sent = 200;
    for (let clock = 1; clock <= sent; clock++) spammer.send(awarenessFrame([{ clientId: 11, clock, state: { cursor: clock } }]));
    await eventually(() => JSON.stringify(lastStateOf(watcher, 11)) === `{"cursor":${sent}}`, 5000, 'the newest state');
    const relayed = heardStates(watcher).filter(([id]) => id === 11).length;
    // A burst of 10 plus what 10/s refills while the frames arrive; nowhere near 200.
    assert.ok(relayed <= 20, `relayed ${relayed} of ${sent}`);
    assert.equal((await spammer.outcome(100)), 'open', 'the spammer is not cut off for awareness alone');
    watcher.close();
    spammer.close();
  });
});
