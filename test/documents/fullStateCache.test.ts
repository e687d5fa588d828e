import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { FullStateCache } from '../../src/documents/fullStateCache.js';
import { step1Frame, textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

const emptyStateVector = new Uint8Array([0]);

/** The update inside an encoded sync step 2 message: [sync, step 2, varUint8Array(update)]. */
function updateOf(message: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(message);
  assert.equal(decoding.readVarUint(decoder), 0);
  assert.equal(decoding.readVarUint(decoder), 1);
  return decoding.readVarUint8Array(decoder);
}

describe('documents: the step 2 for an empty client is encoded once per document state', () => {
  it('PERF-2: repeated empty-state joins share one encoded message; any change encodes a new one; other state vectors get their own diff', () => {
    const doc = new Y.Doc();
    const cache = new FullStateCache(doc);
    doc.getText('t').insert(0, 'hello');
    const first = cache.stepTwoFor(emptyStateVector);
    assert.equal(cache.stepTwoFor(emptyStateVector), first, 'an unchanged document reuses the encoded step 2');

    const before = Y.encodeStateVector(doc);
    doc.getText('t').insert(5, ' world');
    const second = cache.stepTwoFor(emptyStateVector);
    assert.notEqual(second, first, 'a change invalidates the cached step 2');
    assert.equal(textOf([updateOf(second.payload)]), 'hello world');

    const diff = cache.stepTwoFor(before);
    assert.notEqual(cache.stepTwoFor(before), diff, 'a non-empty state vector is answered afresh');
    assert.equal(textOf([updateOf(first.payload), updateOf(diff.payload)]), 'hello world', 'the diff brings a client from `before` to now');
  });
});

describe('documents: fresh joins after an edit see the edit', () => {
  let server: TestServer;
  const clients: RawClient[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  it('PERF-2: join, join, edit, join: the last joiner gets the edited state', async () => {
    const token = await server.token();
    const connect = async () => {
      const client = RawClient.connect(server.url, 'cached-joins', ['Bearer', token]);
      clients.push(client);
      assert.equal(await client.outcome(), 'open');
      return client;
    };
    const join = async () => {
      const client = await connect();
      client.send(step1Frame());
      const step2 = await client.waitForFrame((frame) => frame.type === 0 && frame.subType === 1);
      return textOf([step2.payload ?? new Uint8Array()]);
    };
    const echoHolding = (client: RawClient, updates: Uint8Array[], text: string) =>
      client.waitForFrame((frame) => frame.type === 0 && frame.subType === 2 && textOf([...updates, frame.payload ?? new Uint8Array()]) === text);

    const writer = await connect();
    const first = textUpdate('first', 't', 101);
    writer.send(updateFrame(first));
    await echoHolding(writer, [], 'first');
    assert.equal(await join(), 'first');
    assert.equal(await join(), 'first');

    const editor = new Y.Doc();
    editor.clientID = 102;
    Y.applyUpdate(editor, first);
    editor.getText('t').insert(5, ' second');
    writer.send(updateFrame(Y.encodeStateAsUpdate(editor, Y.encodeStateVectorFromUpdate(first))));
    await echoHolding(writer, [first], 'first second');
    assert.equal(await join(), 'first second');
  });
});
