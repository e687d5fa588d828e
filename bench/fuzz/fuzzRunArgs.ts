import { parseArgs } from 'node:util';
import { parsedWithUsage } from '../shared/benchFlags.js';

export interface FuzzRunArgs {
  frames: number;
  /** Frames of the Hocuspocus phase (HOCUS-14), after the y-websocket frames; 0 skips it. */
  hocuspocusFrames: number;
  seed: number;
  /** Raw fuzz sockets running in parallel. */
  sockets: number;
  /** Frames sent before each probe (a batch also ends at a frame the server refuses). */
  framesPerProbe: number;
  /** The whole run, start-up and checks included, is killed after this long. */
  timeLimitMinutes: number;
}

export const defaultFuzzFrames = 1_000_000;
/** The test's seed: the run's first 10,000 frames are the ones `npm test` sends. */
export const defaultFuzzSeed = 0x5eed_0006;

export const fuzzRunUsage = 'usage: node dist/bench/fuzz/main.js [--frames 1000000] [--hocuspocus-frames <frames / 5>] [--seed 0x5eed0006] [--sockets 32] [--frames-per-probe 4] [--time-limit-minutes 20]';

/** A bad flag stops the run before anything starts. */
export function parseFuzzRunArgs(argv: readonly string[]): FuzzRunArgs {
  return parsedWithUsage(fuzzRunUsage, () => parseFuzzFlags(argv));
}

function parseFuzzFlags(argv: readonly string[]): FuzzRunArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      frames: { type: 'string' },
      'hocuspocus-frames': { type: 'string' },
      seed: { type: 'string' },
      sockets: { type: 'string' },
      'frames-per-probe': { type: 'string' },
      'time-limit-minutes': { type: 'string' },
    },
    strict: true,
  });
  const frames = positiveInteger('--frames', values.frames, defaultFuzzFrames);
  return {
    frames,
    hocuspocusFrames: values['hocuspocus-frames'] === undefined ? Math.ceil(frames / 5) : nonNegativeInteger('--hocuspocus-frames', values['hocuspocus-frames']),
    // Number() reads 0x... as well as decimal: seeds are written in hex in failure messages.
    seed: values.seed === undefined ? defaultFuzzSeed : seedValue(values.seed),
    sockets: positiveInteger('--sockets', values.sockets, 32),
    framesPerProbe: positiveInteger('--frames-per-probe', values['frames-per-probe'], 4),
    timeLimitMinutes: positiveInteger('--time-limit-minutes', values['time-limit-minutes'], 20),
  };
}

/** The generator is a 32-bit PRNG (mulberry32): a larger seed would silently wrap. */
function seedValue(raw: string): number {
  const value = nonNegativeInteger('--seed', raw);
  if (value >= 2 ** 32) throw new Error('--seed must be below 2^32');
  return value;
}

function positiveInteger(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = nonNegativeInteger(flag, raw);
  if (value === 0) throw new Error(`${flag} needs a positive integer`);
  return value;
}

function nonNegativeInteger(flag: string, raw: string): number {
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${flag} needs an integer, got ${JSON.stringify(raw)}`);
  return value;
}
