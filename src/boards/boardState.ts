import type { BoardElement, BoardEvent, ElementMutation, StoredElement, Tombstone } from '../storage/index.js';

type Entry = { kind: 'element'; stored: StoredElement } | { kind: 'tombstone'; tombstone: Tombstone };

/**
 * A board's current content in memory: per page, each element with the sequence of its last
 * change, or the tombstone its delete left. Server order decides conflicts: a mutation is checked
 * against what the board holds when its turn comes (checkBatch.ts), then applied with its sequence.
 */
export class BoardState {
  private readonly pages = new Map<string, Map<string, Entry>>();
  /** Elements and tombstones changed since the last `takeChanges`, per page (what a flush writes). */
  private dirty = new Map<string, Map<string, Entry>>();

  /** Fills the state from storage: the elements and tombstones as last flushed. */
  static fromStored(elements: readonly StoredElement[], tombstones: readonly Tombstone[]): BoardState {
    const state = new BoardState();
    for (const stored of elements) state.put(stored.pageId, stored.element.id, { kind: 'element', stored }, false);
    for (const tombstone of tombstones) state.put(tombstone.pageId, tombstone.elementId, { kind: 'tombstone', tombstone }, false);
    return state;
  }

  /**
   * Applies a logged event. Idempotent and order-safe for replays: an event older than what an
   * element already reflects (a page flushed past it) changes nothing.
   */
  apply(event: Pick<BoardEvent, 'sequence' | 'mutation'>): void {
    const { mutation, sequence } = event;
    const elementId = mutation.op === 'upsert' ? mutation.element.id : mutation.elementId;
    const current = this.entry(mutation.pageId, elementId);
    if (current && sequenceOf(current) >= sequence) return;
    const next: Entry =
      mutation.op === 'upsert'
        ? { kind: 'element', stored: { pageId: mutation.pageId, element: mutation.element, updatedSequence: sequence } }
        : { kind: 'tombstone', tombstone: { pageId: mutation.pageId, elementId, deletedSequence: sequence } };
    this.put(mutation.pageId, elementId, next, true);
  }

  /** What the board holds for one element now: the element, its tombstone, or nothing. */
  lookup(pageId: string, elementId: string): StoredElement | Tombstone | null {
    const entry = this.entry(pageId, elementId);
    if (!entry) return null;
    return entry.kind === 'element' ? entry.stored : entry.tombstone;
  }

  /** Every page's live elements (tombstones left out), as the full-state endpoint and snapshots show them. */
  pagesView(): Record<string, BoardElement[]> {
    const view: Record<string, BoardElement[]> = {};
    for (const [pageId, entries] of this.pages) {
      const elements: BoardElement[] = [];
      for (const entry of entries.values()) if (entry.kind === 'element') elements.push(entry.stored.element);
      // Defined, not assigned: a page named `__proto__` is a page, not the view's prototype.
      if (elements.length > 0) Object.defineProperty(view, pageId, { value: elements, enumerable: true, writable: true, configurable: true });
    }
    return view;
  }

  /** Whether anything changed since the last `takeChanges`. */
  get hasChanges(): boolean {
    return this.dirty.size > 0;
  }

  /** The changes since the last call, grouped by page (one storage write each), and forgets them. */
  takeChanges(): Map<string, { upserts: StoredElement[]; tombstones: Tombstone[] }> {
    const taken = this.dirty;
    this.dirty = new Map();
    const byPage = new Map<string, { upserts: StoredElement[]; tombstones: Tombstone[] }>();
    for (const [pageId, entries] of taken) {
      const changes = { upserts: [] as StoredElement[], tombstones: [] as Tombstone[] };
      for (const entry of entries.values()) {
        if (entry.kind === 'element') changes.upserts.push(entry.stored);
        else changes.tombstones.push(entry.tombstone);
      }
      byPage.set(pageId, changes);
    }
    return byPage;
  }

  /** Puts changes a failed flush took back, unless newer ones arrived meanwhile. */
  restoreChanges(changes: Map<string, { upserts: StoredElement[]; tombstones: Tombstone[] }>): void {
    for (const [pageId, { upserts, tombstones }] of changes) {
      for (const stored of upserts) this.markDirtyIfCurrent(pageId, stored.element.id, stored.updatedSequence);
      for (const tombstone of tombstones) this.markDirtyIfCurrent(pageId, tombstone.elementId, tombstone.deletedSequence);
    }
  }

  private markDirtyIfCurrent(pageId: string, elementId: string, sequence: number): void {
    const entry = this.entry(pageId, elementId);
    if (entry && sequenceOf(entry) === sequence) this.pageOf(this.dirty, pageId).set(elementId, entry);
  }

  private entry(pageId: string, elementId: string): Entry | undefined {
    return this.pages.get(pageId)?.get(elementId);
  }

  private put(pageId: string, elementId: string, entry: Entry, dirty: boolean): void {
    this.pageOf(this.pages, pageId).set(elementId, entry);
    if (dirty) this.pageOf(this.dirty, pageId).set(elementId, entry);
  }

  private pageOf(pages: Map<string, Map<string, Entry>>, pageId: string): Map<string, Entry> {
    let page = pages.get(pageId);
    if (!page) pages.set(pageId, (page = new Map()));
    return page;
  }
}

function sequenceOf(entry: Entry): number {
  return entry.kind === 'element' ? entry.stored.updatedSequence : entry.tombstone.deletedSequence;
}
