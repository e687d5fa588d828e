import type { IncomingMessage } from 'node:http';
import { WiresocketError } from '../errors.js';

/**
 * The request body, refused with 413 as soon as it passes `maxBytes` (the socket's
 * `--max-message-bytes`): a declared length over it is refused before a byte is read.
 */
export async function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new WiresocketError('MESSAGE_TOO_BIG', `${declared} bytes, limit ${maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > maxBytes) {
      request.resume();
      throw new WiresocketError('MESSAGE_TOO_BIG', `over ${maxBytes} bytes`);
    }
    chunks.push(buffer);
  }
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}
