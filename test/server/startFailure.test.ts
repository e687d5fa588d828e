import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadServeConfig } from '../../src/config.js';
import { openControlStores } from '../../src/routing/controlStores.js';
import { WiresocketServer } from '../../src/server/wiresocketServer.js';
import { createEventLogStorage } from '../../src/storage/createEventLogStorage.js';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import type { TenantRegistry } from '../../src/tenancy/index.js';
import { ManualClock } from '../helpers/manualClock.js';

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

  it('stops its heartbeat and every other timer when the control store fails after the node registered', async () => {
    const stores = await openControlStores({ url: ':memory:' });
    const tenants = new Proxy(stores.tenants, {
      get: (target, property, receiver) =>
        property === 'latestKeyRotation' ? () => Promise.reject(new Error('control store away')) : (Reflect.get(target, property, receiver) as unknown),
    }) as TenantRegistry;
    const clock = new ManualClock();
    const config = loadServeConfig({ port: '0', 'log-level': 'silent' }, {});
    const boardStorage = await createEventLogStorage({ url: ':memory:' });
    await assert.rejects(WiresocketServer.start({ config, routing: stores.routing, tenants, syncLayer: new MemorySyncLayer('n'), boardStorage, clock }), /control store away/);
    assert.equal(clock.pendingTimers, 0, 'no heartbeat for a node that serves nothing');
    await Promise.all([boardStorage.close(), stores.close()]);
  });
});
