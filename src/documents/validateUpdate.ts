import * as Y from 'yjs';
import { WiresocketError } from '../errors.js';

/**
 * Refuses a Yjs update unless Yjs can apply it. Decoding alone is not enough: some updates
 * decode but make `applyUpdate` throw half-way (found by fuzzing), and since updates are stored
 * before they are applied, such an update would poison every later load of the document.
 * - zero-length updates make Yjs loop (yjs#498);
 * - an item may only refer back to earlier clocks of its own client (origin, right origin,
 *   parent): a forward reference crashes the integration (`findIndexSS`);
 * - empty structs and empty delete ranges throw when Yjs splits or re-encodes them.
 */
export function validateUpdate(update: Uint8Array): void {
  if (update.length === 0) throw new WiresocketError('UPDATE_INVALID', 'empty update');
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (error) {
    throw new WiresocketError('UPDATE_INVALID', error instanceof Error ? error.message : String(error));
  }
  for (const struct of decoded.structs) checkStruct(struct);
  for (const ranges of decoded.ds.clients.values()) {
    if (ranges.some((range) => range.len <= 0)) throw new WiresocketError('UPDATE_INVALID', 'an empty delete range');
  }
}

function checkStruct(struct: Y.Item | Y.GC | Y.Skip): void {
  if (struct.length <= 0) throw new WiresocketError('UPDATE_INVALID', 'an empty struct');
  if (!(struct instanceof Y.Item)) return;
  const parentId = struct.parent instanceof Y.ID ? struct.parent : null;
  for (const ref of [struct.origin, struct.rightOrigin, parentId]) {
    if (ref && ref.client === struct.id.client && ref.clock >= struct.id.clock) {
      throw new WiresocketError('UPDATE_INVALID', 'an item refers forward to its own client');
    }
  }
}
