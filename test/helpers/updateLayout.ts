import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/**
 * The same update with its client runs written in another client order, as an encoder other
 * than Yjs might lay it out (`applyUpdate` accepts any order); `repeatFirst` writes the first
 * run twice, which no encoder should.
 */
export function relaidUpdate(update: Uint8Array, order: (a: number, b: number) => number, repeatFirst = false): Uint8Array {
  const runs = new Map<number, Array<Y.Item | Y.GC | Y.Skip>>();
  for (const struct of Y.decodeUpdate(update).structs) {
    const run = runs.get(struct.id.client) ?? [];
    run.push(struct);
    runs.set(struct.id.client, run);
  }
  const clients = [...runs.keys()].sort(order);
  if (repeatFirst) clients.push(clients[0]);
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, clients.length);
  for (const client of clients) {
    const run = runs.get(client) ?? [];
    encoding.writeVarUint(encoder.restEncoder, run.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, run[0].id.clock);
    for (const struct of run) struct.write(encoder, 0);
  }
  encoding.writeVarUint(encoder.restEncoder, 0);
  return encoder.toUint8Array();
}

export const ascendingClients = (a: number, b: number): number => a - b;
export const descendingClients = (a: number, b: number): number => b - a;
