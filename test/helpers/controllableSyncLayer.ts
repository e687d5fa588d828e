import type { SyncAttachment, SyncLayer, SyncListener } from '../../src/sync/syncLayer.js';

/**
 * Wraps a real sync layer to record the order of calls and to hold or fail appends: the faults
 * a test cannot cause on the in-memory layer otherwise.
 */
export class ControllableSyncLayer implements SyncLayer {
  readonly calls: string[] = [];
  failAppends = false;
  /** Appends are stored, then reported failed (a reply lost on the way back). */
  loseReplies = false;
  /** What `reachable` reports (a test flips it to simulate a lost backend). */
  reachable = true;
  private held: Array<() => void> | null = null;

  constructor(
    private readonly inner: SyncLayer,
    private readonly onInit: (docKey: string) => Promise<void> = async () => undefined,
  ) {}

  /** Appends wait until `release()`. */
  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const resume of waiting) resume();
  }

  async initDocument(docKey: string): Promise<boolean> {
    this.calls.push(`init ${docKey}`);
    await this.onInit(docKey);
    return this.inner.initDocument(docKey);
  }

  holdsDocument(docKey: string): Promise<boolean> {
    return this.inner.holdsDocument(docKey);
  }

  async append(docKey: string, update: Uint8Array): Promise<void> {
    this.calls.push(`append ${docKey}`);
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.failAppends) throw new Error('injected sync layer failure');
    await this.inner.append(docKey, update);
    if (this.loseReplies) throw new Error('injected lost reply (the update was stored)');
  }

  publishAwareness(docKey: string, awarenessUpdate: Uint8Array): Promise<void> {
    return this.inner.publishAwareness(docKey, awarenessUpdate);
  }

  publishStateless(docKey: string, payload: string): Promise<void> {
    return this.inner.publishStateless(docKey, payload);
  }

  attach(docKey: string, listener: SyncListener): Promise<SyncAttachment> {
    this.calls.push(`attach ${docKey}`);
    return this.inner.attach(docKey, listener);
  }

  deleteDocument(docKey: string): Promise<void> {
    this.calls.push(`delete ${docKey}`);
    return this.inner.deleteDocument(docKey);
  }

  endDocument(docKey: string): Promise<void> {
    this.calls.push(`end ${docKey}`);
    return this.inner.endDocument(docKey);
  }

  holdLease(docKey: string, name: string, ttlMs: number): Promise<boolean> {
    return this.inner.holdLease(docKey, name, ttlMs);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
