import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import type { WebsocketProvider } from 'y-websocket';

/** What the indicator shows. */
export type SyncState = 'connecting' | 'syncing' | 'synced' | 'offline';

export interface SyncStatus {
  state: SyncState;
  /** Local edits the server has not stored yet (it echoes every stored update to its sender). */
  unsent: boolean;
}

const messageSync = 0;
const syncStep2 = 1;
const syncUpdate = 2;

/**
 * The connection and sync state of one document: connecting (never synced yet), syncing,
 * synced (connected, caught up, and every local edit stored), offline (the connection dropped
 * after a sync). "Stored" is read from the server's echoes (DESIGN.md: every stored update comes
 * back to its sender): the highest clock of this client they carried.
 */
export class SyncTracker {
  private everSynced = false;
  private confirmedClock = 0;
  private readonly listeners = new Set<(status: SyncStatus) => void>();
  private watched: WebSocket | null = null;

  constructor(
    private readonly provider: WebsocketProvider,
    private readonly doc: Y.Doc,
  ) {
    provider.on('status', () => this.changed());
    provider.on('sync', (synced: boolean) => {
      if (synced) this.everSynced = true;
      this.changed();
    });
    doc.on('update', () => this.changed());
    this.watchSocket();
  }

  get status(): SyncStatus {
    const unsent = Y.getState(this.doc.store, this.doc.clientID) > this.confirmedClock;
    if (!this.provider.wsconnected) return { state: this.everSynced ? 'offline' : 'connecting', unsent };
    return { state: this.provider.synced && !unsent ? 'synced' : 'syncing', unsent };
  }

  onChange(listener: (status: SyncStatus) => void): void {
    this.listeners.add(listener);
    listener(this.status);
  }

  private changed(): void {
    this.watchSocket();
    const status = this.status;
    for (const listener of this.listeners) listener(status);
  }

  /** Each new socket of the provider is read for the echoes of this client's edits. */
  private watchSocket(): void {
    const socket = this.provider.ws;
    if (socket === null || socket === this.watched) return;
    this.watched = socket;
    socket.addEventListener('message', (event: MessageEvent) => {
      if (event.data instanceof ArrayBuffer) this.readEcho(new Uint8Array(event.data));
    });
  }

  private readEcho(message: Uint8Array): void {
    try {
      const decoder = decoding.createDecoder(message);
      if (decoding.readVarUint(decoder) !== messageSync) return;
      const kind = decoding.readVarUint(decoder);
      if (kind !== syncStep2 && kind !== syncUpdate) return;
      const clock = Y.parseUpdateMeta(decoding.readVarUint8Array(decoder)).to.get(this.doc.clientID);
      if (clock !== undefined && clock > this.confirmedClock) {
        this.confirmedClock = clock;
        // After the provider applied the message, so `synced` is current too.
        queueMicrotask(() => this.changed());
      }
    } catch {
      // Not ours to judge: the provider reads the same message and handles what it cannot decode.
    }
  }
}
