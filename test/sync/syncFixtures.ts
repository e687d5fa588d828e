import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import type { SyncListener } from '../../src/sync/syncLayer.js';

/** What `attach` on an empty document returns (an update with no structs and no deletions). */
export const emptyState = new Uint8Array([0, 0]);

/** A document key no other test (or earlier run against a shared backend) has used. */
export function freshDocKey(label: string): string {
  return `contract-${randomUUID()}::app::${label}`;
}

/** A listener that records everything delivered to it, in delivery order. */
export class RecordingListener implements SyncListener {
  readonly updates: Uint8Array[] = [];
  readonly awareness: Uint8Array[] = [];
  /** The node each awareness update came from, in the same order as `awareness`. */
  readonly awarenessFrom: string[] = [];
  /** How many times the layer asked this listener to resync. */
  resyncRequests = 0;
  /** How many times another node ended the document (`endDocument`). */
  endings = 0;
  /** What it holds: the attach state (see `holds`) and every delivered update. */
  private readonly held = new Y.Doc();

  onRemoteUpdate(update: Uint8Array): void {
    this.updates.push(update);
    Y.applyUpdate(this.held, update);
  }

  /** The state its attach returned: part of what it holds from then on. */
  holds(state: Uint8Array): void {
    Y.applyUpdate(this.held, state);
  }

  stateVector(): Uint8Array {
    return Y.encodeStateVector(this.held);
  }

  onRemoteAwareness(awarenessUpdate: Uint8Array, fromNodeId: string): void {
    this.awareness.push(awarenessUpdate);
    this.awarenessFrom.push(fromNodeId);
  }

  onDocumentEnded(): void {
    this.endings++;
  }

  /** Stateless messages with the node each came from. */
  readonly stateless: Array<{ payload: string; from: string }> = [];

  onRemoteStateless(payload: string, fromNodeId: string): void {
    this.stateless.push({ payload, from: fromNodeId });
  }

  onResyncNeeded(): void {
    this.resyncRequests++;
  }
}

/**
 * A real Yjs editor whose every edit becomes one V1 update: typing one character at a time
 * gives updates whose inserted ids are `clientId:0`, `clientId:1`, ... in order.
 */
export class TextWriter {
  readonly doc = new Y.Doc();
  readonly updates: Uint8Array[] = [];

  constructor(clientId?: number) {
    if (clientId !== undefined) this.doc.clientID = clientId;
    this.doc.on('update', (update: Uint8Array) => this.updates.push(update));
  }

  /** Appends `text` at the end of the shared text `t` and returns the update it produced. */
  type(text: string): Uint8Array {
    const before = this.updates.length;
    const ytext = this.doc.getText('t');
    ytext.insert(ytext.length, text);
    const update = this.updates[before];
    if (update === undefined || this.updates.length !== before + 1) throw new Error('expected exactly one update per edit');
    return update;
  }

  /** Types each character of `text` as its own update. */
  typeEach(text: string): Uint8Array[] {
    return [...text].map((char) => this.type(char));
  }

  get text(): string {
    return this.doc.getText('t').toString();
  }
}

/** A Y.Doc built from an attach state followed by the updates delivered after it. */
export function docFrom(state: Uint8Array, deliveries: readonly Uint8Array[] = []): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  for (const update of deliveries) Y.applyUpdate(doc, update);
  return doc;
}

export function textOf(doc: Y.Doc): string {
  return doc.getText('t').toString();
}

/**
 * Every inserted id (`client:clock`, one per clock unit) an update carries. Yjs applies an
 * update twice without complaint, so duplicates are only visible at this level.
 */
export function insertedIds(update: Uint8Array): string[] {
  const ids: string[] = [];
  for (const struct of Y.decodeUpdate(update).structs) {
    if (struct instanceof Y.Skip) continue;
    for (let offset = 0; offset < struct.length; offset++) ids.push(`${struct.id.client}:${struct.id.clock + offset}`);
  }
  return ids;
}

/** Ids of the updates in order; throws when an id appears twice (a duplicate delivery). */
export function idsOnce(updates: readonly Uint8Array[]): string[] {
  const seen = new Set<string>();
  const ordered: string[] = [];
  for (const update of updates) {
    for (const id of insertedIds(update)) {
      if (seen.has(id)) throw new Error(`id ${id} was delivered twice`);
      seen.add(id);
      ordered.push(id);
    }
  }
  return ordered;
}

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
