import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { GrowableArray } from './growableArray.js';
import type { YjsWireClient } from './yjsWireClient.js';

/** The root map every writer sets its entries in. */
export const benchMapName = 'bench';

/** Yjs client ids of writers: fixed, so a reader can check an entry came from who it says. */
export function writerClientId(writer: number): number {
  return 1_000_000 + writer;
}

/** `w<writer>:<seq>`: the map key of one update, unique across the run. */
export function entryKey(writer: number, seq: number): string {
  return `w${writer}:${seq}`;
}

/**
 * One writer: its own Y.Doc, one new map entry per update, `w<writer>:<seq>` -> the send time
 * (performance.now() in ms, as text). A set of a new key is one struct of clock length 1, so
 * `seq` is also the struct's clock. Each update is a real Yjs update of about 30 bytes whose
 * inserted content is 15-20 bytes (key + value).
 */
export class BenchWriter {
  private readonly doc = new Y.Doc({ gc: true });
  private readonly map: Y.Map<string>;
  private pending: Uint8Array | null = null;
  private socket: YjsWireClient | null = null;
  /** Send time of each seq: receivers that do not read the value (merged updates) look it up here. */
  private readonly sentAt = new GrowableArray(Float64Array);
  /** Updates sent so far; the next update's seq. */
  sent = 0;

  constructor(readonly writer: number) {
    this.doc.clientID = writerClientId(writer);
    this.map = this.doc.getMap(benchMapName);
    this.doc.on('update', (update: Uint8Array) => (this.pending = update));
  }

  attach(socket: YjsWireClient): void {
    this.socket = socket;
  }

  /** The writer's answer to the server's step 1 (empty at the start of a run). */
  missingFor(stateVector: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, stateVector);
  }

  /** performance.now() just before seq `seq` was sent. */
  sentAtOf(seq: number): number {
    return this.sentAt.get(seq);
  }

  /** Everything this writer wrote, as one update (what a verifying client must hold of it). */
  state(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  /** Makes one update and sends it; returns the send timestamp. */
  sendNext(): number {
    if (!this.socket) throw new Error(`writer ${this.writer} is not connected`);
    const sentAt = performance.now();
    this.map.set(entryKey(this.writer, this.sent), sentAt.toFixed(3));
    if (!this.pending) throw new Error('a map set produced no update');
    this.socket.sendUpdate(this.pending);
    this.pending = null;
    this.sentAt.set(this.sent, sentAt);
    this.sent++;
    return sentAt;
  }
}
