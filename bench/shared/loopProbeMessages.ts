/** The probe's side channel (IPC, JSON): one request, one reply with the same id. */
export interface LoopProbeRequest {
  loopProbe: number;
  command: 'reset' | 'read';
}

export interface LoopProbeReply {
  loopProbe: number;
  /** Event-loop delay since the last reset, ms. */
  maxMs: number;
  p99Ms: number;
  /** Timer runs the histogram holds. */
  samples: number;
}

/** How often the probe's timer runs (see loopDelayProbe.ts for the cost and the error). */
export const loopProbeResolutionMs = 5;
