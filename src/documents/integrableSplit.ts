import * as Y from 'yjs';
import { encodeUpdatePart } from './encodeUpdatePart.js';

/** An update as `Y.decodeUpdate` returns it (checked by `validateUpdate`). */
export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;
export type DecodedStruct = DecodedUpdate['structs'][number];
export type DeleteRanges = DecodedUpdate['ds']['clients'];

/** A validated update: decoded, and whether its layout is the one Yjs writes (clients descending). */
export interface CheckedUpdate {
  bytes: Uint8Array;
  decoded: DecodedUpdate;
  inYjsOrder: boolean;
}

/** What of one client update Yjs would integrate into the document now. */
export interface IntegrableSplit {
  /** What to store and relay: the update itself, its integrable part re-encoded, or null (none). */
  update: Uint8Array | null;
  /** Whether some content was refused because the document lacks what it depends on. */
  refused: boolean;
  /** Per client the update touches, the clock the document reaches once `update` is applied. */
  reach: Map<number, number>;
  /** When refused: per client, the first clock the refused rest is waiting for. */
  missing: Map<number, number>;
}

/**
 * Splits an update into what integrates into a document whose clocks `knownClock` gives, and
 * the rest: structs whose causal predecessors (their own client's earlier clocks, or the items
 * they were inserted next to or into) the document lacks, and deletions of clocks it has not
 * seen. Yjs keeps such content "pending" forever and merges all of it into every full encode,
 * so a stream of them (3,000 small ones: ~49 ms per sync step 2) starves a document; stored in
 * the sync layer, they would come back on every load.
 *
 * This follows Yjs's own integration loop (`integrateStructs`: the same order, the same stack,
 * the same dead ends) on clocks alone, so it decides exactly what `applyUpdate` would integrate
 * without touching the document. The update is re-encoded only when something is refused or
 * when its layout is not Yjs's own (which `Y.mergeUpdates` would garble).
 */
export function splitIntegrable(checked: CheckedUpdate, knownClock: (client: number) => number): IntegrableSplit {
  const whole = checked.inYjsOrder ? wholeFromOneClient(checked, knownClock) : null;
  if (whole) return whole;
  const walk = new IntegrationWalk(checked.decoded.structs, knownClock);
  walk.run();
  const ds = clipDeletes(checked.decoded.ds.clients, walk.clockOf, walk.missing);
  const refused = !walk.refusedNothing || !ds.refusedNothing;
  const asIs = !refused && checked.inYjsOrder;
  return {
    update: asIs ? checked.bytes : encodeUpdatePart(walk.integrated, ds.kept),
    refused,
    reach: walk.reach,
    missing: walk.missing,
  };
}

/**
 * The common case, without the walk's maps: a live edit of one client (what stock clients send
 * per keystroke) that continues its own clocks and builds only on what the document has.
 * Returns null when the update is anything else; the walk then decides.
 */
function wholeFromOneClient(checked: CheckedUpdate, knownClock: (client: number) => number): IntegrableSplit | null {
  const { structs, ds } = checked.decoded;
  if (structs.length === 0) return null;
  const client = structs[0].id.client;
  const last = structs[structs.length - 1];
  if (last.id.client !== client || structs[0].id.clock > knownClock(client)) return null;
  for (const struct of structs) {
    if (struct instanceof Y.Skip) return null;
    if (struct instanceof Y.Item && lackedClient(struct, knownClock) !== null) return null;
  }
  const reach = Math.max(knownClock(client), last.id.clock + last.length);
  for (const [deleted, ranges] of ds.clients) {
    const state = deleted === client ? reach : knownClock(deleted);
    for (const range of ranges) if (range.clock + range.len > state) return null;
  }
  return { update: checked.bytes, refused: false, reach: new Map([[client, reach]]), missing: new Map() };
}

/**
 * The other client whose clocks an item was placed against (origin, right origin, parent) and
 * `clockOf` does not reach yet, or null: Yjs's `Item.getMissing`, on clocks.
 */
function lackedClient(item: Y.Item, clockOf: (client: number) => number): number | null {
  const own = item.id.client;
  const parent = item.parent instanceof Y.ID ? item.parent : null;
  for (const ref of [item.origin, item.rightOrigin, parent]) {
    if (ref !== null && ref.client !== own && ref.clock >= clockOf(ref.client)) return ref.client;
  }
  return null;
}

