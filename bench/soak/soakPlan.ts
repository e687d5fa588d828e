import { parseArgs } from 'node:util';
import { parsedWithUsage } from '../shared/benchFlags.js';

/** Everything the soak does, in one place: the load of issue 6 and how long it runs. */
export interface SoakPlan {
  minutes: number;
  docs: number;
  /** Every connection of a document edits it (10 editors per document, as in a busy team). */
  connectionsPerDoc: number;
  /** Mean time between two updates of one connection; each wait is drawn from mean x (1 ± jitter). */
  updateIntervalMs: number;
  awarenessIntervalMs: number;
  jitter: number;
  /** Fraction of the connections that leave and come back each minute (a reload, a flaky network). */
  churnPerMinute: number;
  /** How long a churned connection stays away before it reconnects. */
  churnAwayMs: number;
  /** Minutes whose sample goes into the report's table (every minute goes into the CSV). */
  tableMinutes: number[];
  /** The whole run is killed after this, whatever happens: N + 3 minutes. */
  hardLimitMs: number;
}

export const soakUsage = 'usage: node dist/bench/soak/main.js [--minutes N]   (default 30; N >= 1)';

/**
 * 2,000 connections on 200 documents, an update every ~4 s each (~500 updates/s, ~4,500
 * deliveries/s to the other 9 editors) and an awareness update every ~10 s: far below the
 * per-connection limits (200 messages/s, 20 awareness/s), so no limit shapes the result.
 */
export function parseSoakArgs(argv: readonly string[]): SoakPlan {
  const minutes = parsedWithUsage(soakUsage, () => soakMinutes(argv));
  return {
    minutes,
    docs: 200,
    connectionsPerDoc: 10,
    updateIntervalMs: 4_000,
    awarenessIntervalMs: 10_000,
    jitter: 0.25,
    churnPerMinute: 0.01,
    churnAwayMs: 1_000,
    tableMinutes: tableMinutes(minutes),
    hardLimitMs: (minutes + 3) * 60_000,
  };
}

/** Minutes 1, N/2 (rounded up) and N, without repeats: 1, 15, 30 by default; 1, 2 for a 2-minute run. */
export function tableMinutes(minutes: number): number[] {
  return [...new Set([1, Math.ceil(minutes / 2), minutes])];
}

function soakMinutes(argv: readonly string[]): number {
  const { values } = parseArgs({ args: [...argv], options: { minutes: { type: 'string' } }, strict: true });
  const minutes = values.minutes === undefined ? 30 : Number(values.minutes);
  if (!Number.isInteger(minutes) || minutes < 1) throw new Error('--minutes needs an integer >= 1');
  return minutes;
}
