import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { WiresocketError } from '../errors.js';
import type { CheckedUpdate, DecodedUpdate } from './integrableSplit.js';

/**
 * Refuses a Yjs update unless Yjs can apply it. Decoding alone is not enough: some updates
 * decode but make `applyUpdate` throw half-way (found by fuzzing), and since updates are stored
 * before they are applied, such an update would poison every later load of the document.
 * - zero-length updates make Yjs loop (yjs#498);
 * - an item may only refer back to earlier clocks of its own client (origin, right origin,
 *   parent): a forward reference crashes the integration (`findIndexSS`);
 * - empty structs and empty delete ranges throw when Yjs splits or re-encodes them;
 * - one run of structs per client: Yjs keeps only a client's last run (and a run of no structs
 *   wipes an earlier one), so an update saying more would store what nobody can apply.
 * Clients in another order than the descending one Yjs writes are accepted (other encoders may
 * do it) but flagged: such an update is re-encoded before it is stored or merged.
 */
export function validateUpdate(update: Uint8Array): CheckedUpdate {
  if (update.length === 0) throw new WiresocketError('UPDATE_INVALID', 'empty update');
  let decoded: DecodedUpdate;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (error) {
    throw new WiresocketError('UPDATE_INVALID', error instanceof Error ? error.message : String(error));
  }
  for (const struct of decoded.structs) checkStruct(struct);
  for (const ranges of decoded.ds.clients.values()) {
    if (ranges.some((range) => range.len <= 0)) throw new WiresocketError('UPDATE_INVALID', 'an empty delete range');
  }
  return { bytes: update, decoded, inYjsOrder: checkClientRuns(update, decoded) };
}

/** Whether the client runs come in Yjs's descending order; throws unless one run per client. */
function checkClientRuns(update: Uint8Array, decoded: DecodedUpdate): boolean {
  const announced = decoding.readVarUint(decoding.createDecoder(update));
  const runClients: number[] = [];
  let descending = true;
  for (const struct of decoded.structs) {
    const client = struct.id.client;
    const previous = runClients.length > 0 ? runClients[runClients.length - 1] : null;
    if (client === previous) continue;
    if (previous !== null && client > previous) descending = false;
    runClients.push(client);
  }
  // Strictly descending runs cannot repeat a client; any other order is checked.
  if (!descending && new Set(runClients).size !== runClients.length) {
    throw new WiresocketError('UPDATE_INVALID', 'a client has more than one run of structs');
  }
  const runs = runClients.length;
  if (runs !== announced) throw new WiresocketError('UPDATE_INVALID', `${announced} struct runs announced, ${runs} found`);
  return descending;
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
