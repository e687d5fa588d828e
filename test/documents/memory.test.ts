import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';
import { heapCensus } from '../helpers/heapCensus.js';

const gc = (globalThis as { gc?: () => void }).gc;
const perDocumentTypes = ['DocumentSession', 'DocumentConnection', 'Doc', 'SessionLifecycle', 'AwarenessStates', 'WebSocket'];

describe('documents: memory is released when sessions end', { skip: gc ? false : 'needs node --expose-gc (npm test passes it)' }, () => {
  let server: TestServer;
  before(async () => {
    // 2,000 connects in seconds from one address: the per-IP connect limit is off.
    server = await startTestServer({ config: { graceMs: 20, maxConnectsPerIpPerMinute: 0 } });
  });
  after(async () => server.close());

  /** Opens `count` documents (each with content), closes them, waits for every session to end. */
  const churn = async (prefix: string, count: number) => {
    const token = await server.token();
    for (let batch = 0; batch < count; batch += 100) {
      const clients = Array.from({ length: Math.min(100, count - batch) }, (_, i) => RawClient.connect(server.url, `${prefix}-${batch + i}`, ['Bearer', token]));
      await Promise.all(clients.map((client) => client.opened));
      clients.forEach((client, i) => client.send(updateFrame(textUpdate(`content of document ${batch + i} `.repeat(20)))));
      await Promise.all(clients.map((client) => client.waitForFrame((frame) => frame.type === 0 && frame.subType === 2)));
      clients.forEach((client) => client.close());
      await eventually(() => server.server.documents.size === 0, 10_000, 'sessions to end');
    }
    await eventually(() => server.hub.size === 0, 5000, 'sync state dropped');
    await eventually(async () => (await server.stores.routing.countTenantDocuments('acme')) === 0, 5000, 'routing rows purged');
  };

  it('LIFE-11: open and end 2,000 documents; the heap (less compiled code) returns within 10% of where it started', async (t) => {
    await churn('warmup', 300);
    const before = await heapCensus();
    await churn('doc', 2000);
    const afterChurn = await heapCensus();
    const growth = (afterChurn.dataBytes - before.dataBytes) / before.dataBytes;
    t.diagnostic(`heap without code: ${before.dataBytes} -> ${afterChurn.dataBytes} bytes (${(growth * 100).toFixed(2)}%)`);
    assert.ok(growth < 0.1, `heap grew ${(growth * 100).toFixed(1)}% (${before.dataBytes} -> ${afterChurn.dataBytes} bytes)`);
    // Against the census before the churn, not zero: a module may hold one instance for good (the
    // storage driver's WebSocket class, for one), which is not per document.
    for (const type of perDocumentTypes) assert.equal(afterChurn.objects.get(type) ?? 0, before.objects.get(type) ?? 0, `live ${type} objects`);
    assert.equal(server.server.documents.size, 0);
  });
});
