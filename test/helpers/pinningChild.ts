import assert from 'node:assert/strict';
import type { PinResult } from '../../src/routing/routingTable.js';
import { startGatedChild, type GatedChild } from './gatedChild.js';

// A second process pinning against the same control store (any URL openControlStores takes),
// released at the same moment as the test's own pins.

const pinResultKinds: readonly string[] = ['pinned', 'existing', 'quota-exceeded', 'unknown-tenant'];

function isPinResultKind(value: unknown): value is PinResult['kind'] {
  return typeof value === 'string' && pinResultKinds.includes(value);
}

/**
 * The child opens the control stores, says `ready`, waits for a line on stdin, pins `count`
 * documents of tenant t1 concurrently, prints the result kinds as JSON and exits.
 */
const childScript = `
import { createInterface } from 'node:readline';
const { openControlStores } = await import(process.env.WS_ROUTING_MODULE);
const stores = await openControlStores({ url: process.env.WS_DB_URL });
const input = createInterface({ input: process.stdin });
const go = new Promise((resolve) => input.once('line', resolve));
console.log('ready');
await go;
input.close();
const count = Number(process.env.WS_PINS);
const pins = Array.from({ length: count }, (_, i) =>
  stores.routing.pinDocument({ docKey: 't1::app::child-' + i, tenantId: 't1', region: 'local', nodeId: 'child' }));
const results = await Promise.all(pins);
console.log(JSON.stringify(results.map((result) => result.kind)));
await stores.close();
`;

export function startPinningChild(url: string, count: number): GatedChild<Pick<PinResult, 'kind'>[]> {
  const routingModule = new URL('../../src/routing/index.js', import.meta.url).href;
  return startGatedChild(childScript, { WS_ROUTING_MODULE: routingModule, WS_DB_URL: url, WS_PINS: String(count) }, (kinds) => {
    assert.ok(Array.isArray(kinds) && kinds.every(isPinResultKind), 'the child prints pin result kinds');
    return kinds.map((kind) => ({ kind }));
  });
}
