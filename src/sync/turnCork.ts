import type { Writable } from 'node:stream';
import type { RedisArgument, RedisCommandClient } from './redisScript.js';

/**
 * Holds a connection's writes until the end of the event-loop turn, so the commands of one turn
 * reach Redis in one `writev` instead of one `write` each (issue 14). Every append is a Redis
 * command, and in the many-documents load (1,000 documents, 2,000 appends/s) half of the node's
 * socket-write time went to those one-command writes. The commands themselves are unchanged: each
 * is written, timed and answered as before, in the order it was made; only the syscall is
 * shared. A turn's first command corks the socket, and `setImmediate` uncorks it once every
 * socket the poll phase handed over has been read: what a quiet server sends waits for no more
 * than the rest of its turn.
 */
export class TurnCork {
  private held: Writable[] | null = null;

  /** `sockets` lists the connections' current sockets (a reconnect replaces them). */
  constructor(private readonly sockets: () => Iterable<Writable | undefined>) {}

  hold(): void {
    if (this.held !== null) return;
    const held: Writable[] = [];
    for (const socket of this.sockets()) {
      if (!socket?.writable) continue;
      socket.cork();
      held.push(socket);
    }
    this.held = held;
    setImmediate(() => this.release());
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    // A socket that closed meanwhile drops what it held, as it would have dropped the write.
    for (const socket of held) socket.uncork();
  }
}

/** A command client whose calls share their turn's write (TurnCork). */
export function corkedCommands(client: RedisCommandClient, cork: TurnCork): RedisCommandClient {
  return {
    callBuffer(...args: [command: string, ...args: RedisArgument[]]): Promise<unknown> {
      cork.hold();
      return client.callBuffer(...args);
    },
  };
}
