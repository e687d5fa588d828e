import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Which cores the benchmark pins to, or why it does not. */
export type CpuPinning =
  | { kind: 'pinned'; serverCore: number; loadCore: number }
  | { kind: 'unpinned'; reason: string };

/**
 * Servers on core 0, the load generator on core 1: without this the scheduler moves them onto
 * one core now and then and the latency tail measures the scheduler, not the server.
 */
export function pinLoadGenerator(): CpuPinning {
  if (os.cpus().length < 2) return { kind: 'unpinned', reason: 'fewer than 2 cores' };
  try {
    // -a: every thread of this process (libuv pool, V8 helpers), not only the main one.
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
    return { kind: 'pinned', serverCore: 0, loadCore: 1 };
  } catch (error) {
    return { kind: 'unpinned', reason: `taskset failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** The command prefix that starts a child on the server core (empty when not pinned). */
export function serverCommandPrefix(pinning: CpuPinning): string[] {
  return pinning.kind === 'pinned' ? ['taskset', '-c', String(pinning.serverCore)] : [];
}

/** `servers` names what runs on the server core in the report's words. */
export function describePinning(pinning: CpuPinning, servers = 'serve processes'): string {
  return pinning.kind === 'pinned'
    ? `yes (taskset): ${servers} on core ${pinning.serverCore}, load generator on core ${pinning.loadCore}; redis-server not pinned (not started by the benchmark)`
    : `no (${pinning.reason})`;
}
