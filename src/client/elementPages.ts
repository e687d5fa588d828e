import type { BoardElement, ElementMutation } from '../storage/boardElements.js';

/** A board's content as the client shows it: per page, its live elements by id. */
export type BoardPages = Record<string, BoardElement[]>;

/**
 * Pages of elements keyed by page id and element id, changed by mutations. Both layers of the
 * client's state are one of these: the confirmed board and the visible one built on top of it.
 */
export class ElementPages {
  private readonly pages = new Map<string, Map<string, BoardElement>>();

  static fromRecord(record: BoardPages): ElementPages {
    const pages = new ElementPages();
    for (const [pageId, elements] of Object.entries(record)) for (const element of elements) pages.pageOf(pageId).set(element.id, element);
    return pages;
  }

  /** A copy whose pages can change without touching this one (the elements themselves are shared). */
  clone(): ElementPages {
    const copy = new ElementPages();
    for (const [pageId, elements] of this.pages) copy.pages.set(pageId, new Map(elements));
    return copy;
  }

  apply(mutation: ElementMutation): void {
    if (mutation.op === 'upsert') this.pageOf(mutation.pageId).set(mutation.element.id, mutation.element);
    else this.remove(mutation.pageId, mutation.elementId);
  }

  remove(pageId: string, elementId: string): void {
    const page = this.pages.get(pageId);
    page?.delete(elementId);
    if (page?.size === 0) this.pages.delete(pageId);
  }

  /** Pages without elements are left out, as the server's full state leaves them out. */
  toRecord(): BoardPages {
    const record: BoardPages = {};
    for (const [pageId, elements] of this.pages) {
      // Defined, not assigned: a page named `__proto__` is a page, not the record's prototype.
      if (elements.size > 0) Object.defineProperty(record, pageId, { value: [...elements.values()], enumerable: true, writable: true, configurable: true });
    }
    return record;
  }

  private pageOf(pageId: string): Map<string, BoardElement> {
    let page = this.pages.get(pageId);
    if (!page) this.pages.set(pageId, (page = new Map()));
    return page;
  }
}
