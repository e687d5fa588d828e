import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BoardBus, BoardBusMessage } from '../../src/boards/boardBus.js';
import { eventually } from '../helpers/yjsClient.js';

/** Two nodes' buses on one backend. */
export interface BoardBusPair {
  buses: [BoardBus, BoardBus];
  nodeIds: [string, string];
  close(): Promise<void>;
}

const presence = (nodeId: string, data: unknown): BoardBusMessage => ({ kind: 'presence', nodeId, userId: 'u', data });

/** A listener that records what was published: `resync` is the bus's own signal (a (re)subscription), not a message. */
const into = (messages: BoardBusMessage[]) => (message: BoardBusMessage) => {
  if (message.kind !== 'resync') messages.push(message);
};

/**
 * What every BoardBus adapter does (the contract in src/boards/boardBus.ts). Absence is proven
 * with a barrier: a later message that must arrive is awaited first.
 */
export function boardBusContract(name: string, factory: () => Promise<BoardBusPair>): void {
  describe(`BoardBus contract: ${name}`, () => {
    let pair: BoardBusPair;
    beforeEach(async () => {
      pair = await factory();
    });
    afterEach(async () => pair.close());
    const freshBoard = () => `tenant::app::bus-${randomUUID()}`;

    it('BOARD-31: a message reaches the other node in publish order, never its publisher, with its JSON intact', async () => {
      const [a, b] = pair.buses;
      const [idA] = pair.nodeIds;
      const board = freshBoard();
      const [onA, onB]: [BoardBusMessage[], BoardBusMessage[]] = [[], []];
      await a.subscribe(board, into(onA));
      await b.subscribe(board, into(onB));
      const payload = JSON.parse('{"__proto__":{"x":1},"emoji":"🎨","n":1.5}') as unknown;
      for (let index = 0; index < 50; index++) await a.publish(board, presence(idA, { index }));
      await a.publish(board, presence(idA, payload));
      await eventually(() => onB.length === 51, 5000, 'every message on the other node');
      assert.deepEqual(onB.slice(0, 50).map((message) => (message.kind === 'presence' ? (message.data as { index: number }).index : -1)), Array.from({ length: 50 }, (_, index) => index));
      const last = onB[50];
      assert.ok(last.kind === 'presence');
      assert.equal(JSON.stringify(last.data), '{"__proto__":{"x":1},"emoji":"🎨","n":1.5}');
      assert.deepEqual(onA, [], 'the publisher hears nothing of its own');
    });

    it('BOARD-31: boards are isolated, and nothing reaches a listener after it unsubscribed', async () => {
      const [a, b] = pair.buses;
      const [idA] = pair.nodeIds;
      const [board, other] = [freshBoard(), freshBoard()];
      const [removed, kept, elsewhere]: [BoardBusMessage[], BoardBusMessage[], BoardBusMessage[]] = [[], [], []];
      const subscription = await b.subscribe(board, into(removed));
      await b.subscribe(board, into(kept));
      await b.subscribe(other, into(elsewhere));
      await a.publish(board, presence(idA, 'first'));
      await eventually(() => removed.length === 1 && kept.length === 1, 5000, 'both listeners');
      await subscription.unsubscribe();
      await a.publish(board, presence(idA, 'second'));
      await eventually(() => kept.length === 2, 5000, 'the listener that stayed');
      assert.equal(removed.length, 1);
      assert.deepEqual(elsewhere, []);
    });
  });
}
