import { Socket } from 'node:net';

export interface SocketWrites {
  /** Write syscalls: one per `_write` or `_writev`. */
  syscalls: number;
  chunks: number;
}

export interface SocketWriteRecording<K> {
  writesOf(key: K): SocketWrites | undefined;
  /** Puts net.Socket's own methods back. */
  stop(): void;
}

type WriteMethod = (this: Socket, ...args: unknown[]) => void;

/**
 * Counts the write syscalls node makes on real sockets (PERF-9), by spying on net.Socket's own
 * `_write` and `_writev`: each call is one syscall. `keyOf` picks the sockets to count (undefined:
 * not counted) and names them.
 */
export function recordSocketWrites<K>(keyOf: (socket: Socket) => K | undefined): SocketWriteRecording<K> {
  const prototype = Socket.prototype as unknown as { _write: WriteMethod; _writev: WriteMethod };
  const { _write: write, _writev: writev } = prototype;
  const counts = new Map<K, SocketWrites>();
  const count = (socket: Socket, chunks: number) => {
    const key = keyOf(socket);
    if (key === undefined) return;
    const writes = counts.get(key) ?? { syscalls: 0, chunks: 0 };
    writes.syscalls++;
    writes.chunks += chunks;
    counts.set(key, writes);
  };
  prototype._write = function (this: Socket, ...args: unknown[]) {
    count(this, 1);
    write.apply(this, args);
  };
  prototype._writev = function (this: Socket, ...args: unknown[]) {
    count(this, (args[0] as unknown[]).length);
    writev.apply(this, args);
  };
  return { writesOf: (key) => counts.get(key), stop: () => Object.assign(prototype, { _write: write, _writev: writev }) };
}
