import type { PageChanges } from './eventLogStorage.js';

/** One element's newest state in a page write: its JSON, or null for a tombstone. */
export interface PageRow {
  elementId: string;
  element: string | null;
  sequence: number;
}

/**
 * A page's upserts and tombstones as one row per element, the newest of each (on a tie the first
 * given). One row per element lets each adapter write the page with one upsert whose
 * newer-only guard compares against the store alone; PostgreSQL refuses an upsert that touches
 * one row twice.
 */
export function pageRows(pageId: string, changes: PageChanges): PageRow[] {
  const newest = new Map<string, PageRow>();
  const offer = (row: PageRow, rowPageId: string): void => {
    if (rowPageId !== pageId) throw new RangeError(`a change for page ${JSON.stringify(rowPageId)} was written to page ${JSON.stringify(pageId)}`);
    if (!Number.isSafeInteger(row.sequence) || row.sequence < 1) {
      throw new RangeError(`element sequence must be a positive integer, got ${row.sequence}`);
    }
    const held = newest.get(row.elementId);
    if (held === undefined || row.sequence > held.sequence) newest.set(row.elementId, row);
  };
  for (const upsert of changes.upserts) {
    offer({ elementId: upsert.element.id, element: JSON.stringify(upsert.element), sequence: upsert.updatedSequence }, upsert.pageId);
  }
  for (const tombstone of changes.tombstones) {
    offer({ elementId: tombstone.elementId, element: null, sequence: tombstone.deletedSequence }, tombstone.pageId);
  }
  return [...newest.values()];
}
