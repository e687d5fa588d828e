import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ElementPages } from '../../src/client/elementPages.js';

describe('the client\'s element pages (LIM-26)', () => {
  it('LIM-26: a page named __proto__ round-trips as a page, never as the record\'s prototype', () => {
    const record = JSON.parse('{"__proto__":[{"id":"e1","type":"rect"}],"p":[{"id":"e2","type":"note"}]}') as Record<string, Array<{ id: string; type: string }>>;
    const back = ElementPages.fromRecord(record).toRecord();
    assert.deepEqual(Object.keys(back), ['__proto__', 'p']);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(back, '__proto__')?.value, [{ id: 'e1', type: 'rect' }]);
  });
});
