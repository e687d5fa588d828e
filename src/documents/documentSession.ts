import * as Y from 'yjs';
import type { Logger } from '../log.js';
import type { SessionLifecycle } from '../lifecycle/index.js';
import type { SyncAttachment, SyncLayer, SyncListener } from '../sync/index.js';
import { WiresocketError } from '../errors.js';
import { AwarenessStates } from './awarenessStates.js';
import type { ConnectionHandler, DocumentConnection } from './documentConnection.js';
import {
  encodeAwarenessMessage,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
} from './encodeServerMessage.js';
import type { AwarenessEntry, ClientMessage } from './protocol.js';
import { readAwarenessEntries } from './decodeClientFrame.js';

/** Where a change came from, so broadcast and storage know what to do with it. */
export type ChangeOrigin = 'client' | 'sync-layer';

/** Awareness states announced on other nodes are owned by this marker. */
const remoteOwner = Object.freeze({ owner: 'remote-nodes' });

/** An update with no structs and no deletions: nothing to store or relay. */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}

export interface DocumentSessionOptions {
  docKey: string;
  tenantId: string;
  syncLayer: SyncLayer;
  lifecycle: SessionLifecycle;
  logger: Logger;
  /** Called for every closed connection (the manager unregisters it and decides about the grace). */
  onConnectionClosed: (session: DocumentSession, connection: DocumentConnection) => void;
}

/**
 * One live document on this node: its Y.Doc, its connections and their awareness states.
 * Every client update is validated (at decode), stored in the sync layer, and only then applied
 * and broadcast to every connection, the sender included (y-websocket 4 shows "saved" only when
 * its own update comes back).
 */
export class DocumentSession implements ConnectionHandler, SyncListener {
  readonly docKey: string;
  readonly tenantId: string;
  readonly lifecycle: SessionLifecycle;
  private readonly doc = new Y.Doc({ gc: true });
  private readonly connections = new Set<DocumentConnection>();
  private readonly awareness = new AwarenessStates();
  private attachment: SyncAttachment | null = null;
  /** Connections admitted (quota passed, upgrade in progress) but not yet attached. */
  private reserved = 0;

  constructor(private readonly options: DocumentSessionOptions) {
    this.docKey = options.docKey;
    this.tenantId = options.tenantId;
    this.lifecycle = options.lifecycle;
  }

  /** Loads the state from the sync layer and starts hearing other nodes. */
  async load(): Promise<void> {
    this.attachment = await this.options.syncLayer.attach(this.docKey, this);
    Y.applyUpdate(this.doc, this.attachment.state, 'sync-layer' satisfies ChangeOrigin);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Live or about-to-be-live participants on this node. */
  get participantCount(): number {
    return this.connections.size + this.reserved;
  }

  /** Holds a place for a connection whose upgrade is under way, so the grace cannot end it. */
  reserve(): void {
    this.reserved++;
    this.lifecycle.participantJoined();
  }

  /** A reserved place that never became a connection (the upgrade failed). */
  cancelReservation(): void {
    this.reserved--;
  }

  /** Turns a reservation into a live connection and runs the server side of the handshake. */
  attach(connection: DocumentConnection): void {
    this.reserved--;
    this.connections.add(connection);
    connection.bind(this);
    // Our step 1 makes the client upload what we lack (edits it made offline).
    connection.send(encodeSyncStep1(this.doc));
    const states = this.awareness.snapshot();
    if (states) connection.send(encodeAwarenessMessage(states));
  }

  async handleMessage(connection: DocumentConnection, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'sync-step1':
        connection.send(encodeSyncStep2(this.doc, message.stateVector));
        return;
      case 'sync-step2':
      case 'sync-update':
        return this.handleClientUpdate(connection, message.update);
      case 'awareness':
        return this.handleClientAwareness(connection, message.update, message.entries);
      case 'query-awareness': {
        const states = this.awareness.snapshot();
        if (states) connection.send(encodeAwarenessMessage(states));
        return;
      }
      case 'auth':
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unknown)}`);
      }
    }
  }

  connectionClosed(connection: DocumentConnection): void {
    if (!this.connections.delete(connection)) return;
    const removal = this.awareness.removeOwner(connection);
    if (removal) this.relayAwareness(removal, true);
    this.options.onConnectionClosed(this, connection);
  }

  /** An update another node stored: apply it and pass it on to our connections. */
  onRemoteUpdate(update: Uint8Array): void {
    this.applyAndBroadcast(update, 'sync-layer');
  }

  onRemoteAwareness(awarenessUpdate: Uint8Array): void {
    let changed: boolean;
    try {
      changed = this.awareness.apply(readAwarenessEntries(awarenessUpdate), remoteOwner);
    } catch (error) {
      this.options.logger.warn({ docKey: this.docKey, err: error }, 'ignored an undecodable awareness update from another node');
      return;
    }
    if (changed) this.broadcast(encodeAwarenessMessage(awarenessUpdate));
  }

  /** Closes every connection with the given code (shutdown). */
  closeAll(code: 1012 | 1013 | 1000, reason: string): void {
    for (const connection of [...this.connections]) connection.close(code, reason);
  }

  /** Frees everything this session holds on this node. */
  async dispose(): Promise<void> {
    const attachment = this.attachment;
    this.attachment = null;
    this.connections.clear();
    this.doc.destroy();
    if (attachment) await attachment.detach();
  }

  /** The document's full state (for tests, hooks and the HTTP API). */
  encodeState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  private async handleClientUpdate(connection: DocumentConnection, update: Uint8Array): Promise<void> {
    if (connection.isReadOnly) {
      if (!isEmptyUpdate(update)) connection.noticeReadOnly();
      return;
    }
    if (isEmptyUpdate(update)) return;
    try {
      await this.options.syncLayer.append(this.docKey, update);
    } catch (error) {
      // Not stored means not seen by anyone; the client keeps it and resends after reconnecting.
      throw new WiresocketError('STORE_UNAVAILABLE', 'sync layer append failed', { cause: error });
    }
    if (this.lifecycle.isArchived) return;
    this.applyAndBroadcast(update, 'client');
  }

  /**
   * Validation makes a throwing apply unexpected; if one slips through anyway it is logged and
   * not relayed, so one bad update cannot take the session (or the process) down with it.
   */
  private applyAndBroadcast(update: Uint8Array, origin: ChangeOrigin): void {
    try {
      Y.applyUpdate(this.doc, update, origin);
    } catch (error) {
      this.options.logger.error({ docKey: this.docKey, origin, err: error }, 'a validated update failed to apply; not relayed');
      return;
    }
    this.broadcast(encodeSyncUpdate(update));
  }

  private handleClientAwareness(connection: DocumentConnection, update: Uint8Array, entries: AwarenessEntry[]): void {
    if (this.awareness.apply(entries, connection)) this.relayAwareness(update, false);
  }

  /** Awareness goes to every local connection (the sender too: keeps a lone client alive). */
  private relayAwareness(awarenessUpdate: Uint8Array, fromServer: boolean): void {
    this.broadcast(encodeAwarenessMessage(awarenessUpdate));
    this.options.syncLayer.publishAwareness(this.docKey, awarenessUpdate).catch((error: unknown) => {
      this.options.logger.warn({ docKey: this.docKey, err: error, fromServer }, 'awareness relay to other nodes failed');
    });
  }

  private broadcast(message: Uint8Array): void {
    for (const connection of this.connections) connection.send(message);
  }
}
