import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Every accepted TCP connection must complete its upgrade (auth and admission included) or send
 * a complete HTTP request within the deadline, else it is dropped: a client that connects and
 * sends nothing, or trickles its headers, would otherwise hold a socket forever (slow-loris).
 * Node's own headersTimeout is only checked at an interval and misses silent connections.
 */
export class HandshakeDeadline {
  private readonly timers = new WeakMap<Duplex, NodeJS.Timeout>();
  /**
   * One 'close' listener shared by every socket (EventEmitter calls it with the socket as
   * `this`), removed at `settle`: nothing of the deadline stays on a connection after its upgrade.
   */
  private readonly settleOnClose: (this: Duplex) => void;

  constructor(private readonly deadlineMs: number) {
    const deadline = this;
    this.settleOnClose = function settleOnClose(this: Duplex) {
      deadline.settle(this);
    };
  }

  /** A connection was accepted: its clock starts now. */
  watch(socket: Socket): void {
    const timer = setTimeout(() => socket.destroy(), this.deadlineMs);
    timer.unref();
    this.timers.set(socket, timer);
    socket.once('close', this.settleOnClose);
  }

  /** The connection finished its handshake (or is an ordinary HTTP request): stop its clock. */
  settle(socket: Duplex): void {
    const timer = this.timers.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(socket);
    socket.off('close', this.settleOnClose);
  }
}
