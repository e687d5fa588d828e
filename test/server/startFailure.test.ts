import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadServeConfig } from '../../src/config.js';
import { openControlStores } from '../../src/routing/controlStores.js';
import { WiresocketServer } from '../../src/server/wiresocketServer.js';
import { createEventLogStorage } from '../../src/storage/createEventLogStorage.js';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';

describe('server start-up', () => {
  it('closes its listening socket when the routing store fails during start', async () => {
    const stores = await openControlStores({ url: ':memory:' });
    await stores.close(); // every store call now rejects
    const config = loadServeConfig({ port: '0', 'log-level': 'silent' }, {});
    const boardStorage = await createEventLogStorage({ url: ':memory:' });
    await assert.rejects(
      WiresocketServer.start({ config, routing: stores.routing, tenants: stores.tenants, syncLayer: new MemorySyncLayer('n'), boardStorage }),
    );
    await boardStorage.close();
    // Reaching the end of the test file without a dangling listener is the proof: node --test
    // would report the file as never finishing otherwise.
  });
});
