import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { GrowableArray } from '../shared/growableArray.js';
import type { YjsWireClient } from '../shared/yjsWireClient.js';

/** The shared text every soak editor types into. */
export const soakTextName = 'soak';

/** Characters per update: a fixed length makes an update's seq its first clock / this. */
export const charsPerUpdate = 4;

/** Yjs client ids of soak editors (apart from the benchmarks' 1_000_000 + writer). */
export function soakClientId(writer: number): number {
  return 3_000_000 + writer;
}

/**
 * One editor typing at the end of its own passage of a shared Y.Text: three letters and a space
 * per update. Unlike BenchWriter's new map key per update (~500 bytes of heap per entry on the
 * server: 900k entries, ~430 MiB, in a 30-minute soak), consecutive typing of one client merges
 * into one Yjs item, so the documents grow like real ones (~18 KB of text each in 30 minutes)
 * and a growing RSS means a leak, not content. Its doc holds only its own edits: the expected
 * document is the merge of every editor's own.
 */
export class SoakWriter {
  private readonly doc = new Y.Doc({ gc: true });
  private readonly text: Y.Text;
  private pending: Uint8Array | null = null;
  private socket: YjsWireClient | null = null;
  private readonly sentAt = new GrowableArray(Float64Array);
  /** Updates sent so far; the next update's seq. */
  sent = 0;

  constructor(readonly writer: number) {
    this.doc.clientID = soakClientId(writer);
    this.text = this.doc.getText(soakTextName);
    this.doc.on('update', (update: Uint8Array) => (this.pending = update));
  }

  /** The socket updates go to (a churned editor gets a new one; it sends nothing in between). */
  attach(socket: YjsWireClient): void {
    this.socket = socket;
  }

  missingFor(stateVector: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, stateVector);
  }

  state(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  /** Characters typed so far (the cursor its awareness state announces). */
  get length(): number {
    return this.text.length;
  }

  sentAtOf(seq: number): number {
    return this.sentAt.get(seq);
  }

  sendNext(): void {
    if (!this.socket) throw new Error(`soak writer ${this.writer} is not connected`);
    const seq = this.sent;
    const sentAt = performance.now();
    this.text.insert(this.text.length, `${letter(seq)}${letter(seq >> 4)}${letter(this.writer)} `);
    if (!this.pending) throw new Error('a text insert produced no update');
    this.socket.sendUpdate(this.pending);
    this.pending = null;
    this.sentAt.set(seq, sentAt);
    this.sent++;
  }
}

function letter(value: number): string {
  return String.fromCharCode(97 + (value % 26));
}
