/**
 * One message for many sockets (a broadcast): its bytes, and its WebSocket frame, built by the
 * first socket that needs it and then written as is to every other one. Per receiver that leaves
 * one socket write: no per-receiver framing, allocation or copy.
 */
export class SharedMessage {
  private framed: Buffer | null = null;

  constructor(readonly payload: Buffer) {}

  /** The frame `build` makes of the payload, made once. */
  frame(build: (payload: Buffer) => Buffer): Buffer {
    this.framed ??= build(this.payload);
    return this.framed;
  }

  static of(bytes: Uint8Array): SharedMessage {
    return new SharedMessage(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}
