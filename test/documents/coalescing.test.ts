import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import { textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

const isUpdate = (frame: { type: number; subType: number | null }) => frame.type === 0 && frame.subType === 2;
const textOfAll = (payloads: Uint8Array[]) => {
  const doc = new Y.Doc();
  for (const payload of payloads) Y.applyUpdate(doc, payload);
  return doc.getText('t').toString();
};

for (const coalesceMs of [50, 0]) {
  describe(`documents: broadcasts with --coalesce-ms ${coalesceMs}`, () => {
    let server: TestServer;
    const clients: RawClient[] = [];
    before(async () => {
      server = await startTestServer({ config: { coalesceMs } });
    });
    after(async () => {
      for (const client of clients) client.close();
      await server.close();
    });

    it(`PERF-1: updates of one document within the window go out ${coalesceMs ? 'merged, one frame per receiver' : 'one frame each'}, the senders' echo included`, async () => {
      const token = await server.token();
      const [writerA, writerB, reader] = ['a', 'b', 'r'].map(() => RawClient.connect(server.url, `coalesce-${coalesceMs}`, ['Bearer', token]));
      clients.push(writerA, writerB, reader);
      await Promise.all(clients.map((client) => client.opened));
      for (let index = 0; index < 5; index++) {
        writerA.send(updateFrame(textUpdate(`a${index}`, 't', 100 + index)));
        writerB.send(updateFrame(textUpdate(`b${index}`, 't', 200 + index)));
      }
      const everything = (client: RawClient) => textOfAll(client.frames.filter(isUpdate).map((frame) => frame.payload!)).length === 20;
      for (const client of [writerA, writerB, reader]) await client.waitForFrame(() => everything(client), 5000);
      const frames = reader.frames.filter(isUpdate).length;
      // The first goes out at once (a quiet document), the rest merged at the end of the window.
      if (coalesceMs > 0) assert.ok(frames <= 3, `${frames} update frames for 10 updates sent at once`);
      else assert.equal(frames, 10);
      assert.equal(writerA.frames.filter(isUpdate).length, frames, 'the senders get the same frames (their echo)');
    });
  });
}
