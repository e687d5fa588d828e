/**
 * Preloaded into every server under test (`node --import <this file>`, the same for ours and the
 * peers): node's event-loop delay histogram, read by the benchmark over the IPC channel it
 * spawned the server with. Commands: `reset` (the end of warm-up) and `read` (the end of the
 * window: max and p99 of the delay since the reset, in ms). Without an IPC channel it does nothing.
 *
 * The histogram is fed by a libuv timer every `loopProbeResolutionMs`: 5 ms costs ~0.1% of a core
 * on an idle server (1 ms: ~1.5%, which would show in CPU per delivery), and a stall of B ms
 * reads as B - 5 .. B ms (the interval between two timer runs, minus the resolution). After a
 * reset the histogram records from its timer's next run on: a stall in the first 5 ms is missed.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loopProbeResolutionMs, type LoopProbeReply, type LoopProbeRequest } from './loopProbeMessages.js';

if (process.send) {
  const histogram = monitorEventLoopDelay({ resolution: loopProbeResolutionMs });
  histogram.enable();
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    if (message.command === 'reset') histogram.reset();
    const reply: LoopProbeReply = {
      loopProbe: message.loopProbe,
      // The histogram holds intervals between timer runs: the delay is what exceeds the resolution.
      maxMs: Math.max(0, histogram.max / 1e6 - loopProbeResolutionMs),
      p99Ms: histogram.count === 0 ? 0 : Math.max(0, histogram.percentile(99) / 1e6 - loopProbeResolutionMs),
      samples: histogram.count,
    };
    process.send?.(reply);
  });
  // The channel must not keep a server alive that would otherwise exit (a 'message' listener refs it).
  process.channel?.unref();
}

function isRequest(message: unknown): message is LoopProbeRequest {
  return typeof message === 'object' && message !== null && typeof (message as LoopProbeRequest).loopProbe === 'number' && ['reset', 'read'].includes((message as LoopProbeRequest).command);
}
