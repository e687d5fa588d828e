import type { ElementMutation } from '../storage/boardElements.js';
import { ElementPages, type BoardPages } from './elementPages.js';

/**
 * One step of a run the server ordered: a logged mutation (it takes the next sequence), or a
 * refused one, after which the server's word is that the element is gone (deleted or never there).
 */
export type ServerOrderStep = { kind: 'mutation'; mutation: ElementMutation } | { kind: 'gone'; pageId: string; elementId: string };

/** `applied`: the board moved; `known`: it had all of it already; `gap`: events before the run are missing. */
export type RunOutcome = 'applied' | 'known' | 'gap';

/**
 * The board as the server ordered it: every logged mutation applied at its own sequence, nothing
 * speculative. `sequence` is the last event applied, null before the first sync.
 */
export class ConfirmedBoard {
  private content = new ElementPages();
  private head: number | null = null;

  get sequence(): number | null {
    return this.head;
  }

  get pages(): ElementPages {
    return this.content;
  }

  /** The state of a full sync replaces everything. */
  replace(pages: BoardPages, sequence: number): void {
    this.content = ElementPages.fromRecord(pages);
    this.head = sequence;
  }

  /**
   * Applies a run whose first mutation has sequence `firstSequence`. What the board already holds
   * is skipped (a message may overlap a catch-up); a refusal counts only where the board has not
   * moved past it, since a later event decides the element then.
   */
  applyRun(firstSequence: number, steps: readonly ServerOrderStep[]): RunOutcome {
    if (this.head === null || firstSequence > this.head + 1) return 'gap';
    let cursor = firstSequence - 1;
    let changed = false;
    for (const step of steps) {
      if (step.kind === 'mutation') {
        cursor++;
        if (cursor <= this.head) continue;
        this.content.apply(step.mutation);
        this.head = cursor;
        changed = true;
      } else if (cursor >= this.head) {
        this.content.remove(step.pageId, step.elementId);
        changed = true;
      }
    }
    return changed ? 'applied' : 'known';
  }

  /**
   * Refusals of a batch of which nothing was logged, decided when the board's head was
   * `atSequence`. Applied even while the client is still behind that head: the element was gone
   * at it, so the events still to come cannot bring it back.
   */
  applyRefusals(atSequence: number, gone: ReadonlyArray<Extract<ServerOrderStep, { kind: 'gone' }>>): boolean {
    if (this.head === null || atSequence < this.head || gone.length === 0) return false;
    for (const { pageId, elementId } of gone) this.content.remove(pageId, elementId);
    return true;
  }
}
