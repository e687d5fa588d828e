import { frameHex, type Frame } from './fuzzFrames.js';
import { expectedReplies, FuzzSocket, type FuzzBatch, type ServerClose } from './fuzzSocket.js';

export interface FuzzTrafficOptions {
  /** One document URL per socket; the sockets run in parallel. */
  urls: readonly string[];
  token: string;
  totalFrames: number;
  /** The seeded frame sequence, shared by every socket (see fuzzFrames.ts). */
  nextFrame: () => Frame;
  maxMessageBytes: number;
  /**
   * Frames sent before one probe. A batch also ends at a frame the server will refuse, so every
   * frame sent reaches a live connection and a close is tied to a short run of frames.
   */
  framesPerProbe: number;
  /** How long a probe may go without an answer or a close (a hang is a failure). */
  timeoutMs: number;
  /** Close codes a hostile client may provoke; every other close is kept as a failure example. */
  allowedCloseCodes: ReadonlySet<number>;
  /** Called with each frame's index as it is drawn (a writer edits every so many frames). */
  onFrame?: (index: number) => void;
  /** Asked before each batch: a time limit ends the run early. */
  shouldStop?: () => boolean;
}

/** One failure, with the frames that likely caused it. */
export interface FuzzFailure {
  kind: 'close' | 'timeout' | 'upgrade';
  code: number | null;
  batch: FuzzBatch | null;
  predicted: boolean;
}

export interface FuzzTraffic {
  framesSent: number;
  /** Probes answered: batches that left the connection open and served. */
  answered: number;
  /** WebSocket upgrades, the first of each socket included. */
  connects: number;
  /** Server closes by code. */
  closeCodes: Map<number, number>;
  /** Closes the decoder did not predict (a frame it accepts, then a close). */
  surpriseCloses: number;
  /** Failures (close codes not allowed, probe timeouts, failed upgrades): the first few kept. */
  failures: FuzzFailure[];
  failureCount: number;
}

const keptFailures = 20;

/** Runs the sockets in parallel over one frame sequence until `totalFrames` are sent. */
export async function sendFuzzTraffic(options: FuzzTrafficOptions): Promise<FuzzTraffic> {
  const traffic: FuzzTraffic = { framesSent: 0, answered: 0, connects: 0, closeCodes: new Map(), surpriseCloses: 0, failures: [], failureCount: 0 };
  const fail = (failure: FuzzFailure) => {
    traffic.failureCount++;
    if (traffic.failures.length < keptFailures) traffic.failures.push(failure);
  };
  const onServerClose = (close: ServerClose) => {
    traffic.closeCodes.set(close.code, (traffic.closeCodes.get(close.code) ?? 0) + 1);
    if (!close.predicted) traffic.surpriseCloses++;
    if (!options.allowedCloseCodes.has(close.code)) fail({ kind: 'close', ...close });
  };
  const sockets = options.urls.map((url) => new FuzzSocket(url, options.token, onServerClose));
  let drawn = 0;
  const nextBatch = () => {
    const first = drawn;
    const frames: Frame[] = [];
    let stepTwos = 0;
    let closes = false;
    while (!closes && frames.length < options.framesPerProbe && drawn < options.totalFrames) {
      const frame = options.nextFrame();
      // Not `onFrame?.(drawn++)`: without a callback that would skip the increment too.
      const index = drawn++;
      options.onFrame?.(index);
      frames.push(frame);
      const replies = expectedReplies(frame, options.maxMessageBytes);
      if (replies === 'closes') closes = true;
      else stepTwos += replies;
    }
    return { batch: { first, frames }, expected: { stepTwos, closes } };
  };
  const work = async (socket: FuzzSocket) => {
    while (drawn < options.totalFrames && !(options.shouldStop?.() ?? false)) {
      const { batch, expected } = nextBatch();
      const outcome = await socket.exchange(batch, expected, options.timeoutMs).catch(() => 'refused' as const);
      if (outcome === 'refused') fail({ kind: 'upgrade', code: null, batch, predicted: expected.closes });
      else traffic.framesSent += batch.frames.length;
      if (outcome === 'timed-out') fail({ kind: 'timeout', code: null, batch, predicted: expected.closes });
    }
  };
  try {
    await Promise.all(sockets.map(work));
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
  }
  for (const socket of sockets) {
    traffic.answered += socket.answered;
    traffic.connects += socket.connects;
  }
  return traffic;
}

/** A failure as text: what happened, then each frame of its batch with its index. */
export function describeFailure(failure: FuzzFailure): string {
  const what = failure.kind === 'close' ? `close ${failure.code}` : failure.kind === 'timeout' ? 'no answer to the probe and no close' : 'the upgrade failed';
  const batch = failure.batch;
  if (!batch) return `${what} before any frame`;
  const frames = batch.frames.map((frame, offset) => `  frame ${batch.first + offset}: ${frameHex(frame)}`);
  return [`${what}${failure.predicted ? '' : ' (the decoder accepts every frame of the batch)'} after:`, ...frames].join('\n');
}
