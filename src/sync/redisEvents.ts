/**
 * What travels on a document's pub/sub channel. Binary: an ASCII header up to the first `\n`,
 * then the sender's node id (its byte length is in the header), then the payload bytes.
 *
 *   update:    `u <stream id> <previous stream id> <writer tag length>\n<writer tag><update>`
 *   awareness: `a <node id length>\n<node id><awareness update>`
 *   ended:     `e <node id length>\n<node id>` (the document was deleted: `endDocument`)
 *   stateless: `s <node id length>\n<node id><payload, UTF-8>` (Hocuspocus `sendStateless`)
 *
 * Update events are published by the append script (redisScripts.ts builds the same header), in
 * the same atomic step as the XADD, so they arrive in stream order and carry the id chain that
 * lets a reader notice a missed entry.
 */
export type RedisDocumentEvent =
  | { kind: 'update'; id: string; prev: string; writer: string; update: Uint8Array }
  | { kind: 'awareness'; nodeId: string; awareness: Uint8Array }
  | { kind: 'ended'; nodeId: string }
  | { kind: 'stateless'; nodeId: string; payload: string };

const newline = 0x0a;

export function encodeAwarenessEvent(nodeId: string, awareness: Uint8Array): Buffer {
  const node = Buffer.from(nodeId, 'utf8');
  return Buffer.concat([Buffer.from(`a ${node.byteLength}\n`, 'latin1'), node, awareness]);
}

export function encodeEndedEvent(nodeId: string): Buffer {
  const node = Buffer.from(nodeId, 'utf8');
  return Buffer.concat([Buffer.from(`e ${node.byteLength}\n`, 'latin1'), node]);
}

export function encodeStatelessEvent(nodeId: string, payload: string): Buffer {
  const node = Buffer.from(nodeId, 'utf8');
  return Buffer.concat([Buffer.from(`s ${node.byteLength}\n`, 'latin1'), node, Buffer.from(payload, 'utf8')]);
}

/** Decodes one channel message; `null` for anything that is not ours (never throws). */
export function decodeRedisEvent(message: Buffer): RedisDocumentEvent | null {
  const end = message.indexOf(newline);
  if (end < 0) return null;
  const header = message.toString('latin1', 0, end).split(' ');
  // The sender: a writer tag on update events, a node id on awareness events.
  const senderLength = Number(header[header.length - 1]);
  const bodyStart = end + 1 + senderLength;
  if (!Number.isInteger(senderLength) || senderLength < 0 || bodyStart > message.byteLength) return null;
  const sender = message.toString('utf8', end + 1, bodyStart);
  if (header[0] === 's' && header.length === 2) return { kind: 'stateless', nodeId: sender, payload: message.toString('utf8', bodyStart) };
  // A copy: a view would pin the socket's whole read buffer, and listeners expect plain bytes.
  const payload = new Uint8Array(message.subarray(bodyStart));
  if (header[0] === 'u' && header.length === 4) {
    return { kind: 'update', id: header[1], prev: header[2], writer: sender, update: payload };
  }
  if (header[0] === 'a' && header.length === 2) return { kind: 'awareness', nodeId: sender, awareness: payload };
  if (header[0] === 'e' && header.length === 2) return { kind: 'ended', nodeId: sender };
  return null;
}
