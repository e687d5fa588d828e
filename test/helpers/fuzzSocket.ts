import { WebSocket } from 'ws';
import { decodeClientFrame } from '../../src/documents/decodeClientFrame.js';
import type { Frame } from './fuzzFrames.js';

/**
 * The probe sent after each batch of fuzz frames: a sync step 1 with an empty state vector. The
 * server answers every step 1 with a step 2, whatever the connection's awareness or rate budget
 * (an awareness probe stops working once a connection may only set its own client's state and
 * awareness is coalesced).
 */
export const probeFrame = new Uint8Array([0, 0, 1, 0]);

/** Consecutive frames of the run sent before one probe; `first` is the index of `frames[0]`. */
export interface FuzzBatch {
  first: number;
  frames: readonly Frame[];
}

/**
 * What the server will do with one frame, as its own decoder sees it: close the socket, or answer
 * this many sync step 1 messages with a step 2 each. The run needs the count because a fuzz frame
 * may hold real step 1 messages, whose answers arrive before the probe's.
 */
export function expectedReplies(frame: Frame, maxMessageBytes: number): number | 'closes' {
  if (typeof frame === 'string' || frame.length > maxMessageBytes) return 'closes';
  try {
    return decodeClientFrame(frame).filter((message) => message.type === 'sync-step1').length;
  } catch {
    return 'closes';
  }
}

export type Outcome = 'answered' | 'closed' | 'timed-out';

/** A close the server sent, with the last batch sent on that socket (the likely cause). */
export interface ServerClose {
  code: number;
  /** Null when the server closed before any frame was sent. */
  batch: FuzzBatch | null;
  /** Whether the batch held a frame that `expectedReplies` says closes the socket. */
  predicted: boolean;
}

/**
 * A raw document socket that sends a batch of frames plus the probe and waits until every sync
 * step 2 owed to the batch and the probe has arrived, or the server closes. It reconnects on
 * the next exchange after a close.
 */
export class FuzzSocket {
  private ws: WebSocket | null = null;
  /** Sockets this side closed; every other close is the server's and is reported. */
  private readonly closedByUs = new WeakSet<WebSocket>();
  private readonly lastBatch = new WeakMap<WebSocket, { batch: FuzzBatch; predicted: boolean }>();
  private stepTwos = 0;
  private waiting: { until: number; settle: (outcome: Outcome) => void } | null = null;
  answered = 0;
  connects = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly onServerClose: (close: ServerClose) => void,
  ) {}

  /**
   * Sends the batch and the probe. `closes` says the batch ends with a frame the server refuses
   * (only recorded, so a close can be told from a surprise); `stepTwos` counts the step 1
   * messages inside the batch, answered before the probe.
   */
  async exchange(batch: FuzzBatch, expected: { stepTwos: number; closes: boolean }, timeoutMs: number): Promise<Outcome> {
    const ws = this.ws?.readyState === WebSocket.OPEN ? this.ws : await this.open();
    this.lastBatch.set(ws, { batch, predicted: expected.closes });
    const outcome = new Promise<Outcome>((settle) => {
      this.waiting = { until: this.stepTwos + expected.stepTwos + 1, settle };
    });
    for (const frame of batch.frames) ws.send(frame);
    ws.send(probeFrame);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve('timed-out'), timeoutMs)));
    const result = await Promise.race([outcome, timedOut]).finally(() => clearTimeout(timer));
    if (result === 'answered') this.answered++;
    // A socket that neither answered nor closed is dropped: its next answers would be miscounted.
    if (result === 'timed-out') await this.close();
    return result;
  }

  async close(): Promise<void> {
    const ws = this.ws;
    this.ws = null;
    this.waiting = null;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => ws.once('close', resolve));
    this.closedByUs.add(ws);
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else ws.terminate();
    await closed;
  }

  private open(): Promise<WebSocket> {
    const ws = new WebSocket(this.url, ['Bearer', this.token], { perMessageDeflate: false });
    this.ws = ws;
    this.stepTwos = 0;
    this.connects++;
    ws.on('error', () => undefined); // a reset socket still ends with a 'close' (1006)
    ws.on('message', (data: Buffer) => this.onMessage(ws, data));
    ws.on('close', (code: number) => this.onClose(ws, code));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('close', (code: number) => reject(new Error(`the upgrade failed (close ${code})`)));
    });
  }

  /** Sync step 2 (type 0, sub-type 1): the answer to a step 1 of the batch or to the probe. */
  private onMessage(ws: WebSocket, data: Buffer): void {
    if (ws !== this.ws || data.length < 2 || data[0] !== 0 || data[1] !== 1) return;
    this.stepTwos++;
    if (this.waiting && this.stepTwos >= this.waiting.until) this.settle('answered');
  }

  /** A server close may also arrive after the probe was answered (an update that failed late). */
  private onClose(ws: WebSocket, code: number): void {
    if (this.closedByUs.has(ws)) return;
    const last = this.lastBatch.get(ws);
    this.onServerClose({ code, batch: last?.batch ?? null, predicted: last?.predicted ?? false });
    if (this.ws !== ws) return;
    this.ws = null;
    this.settle('closed');
  }

  private settle(outcome: Outcome): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.settle(outcome);
  }
}
