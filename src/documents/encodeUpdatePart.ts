import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { DecodedStruct, DeleteRanges } from './integrableSplit.js';

/** Yjs's info byte for a Skip struct (a run of clocks the update does not carry). */
const skipInfo = 10;

/**
 * Encodes chosen structs and deletions of a decoded update as a Yjs (v1) update, in the layout
 * Yjs itself writes: clients in descending order, each client's structs as one run, gaps between
 * chosen structs as Skip structs so the clocks stay right. The order matters beyond `applyUpdate`:
 * `Y.mergeUpdates` (broadcast coalescing, compaction) assumes it and silently drops content of
 * updates laid out otherwise. Returns null when there is nothing to encode.
 */
export function encodeUpdatePart(structs: ReadonlyMap<number, DecodedStruct[]>, deletes: DeleteRanges): Uint8Array | null {
  if (structs.size === 0 && deletes.size === 0) return null;
  const encoder = new Y.UpdateEncoderV1();
  const clients = [...structs.keys()].sort(descending);
  encoding.writeVarUint(encoder.restEncoder, clients.length);
  for (const client of clients) writeClientRun(encoder, client, structs.get(client) ?? []);
  writeDeletes(encoder, deletes);
  return encoder.toUint8Array();
}

function descending(a: number, b: number): number {
  return b - a;
}

function writeClientRun(encoder: Y.UpdateEncoderV1, client: number, run: DecodedStruct[]): void {
  let written = 0;
  for (let i = 0; i < run.length; i++) written += i > 0 && gapBefore(run, i) > 0 ? 2 : 1;
  encoding.writeVarUint(encoder.restEncoder, written);
  encoder.writeClient(client);
  encoding.writeVarUint(encoder.restEncoder, run[0].id.clock);
  for (let i = 0; i < run.length; i++) {
    const gap = i > 0 ? gapBefore(run, i) : 0;
    if (gap > 0) {
      encoder.writeInfo(skipInfo);
      encoding.writeVarUint(encoder.restEncoder, gap);
    }
    run[i].write(encoder, 0);
  }
}

function gapBefore(run: DecodedStruct[], i: number): number {
  const previous = run[i - 1];
  return run[i].id.clock - (previous.id.clock + previous.length);
}

function writeDeletes(encoder: Y.UpdateEncoderV1, deletes: DeleteRanges): void {
  const clients = [...deletes.keys()].sort(descending);
  encoding.writeVarUint(encoder.restEncoder, clients.length);
  for (const client of clients) {
    const ranges = deletes.get(client) ?? [];
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, ranges.length);
    for (const range of ranges) {
      encoder.writeDsClock(range.clock);
      encoder.writeDsLen(range.len);
    }
  }
}
