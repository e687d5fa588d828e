import { performance } from 'node:perf_hooks';
import { summarizeLatencies, type LatencySummary } from '../../shared/latencyStats.js';
import { ownCpuSeconds, processCpuSeconds } from '../../shared/processCpu.js';
import { readerUrl, type RunningServer } from '../../shared/serverUnderTest.js';
import { sumOf } from '../../shared/windowCpu.js';
import { YjsWireClient } from '../../shared/yjsWireClient.js';

export interface StormSpec {
  clients: number;
  docs: number;
}

export interface StormResult {
  kind: 'storm';
  clients: number;
  docs: number;
  /** From the first `new WebSocket` until the last handshake completed (or failed). */
  allDoneMs: number;
  /** Each client's own connect-to-synced time (the successful ones). */
  perClient: LatencySummary;
  errors: number;
  firstError: string | null;
  /** CPU over the storm, % of one core: a generator near 100% measured itself, not the server. */
  loadCpuPercent: number;
  serverCpuPercent: number;
}

/** Longer than the default, so a slow server shows as slow rather than as errors (5,000 at once included). */
const stormHandshakeTimeoutMs = 30_000;

/** `clients` sockets opened in the same event-loop turn, none waiting for another. */
export async function runStormScenario(server: RunningServer, spec: StormSpec, namePrefix: string): Promise<StormResult> {
  const cpuBefore = { load: ownCpuSeconds(), server: sumOf(server.pids, processCpuSeconds) };
  const started = performance.now();
  const times: number[] = [];
  const outcomes = await Promise.allSettled(
    Array.from({ length: spec.clients }, async (_, index) => {
      const socket = await YjsWireClient.connect({
        serverUrl: readerUrl(server, index),
        docName: `${namePrefix}-${index % spec.docs}`,
        token: server.token,
        dialect: server.dialect,
        handshakeTimeoutMs: stormHandshakeTimeoutMs,
        onUpdate: () => undefined,
      });
      times.push(performance.now() - started);
      return socket;
    }),
  );
  const allDoneMs = performance.now() - started;
  const cpu = { load: ownCpuSeconds() - cpuBefore.load, server: sumOf(server.pids, processCpuSeconds) - cpuBefore.server };
  const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  for (const outcome of outcomes) if (outcome.status === 'fulfilled') outcome.value.close();
  const firstError = failures.length > 0 ? String((failures[0].reason as Error)?.message ?? failures[0].reason) : null;
  return { kind: 'storm', ...spec, allDoneMs, perClient: summarizeLatencies(times), errors: failures.length, firstError, loadCpuPercent: (100_000 * cpu.load) / allDoneMs, serverCpuPercent: (100_000 * cpu.server) / allDoneMs };
}
