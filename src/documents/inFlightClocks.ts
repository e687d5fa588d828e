import { raiseClocks } from './raiseClocks.js';

/**
 * The clocks that client updates on their way to the sync layer reach once applied. An update
 * is checked against the document before its append and applied after it, so the next update
 * of the same client (sent in the same breath, often in the same TCP read) is checked while the
 * first is still in flight: without these claims it would look as if it had a gap.
 */
export class InFlightClocks {
  private readonly reach = new Map<number, number>();
  private inFlight = 0;

  /** An update leaves for the sync layer, reaching these clocks. */
  claim(reach: ReadonlyMap<number, number>): void {
    this.inFlight++;
    raiseClocks(this.reach, reach);
  }

  /** An update came back from the sync layer (applied, or failed: the claims go with the last one). */
  release(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.reach.clear();
  }

  clockOf(client: number): number {
    return this.reach.get(client) ?? 0;
  }
}
