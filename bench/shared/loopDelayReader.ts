import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoopProbeReply } from './loopProbeMessages.js';
import { withDeadline } from './withDeadline.js';

/** The event-loop delay of a window (several processes: the worst of each figure). */
export interface LoopDelay {
  maxMs: number;
  p99Ms: number;
}

/** The preload module, compiled beside this file. */
export const loopProbeModule = fileURLToPath(new URL('./loopDelayProbe.js', import.meta.url));

/** Node flags that load the probe into a server (spawned with an `ipc` stdio entry). */
export function loopProbeFlags(): string[] {
  return ['--import', loopProbeModule];
}

const replyTimeoutMs = 5_000;

/** The generator's end of one server process's probe. */
export class LoopDelayReader {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: LoopProbeReply) => void>();
  #nextId = 1;

  constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (message: LoopProbeReply) => {
      const resolve = this.#pending.get(message?.loopProbe);
      this.#pending.delete(message?.loopProbe);
      resolve?.(message);
    });
  }

  /** Starts a fresh histogram: what follows is measured. */
  async reset(): Promise<void> {
    await this.#request('reset');
  }

  /** The delay since the last reset. */
  async read(): Promise<LoopDelay> {
    const reply = await this.#request('read');
    return { maxMs: reply.maxMs, p99Ms: reply.p99Ms };
  }

  #request(command: 'reset' | 'read'): Promise<LoopProbeReply> {
    const id = this.#nextId++;
    const reply = new Promise<LoopProbeReply>((resolve) => this.#pending.set(id, resolve));
    if (!this.#child.connected) return Promise.reject(new Error('the loop probe has no channel (the server exited?)'));
    this.#child.send({ loopProbe: id, command });
    return withDeadline(reply, replyTimeoutMs, `the loop probe's ${command}`);
  }
}

/** Resets every probe; resolves when all have answered. */
export async function resetLoopDelays(readers: readonly LoopDelayReader[]): Promise<void> {
  await Promise.all(readers.map((reader) => reader.reset()));
}

/** Reads every probe; the worst max and the worst p99 over the processes (null without probes). */
export async function readLoopDelays(readers: readonly LoopDelayReader[]): Promise<LoopDelay | null> {
  if (readers.length === 0) return null;
  const delays = await Promise.all(readers.map((reader) => reader.read()));
  return { maxMs: Math.max(...delays.map((delay) => delay.maxMs)), p99Ms: Math.max(...delays.map((delay) => delay.p99Ms)) };
}
