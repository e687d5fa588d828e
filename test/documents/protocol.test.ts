import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import { RawClient } from '../helpers/rawClient.js';
import { awarenessFrame, step1Frame, textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

describe('documents: wire protocol', () => {
  let server: TestServer;
  const raws: RawClient[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const raw of raws) raw.close();
    await server.close();
  });

  const connect = async (doc: string): Promise<RawClient> => {
    const raw = RawClient.connect(server.url, doc, ['Bearer', await server.token()]);
    raws.push(raw);
    await raw.opened;
    return raw;
  };

  it('PROTO-1: the server sends its own step 1 first and answers step 1 with step 2', async () => {
    const writer = await connect('handshake');
    writer.send(updateFrame(textUpdate('stored')));
    await writer.waitForFrame((f) => f.type === 0 && f.subType === 2);

    const raw = await connect('handshake');
    const first = await raw.waitForFrame(() => true);
    assert.equal(first.type, 0);
    assert.equal(first.subType, 0, 'first frame is sync step 1');
    assert.ok(Y.decodeStateVector(first.payload!).size > 0, "server's state vector names the stored content");

    raw.send(step1Frame());
    const step2 = await raw.waitForFrame((f) => f.type === 0 && f.subType === 1);
    assert.equal(textOf([step2.payload!]), 'stored');
  });

  it('PROTO-2: every server frame holds exactly one message', async () => {
    const raw = await connect('one-per-frame');
    raw.send(step1Frame());
    for (let i = 0; i < 20; i++) raw.send(updateFrame(textUpdate(`u${i}`, 't', 1000 + i)));
    raw.send(awarenessFrame([{ clientId: 5, clock: 1, state: { a: 1 } }]));
    await raw.waitForFrame((f) => f.type === 1);
    // Updates may arrive merged (coalescing), but every one of them arrives.
    const allTwenty = () => textOf(raw.frames.filter((f) => f.type === 0 && f.subType === 2).map((f) => f.payload!)).length === Array.from({ length: 20 }, (_, i) => `u${i}`).join('').length;
    await raw.waitForFrame(allTwenty);
    // parseServerFrame throws on any trailing bytes; reaching here means one message per frame.
    assert.ok(raw.frames.length >= 3);
  });

  it("PROTO-3: a client's update is echoed back to it after it is stored", async () => {
    const raw = await connect('echo');
    const update = textUpdate('mine', 't', 4242);
    raw.send(updateFrame(update));
    const echoed = await raw.waitForFrame((f) => f.type === 0 && f.subType === 2);
    assert.deepEqual(Buffer.from(echoed.payload!), Buffer.from(update));
  });

  it('PROTO-7: query-awareness is answered with the current states', async () => {
    const announcer = await connect('query');
    announcer.send(awarenessFrame([{ clientId: 77, clock: 3, state: { name: 'grace' } }]));
    await announcer.waitForFrame((f) => f.type === 1);

    const asker = await connect('query');
    const countBefore = asker.frames.filter((f) => f.type === 1).length;
    asker.send(new Uint8Array([3]));
    await asker.waitForFrame(() => asker.frames.filter((f) => f.type === 1).length > countBefore);
    const answer = asker.frames.filter((f) => f.type === 1).at(-1)!;
    assert.match(Buffer.from(answer.payload!).toString(), /grace/);
  });

  it('PROTO-1: a joiner receives the awareness states already present', async () => {
    const announcer = await connect('joiner-awareness');
    announcer.send(awarenessFrame([{ clientId: 88, clock: 1, state: { name: 'lin' } }]));
    await announcer.waitForFrame((f) => f.type === 1);
    const joiner = await connect('joiner-awareness');
    const states = await joiner.waitForFrame((f) => f.type === 1);
    assert.match(Buffer.from(states.payload!).toString(), /lin/);
  });
});
