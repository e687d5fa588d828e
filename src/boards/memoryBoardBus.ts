import type { BoardBus, BoardBusListener, BoardBusMessage, BoardBusSubscription } from './boardBus.js';

/**
 * The in-process store behind memory board buses: nodes of one process (the embedded shape, and
 * in-process clusters in tests) share one hub. Delivery is synchronous, in publish order.
 */
export class MemoryBoardBusHub {
  private readonly boards = new Map<string, Map<BoardBusListener, string>>();

  subscribe(boardKey: string, listener: BoardBusListener, nodeId: string): void {
    let listeners = this.boards.get(boardKey);
    if (!listeners) this.boards.set(boardKey, (listeners = new Map()));
    listeners.set(listener, nodeId);
  }

  unsubscribe(boardKey: string, listener: BoardBusListener): void {
    const listeners = this.boards.get(boardKey);
    listeners?.delete(listener);
    if (listeners?.size === 0) this.boards.delete(boardKey);
  }

  publish(boardKey: string, message: BoardBusMessage): void {
    for (const [listener, nodeId] of this.boards.get(boardKey) ?? []) {
      if (nodeId === message.nodeId) continue;
      // A message is a value: a listener must not see another's changes to it (as with Redis).
      listener(structuredClone(message));
    }
  }
}

/** One node's view of a memory hub. */
export class MemoryBoardBus implements BoardBus {
  constructor(
    private readonly nodeId: string,
    private readonly hub: MemoryBoardBusHub = new MemoryBoardBusHub(),
  ) {}

  async subscribe(boardKey: string, listener: BoardBusListener): Promise<BoardBusSubscription> {
    this.hub.subscribe(boardKey, listener, this.nodeId);
    return { unsubscribe: async () => this.hub.unsubscribe(boardKey, listener) };
  }

  async publish(boardKey: string, message: BoardBusMessage): Promise<void> {
    this.hub.publish(boardKey, message);
  }

  async close(): Promise<void> {}
}
