import { WebSocket } from 'ws';
import { decodeHocuspocusFrame } from '../../src/documents/hocuspocus/decodeHocuspocusFrame.js';
import type { Frame } from './fuzzFrames.js';
import type { FuzzBatch } from './fuzzSocket.js';
import type { FuzzFailure, FuzzTraffic } from './fuzzTraffic.js';
import { pingFrame } from './hocuspocusFuzzFrames.js';

export interface HocuspocusFuzzTrafficOptions {
  /** The Hocuspocus endpoint (`ws://host:port`, served at `/`). */
  url: string;
  /** Raw sockets running in parallel, each multiplexing every fuzzed document. */
  sockets: number;
  /** Sent on every new socket before its first batch (Auth for each fuzzed document). */
  opening: readonly Uint8Array[];
  totalFrames: number;
  /** The seeded bursts (hocuspocusFuzzFrames.ts), shared by every socket. */
  nextBurst: () => Frame[];
  maxMessageBytes: number;
  /** Bursts sent before one probe (a batch also ends at a frame the server refuses). */
  burstsPerProbe: number;
  /** How long a probe may go without its Pong or a close (a hang is a failure). */
  timeoutMs: number;
  /** Close codes a hostile client may provoke; any other close is kept as a failure example. */
  allowedCloseCodes: ReadonlySet<number>;
  onFrame?: (index: number) => void;
  shouldStop?: () => boolean;
}

const keptFailures = 20;

/** Close codes a hostile Hocuspocus client may provoke (HOCUS-4, LIM-1); 1011 (a server bug) is not among them. */
export const hocuspocusFuzzCloseCodes: ReadonlySet<number> = new Set([4400, 4205, 1009, 1002, 1008, 1013, 1006]);

/** Whether the server's own decoder refuses the frame (it closes the socket): a predicted close. */
export function hocuspocusFrameCloses(frame: Frame, maxMessageBytes: number): boolean {
  if (typeof frame === 'string' || frame.length > maxMessageBytes) return true;
  try {
    decodeHocuspocusFrame(frame);
    return false;
  } catch {
    return true;
  }
}

/**
 * Sends the bursts over parallel Hocuspocus sockets, each batch followed by a bare Ping: the
 * server answers Pong once it has handled every frame before it (or closes). A socket the server
 * closed is opened anew, with its Auth frames, for the next batch.
 */
export async function sendHocuspocusFuzzTraffic(options: HocuspocusFuzzTrafficOptions): Promise<FuzzTraffic> {
  const traffic: FuzzTraffic = { framesSent: 0, answered: 0, connects: 0, closeCodes: new Map(), surpriseCloses: 0, failures: [], failureCount: 0 };
  const fail = (failure: FuzzFailure) => {
    traffic.failureCount++;
    if (traffic.failures.length < keptFailures) traffic.failures.push(failure);
  };
  const recordClose = (code: number, batch: FuzzBatch | null, predicted: boolean) => {
    traffic.closeCodes.set(code, (traffic.closeCodes.get(code) ?? 0) + 1);
    if (!predicted) traffic.surpriseCloses++;
    if (!options.allowedCloseCodes.has(code)) fail({ kind: 'close', code, batch, predicted });
  };
  let drawn = 0;
  const nextBatch = (): { batch: FuzzBatch; closes: boolean } => {
    const first = drawn;
    const frames: Frame[] = [];
    let closes = false;
    for (let bursts = 0; !closes && bursts < options.burstsPerProbe && drawn < options.totalFrames; bursts++) {
      for (const frame of options.nextBurst()) {
        options.onFrame?.(drawn);
        drawn++;
        frames.push(frame);
        closes ||= hocuspocusFrameCloses(frame, options.maxMessageBytes);
      }
    }
    return { batch: { first, frames }, closes };
  };
  const work = async () => {
    let socket: ProbeSocket | null = null;
    while (drawn < options.totalFrames && !(options.shouldStop?.() ?? false)) {
      if (!socket || socket.isClosed) {
        // A close that came after the socket's last answer (an update refused late).
        const late = socket?.unreportedClose() ?? null;
        if (late !== null) recordClose(late, null, false);
        socket = await ProbeSocket.open(options.url, options.opening).catch(() => null);
        traffic.connects++;
        if (!socket) {
          // A failed upgrade fails the run; this socket's worker stops rather than spin on it.
          fail({ kind: 'upgrade', code: null, batch: null, predicted: false });
          return;
        }
      }
      const { batch, closes } = nextBatch();
      const outcome = await socket.exchange(batch.frames, options.timeoutMs);
      traffic.framesSent += batch.frames.length;
      if (outcome === 'answered') traffic.answered++;
      else if (outcome === 'timed-out') {
        fail({ kind: 'timeout', code: null, batch, predicted: closes });
        socket.terminate();
      } else {
        recordClose(outcome.code, batch, closes);
      }
    }
    socket?.terminate();
  };
  await Promise.all(Array.from({ length: options.sockets }, work));
  return traffic;
}

/** One raw Hocuspocus socket: sends a batch and a Ping, then waits for the Pong or the close. */
class ProbeSocket {
  private pongs = 0;
  private closeCode: number | null = null;
  private reported = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('error', () => undefined); // a reset still ends with 'close' (1006)
    ws.on('message', (data: Buffer) => {
      if (data.length === 1 && data[0] === 10) this.pongs++;
      this.wake?.();
    });
    ws.on('close', (code: number) => {
      this.closeCode = code;
      this.wake?.();
    });
  }

  static open(url: string, opening: readonly Uint8Array[]): Promise<ProbeSocket> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        const socket = new ProbeSocket(ws);
        for (const frame of opening) ws.send(frame);
        resolve(socket);
      });
      ws.once('error', reject);
      ws.once('close', (code: number) => reject(new Error(`the upgrade failed (close ${code})`)));
    });
  }

  /** The server's close code if no exchange reported it yet (once). */
  unreportedClose(): number | null {
    if (this.reported || this.closeCode === null) return null;
    this.reported = true;
    return this.closeCode;
  }

  get isClosed(): boolean {
    return this.closeCode !== null || this.ws.readyState !== WebSocket.OPEN;
  }

  async exchange(frames: readonly Frame[], timeoutMs: number): Promise<'answered' | 'timed-out' | { code: number }> {
    const until = this.pongs + 1;
    for (const frame of frames) if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(pingFrame);
    const deadline = Date.now() + timeoutMs;
    while (this.pongs < until && this.closeCode === null) {
      const left = deadline - Date.now();
      if (left <= 0) return 'timed-out';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    if (this.closeCode === null) return 'answered';
    this.reported = true;
    return { code: this.closeCode };
  }

  terminate(): void {
    this.reported = true;
    this.ws.terminate();
  }
}
