/**
 * What a board is made of (DESIGN.md "Boards: the wire protocol"): pages of elements, changed by
 * mutations. An element's identity is its `id` within its page.
 *
 * Defined here, with the store that holds them, and imports nothing: the backends know no
 * sessions, and boards (which re-exports these) and the client import them from here.
 */

/** One element as the app defines it: any JSON object with an `id` and a `type`. */
export type BoardElement = { id: string; type: string } & Record<string, unknown>;

export type ElementMutation =
  | {
      op: 'upsert';
      pageId: string;
      element: BoardElement;
      /** Upserting an element that was deleted is refused unless the client means to re-create it. */
      recreate?: boolean;
    }
  | { op: 'delete'; pageId: string; elementId: string };

/** An element as the board holds it: with the sequence of the event that last changed it. */
export interface StoredElement {
  pageId: string;
  element: BoardElement;
  updatedSequence: number;
}

/** What a delete leaves behind, so a late upsert of the same element can be refused. */
export interface Tombstone {
  pageId: string;
  elementId: string;
  deletedSequence: number;
}

/** One logged mutation: each has its own gap-free sequence number per board. */
export interface BoardEvent {
  sequence: number;
  userId: string;
  mutation: ElementMutation;
  /** Milliseconds since the epoch. */
  createdAt: number;
}