interface ClientRefs {
  refs: DecodedStruct[];
  /** The next struct to take. */
  next: number;
}

/** Yjs's integration loop on clocks: what it would integrate, and what it would leave pending. */
class IntegrationWalk {
  readonly reach = new Map<number, number>();
  readonly missing = new Map<number, number>();
  /** Per client, the structs that integrate, in clock order. */
  readonly integrated = new Map<number, DecodedStruct[]>();
  refusedNothing = true;
  private readonly clients = new Map<number, ClientRefs>();
  private readonly order: number[];
  private readonly stack: DecodedStruct[] = [];
  /** A client's clock as the walk has it so far (a function value: handed to lackedClient). */
  readonly clockOf = (client: number): number => this.reach.get(client) ?? this.knownClock(client);

  constructor(
    structs: DecodedStruct[],
    private readonly knownClock: (client: number) => number,
  ) {
    for (const struct of structs) {
      const client = struct.id.client;
      let entry = this.clients.get(client);
      if (!entry) this.clients.set(client, (entry = { refs: [], next: 0 }));
      entry.refs.push(struct);
    }
    // Yjs takes the highest client id first.
    this.order = [...this.clients.keys()].sort((a, b) => a - b);
  }


  run(): void {
    let head = this.nextFromOrder();
    while (head !== null) {
      const needed = this.step(head);
      if (needed !== null) {
        head = needed;
        continue;
      }
      head = this.stack.pop() ?? this.nextFromOrder();
    }
  }

  /** Handles one struct; returns the struct to look at next when it waits for another client. */
  private step(head: DecodedStruct): DecodedStruct | null {
    if (head instanceof Y.Skip) return null;
    const client = head.id.client;
    const offset = this.clockOf(client) - head.id.clock;
    if (offset < 0) {
      this.stack.push(head);
      this.noteMissing(client, head.id.clock - 1);
      this.refuseStack();
      return null;
    }
    const waitsFor = head instanceof Y.Item ? lackedClient(head, this.clockOf) : null;
    if (waitsFor !== null) {
      this.stack.push(head);
      const refs = this.clients.get(waitsFor);
      if (!refs || refs.next === refs.refs.length) {
        this.noteMissing(waitsFor, this.clockOf(waitsFor));
        this.refuseStack();
        return null;
      }
      return refs.refs[refs.next++];
    }
    if (offset < head.length) this.integrate(head);
    return null;
  }

  private integrate(struct: DecodedStruct): void {
    const client = struct.id.client;
    this.reach.set(client, struct.id.clock + struct.length);
    let list = this.integrated.get(client);
    if (!list) this.integrated.set(client, (list = []));
    list.push(struct);
  }

  /** A dead end: every client on the stack stops here (what Yjs moves to its pending structs). */
  private refuseStack(): void {
    this.refusedNothing = false;
    for (const struct of this.stack) {
      const client = struct.id.client;
      // Gone from the map, as in Yjs: whoever waits for it later meets a dead end too.
      this.clients.delete(client);
    }
    this.stack.length = 0;
  }

  private noteMissing(client: number, clock: number): void {
    const known = this.missing.get(client);
    if (known === undefined || known > clock) this.missing.set(client, clock);
  }

  private nextFromOrder(): DecodedStruct | null {
    while (this.order.length > 0) {
      const refs = this.clients.get(this.order[this.order.length - 1]);
      if (refs && refs.next < refs.refs.length) return refs.refs[refs.next++];
      this.order.pop();
    }
    return null;
  }
}

/** The deletions that fall within clocks the document will have; Yjs keeps the rest pending. */
function clipDeletes(
  clients: DeleteRanges,
  clockOf: (client: number) => number,
  missing: Map<number, number>,
): { kept: DeleteRanges; refusedNothing: boolean } {
  const kept: DeleteRanges = new Map();
  let refusedNothing = true;
  for (const [client, ranges] of clients) {
    const state = clockOf(client);
    const keptRanges: typeof ranges = [];
    for (const range of ranges) {
      const end = range.clock + range.len;
      if (end <= state) keptRanges.push(range);
      else {
        refusedNothing = false;
        if (!missing.has(client)) missing.set(client, state);
        if (range.clock < state) keptRanges.push({ clock: range.clock, len: state - range.clock });
      }
    }
    if (keptRanges.length > 0) kept.set(client, keptRanges);
  }
  return { kept, refusedNothing };
}
