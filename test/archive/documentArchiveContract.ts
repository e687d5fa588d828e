import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as Y from 'yjs';
import type { DocumentArchive } from '../../src/archive/documentArchive.js';

export interface ArchiveFixture {
  archive: DocumentArchive;
  /** Another handle on the same archive (a second node, or the next process). */
  reopen(): Promise<DocumentArchive>;
  close(): Promise<void>;
}

function stateWith(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

/** The behaviour every DocumentArchive adapter shares (the contract in src/archive/documentArchive.ts). */
export function documentArchiveContract(name: string, factory: () => Promise<ArchiveFixture>): void {
  describe(`DocumentArchive contract: ${name}`, () => {
    let fixture: ArchiveFixture;
    const key = (docName: string) => `acme::editor::${docName}-${randomUUID()}`;

    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture.close();
    });

    it('ARCH-1: put then get returns the same bytes, from this handle and from another one', async () => {
      const docKey = key('doc');
      const state = stateWith('hello');
      await fixture.archive.put(docKey, state);
      assert.deepEqual(await fixture.archive.get(docKey), state);
      const other = await fixture.reopen();
      try {
        assert.deepEqual(await other.get(docKey), state);
      } finally {
        await other.close();
      }
    });

    it('ARCH-1: a put replaces the state; a document never written reads null', async () => {
      const docKey = key('doc');
      await fixture.archive.put(docKey, stateWith('first'));
      const second = stateWith('second, longer than the first');
      await fixture.archive.put(docKey, second);
      assert.deepEqual(await fixture.archive.get(docKey), second);
      assert.equal(await fixture.archive.get(key('never')), null);
    });

    it('ARCH-1: delete drops the state and says whether there was one', async () => {
      const docKey = key('doc');
      await fixture.archive.put(docKey, stateWith('gone'));
      assert.equal(await fixture.archive.delete(docKey), true);
      assert.equal(await fixture.archive.get(docKey), null);
      assert.equal(await fixture.archive.delete(docKey), false);
    });

    it('ARCH-1: keys are opaque: slashes, dots, percent signs, spaces and non-ASCII name distinct documents', async () => {
      const base = `acme::editor::${randomUUID()}`;
      const names = ['a/b', 'a%2Fb', '../x', 'a b', 'é', 'a', 'A', 'x::y'];
      const states = names.map((docName) => stateWith(`doc ${docName}`));
      for (const [index, docName] of names.entries()) await fixture.archive.put(`${base}${docName}`, states[index]);
      for (const [index, docName] of names.entries()) assert.deepEqual(await fixture.archive.get(`${base}${docName}`), states[index], docName);
    });

    it('ARCH-1: a large state (1 MiB) comes back whole; ping answers', async () => {
      const docKey = key('large');
      const state = stateWith('x'.repeat(1024 * 1024));
      await fixture.archive.put(docKey, state);
      assert.deepEqual(await fixture.archive.get(docKey), state);
      await fixture.archive.ping();
    });
  });
}
